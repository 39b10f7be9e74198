"""Limits of the HTTP server itself: how large a request head may be, and how long it may take to arrive.

The body limits (`http/body_limits.py`) start once the app has a request; before that,
uvicorn reads the request line and headers alone, and by itself would hold a connection
that never finishes them for ever (one that sends a byte now and then, "slowloris", or
none at all), and with httptools would keep reading a header of any size.

So the server runs these protocol classes, uvicorn's own with two checks added:

- the head (request line and headers) must be complete within `HEAD_TIMEOUT_SECONDS` of
  the moment the server waits for it: the connection opening, or the previous answer
  sent on a kept-alive connection. Otherwise the connection is closed. A request being
  answered is never cut: when the clock runs out during an answer, nothing happens, and
  it starts again once the answer is sent.
- the head is at most `MAX_HEAD_BYTES`: past that, 431 and the connection is closed.
  httptools, which uvicorn picks when it is installed (`uvicorn[standard]`), has no limit
  of its own: bytes are counted here as they arrive. h11 has one
  (`h11_max_incomplete_event_size`, given the same value by `server_options`; it answers
  400).

An idle kept-alive connection is closed after `KEEP_ALIVE_SECONDS` (uvicorn's
`timeout_keep_alive`). `server_options` gives everything to `uvicorn.run` in one place,
for one process and for `--workers N` alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypedDict

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from shelfspace.core.errors import ErrorCode
from shelfspace.http.errors import ErrorBody, ErrorDetail

HEAD_TIMEOUT_SECONDS = 10.0
MAX_HEAD_BYTES = 64 * 1024  # uvicorn's h11 default is 16 KiB; cookies and signed URLs fit many times over
KEEP_ALIVE_SECONDS = 5


class HeadRefusal(StrEnum):
    """Why a connection was closed before its request reached the app (logged)."""

    TOO_SLOW = "head_timeout"
    TOO_LARGE = "head_too_large"


def _too_large_answer() -> bytes:
    message = f"the request line and headers are at most {MAX_HEAD_BYTES // 1024} KiB ({MAX_HEAD_BYTES} bytes)"
    body = ErrorBody(error=ErrorDetail(code=ErrorCode.PAYLOAD_TOO_LARGE, message=message)).model_dump_json().encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


TOO_LARGE_ANSWER = _too_large_answer()


class HeadClock:
    """One connection's wait for a request head: its deadline and the bytes it has taken."""

    __slots__ = ("_loop", "_on_overdue", "_timer", "received")

    def __init__(self, loop: asyncio.AbstractEventLoop, on_overdue: Callable[[], None]) -> None:
        self._loop = loop
        self._on_overdue = on_overdue
        self._timer: asyncio.TimerHandle | None = None
        self.received = 0  # bytes of the head so far

    def start(self) -> None:
        """The server now waits for a head: the clock starts (again)."""
        self.stop()
        self.received = 0
        self._timer = self._loop.call_later(HEAD_TIMEOUT_SECONDS, self._on_overdue)

    def head_complete(self) -> None:
        self.stop()
        self.received = 0

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the head's deadline and size (module docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_clock = HeadClock(self.loop, self._head_overdue)
        self.in_head = True  # the parser is between messages or inside a head (not a body)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_clock.start()

    def connection_lost(self, exc: Exception | None) -> None:
        self.head_clock.stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        counted = self.in_head
        if counted:
            self.head_clock.received += len(data)
        super().data_received(data)
        # Checked after parsing: the same read may hold a small head and a large body.
        if counted and self.in_head and self.head_clock.received > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse(HeadRefusal.TOO_LARGE)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_clock.head_complete()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_head = True  # what follows is the next request's head
        self.head_clock.received = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        _answered(self)

    def _head_overdue(self) -> None:
        _overdue(self)

    def _refuse(self, reason: HeadRefusal) -> None:
        _refuse(self, reason)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the head's deadline (h11 bounds its size itself)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_clock = HeadClock(self.loop, self._head_overdue)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_clock.start()

    def connection_lost(self, exc: Exception | None) -> None:
        self.head_clock.stop()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # h11 gave a whole request head: uvicorn made its cycle
            self.head_clock.head_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        _answered(self)

    def _head_overdue(self) -> None:
        _overdue(self)


def _answered(protocol: BoundedHttpToolsProtocol | BoundedH11Protocol) -> None:
    """An answer is sent: the clock starts for the next request's head."""
    if not protocol.transport.is_closing():
        protocol.head_clock.start()


def _overdue(protocol: BoundedHttpToolsProtocol | BoundedH11Protocol) -> None:
    """The head's time ran out: closed, unless a request is being answered (never cut)."""
    answering = protocol.cycle is not None and not protocol.cycle.response_complete
    if not answering and not protocol.transport.is_closing():
        _refuse(protocol, HeadRefusal.TOO_SLOW)


def _refuse(protocol: BoundedHttpToolsProtocol | BoundedH11Protocol, reason: HeadRefusal) -> None:
    """Close the connection; a head too large is told why first (a client too slow is gone
    or hostile: it gets nothing)."""
    protocol.head_clock.stop()
    if reason is HeadRefusal.TOO_LARGE:
        protocol.transport.write(TOO_LARGE_ANSWER)
    protocol.logger.debug(
        "connection closed before its request: %s (%s)",
        reason.value,
        "%s:%d" % protocol.client if protocol.client else "unknown client",
    )
    protocol.transport.close()


class ServerOptions(TypedDict):
    http: type[asyncio.Protocol]
    h11_max_incomplete_event_size: int
    timeout_keep_alive: int


def server_options() -> ServerOptions:
    """The limits as `uvicorn.run` keyword arguments. The protocol is httptools' (a
    dependency through uvicorn[standard], and the faster), so the choice is never left to
    what happens to be installed; h11's size limit is set as well for anyone who runs
    `BoundedH11Protocol`."""
    return ServerOptions(
        http=BoundedHttpToolsProtocol,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
