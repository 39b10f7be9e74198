"""The server's protocols (http/server_limits.py), both of them: httptools (what `shelfspace
serve` runs) and h11, each in a uvicorn of its own on a loopback port with a tiny app.

The real server is tested end to end in test_server_limits.py; here the cases it does not
reach: a kept-alive connection that starts its next request and stalls, an answer slower
than the head timeout (never cut), and h11's head limit.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from shelfspace.http.server_limits import (
    HEAD_TIMEOUT_SECONDS,
    KEEP_ALIVE_SECONDS,
    MAX_HEAD_BYTES,
    BoundedH11Protocol,
    BoundedHttpToolsProtocol,
)
from tests.servers import free_port
from tests.waiting import wait_for

PROTOCOLS = {"httptools": BoundedHttpToolsProtocol, "h11": BoundedH11Protocol}


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _slow(request: Request) -> Response:
    await asyncio.sleep(HEAD_TIMEOUT_SECONDS + 2)  # longer than the head timeout: a request is never cut
    return PlainTextResponse("slow but whole")


@pytest.fixture(scope="module", params=list(PROTOCOLS))
def address(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    app = Starlette(routes=[Route("/ok", _ok), Route("/slow", _slow)])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            http=PROTOCOLS[request.param],
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, "the server to start")
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed `sock` (whatever it wrote first is read and dropped)."""
    sock.setblocking(False)
    try:
        while True:
            if sock.recv(65536) == b"":
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def _read_answer(sock: socket.socket) -> bytes:
    sock.settimeout(HEAD_TIMEOUT_SECONDS + 10)
    data = b""
    while not (b"\r\n\r\n" in data and data.endswith((b"ok", b"whole"))):
        part = sock.recv(65536)
        assert part, f"closed before a whole answer: {data!r}"
        data += part
    return data


def test_a_stalled_head_is_closed_even_on_a_kept_alive_connection(address: tuple[str, int]) -> None:
    silent = socket.create_connection(address)  # opens and never sends a byte
    stalled = socket.create_connection(address)
    stalled.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
    assert _read_answer(stalled).startswith(b"HTTP/1.1 200")
    stalled.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Half: ")  # the next request, never finished
    started = time.monotonic()
    try:
        wait_for(
            lambda: _closed(silent) and _closed(stalled),
            HEAD_TIMEOUT_SECONDS + 10,
            "the server to close a silent connection and a stalled second request",
        )
        assert time.monotonic() - started >= HEAD_TIMEOUT_SECONDS / 2  # by the head clock, not at once
    finally:
        silent.close()
        stalled.close()


def test_an_answer_slower_than_the_head_timeout_is_not_cut(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"slow but whole")


def test_a_head_over_the_limit_is_refused(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * (MAX_HEAD_BYTES + 1024))
        sock.settimeout(10)
        answer = sock.recv(65536)
    # httptools: 431 in the API's error shape; h11 refuses with its own 400.
    assert answer.startswith((b"HTTP/1.1 431 ", b"HTTP/1.1 400 ")), answer[:200]
    with socket.create_connection(address, timeout=10) as sock:  # a large head under the limit is fine
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * (MAX_HEAD_BYTES // 2) + b"\r\n\r\n")
        assert _read_answer(sock).startswith(b"HTTP/1.1 200")
