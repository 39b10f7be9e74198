"""Bodies, heads and slow clients against the real server (`shelfspace serve`), as an attacker sends them.

Each test speaks HTTP over a raw socket: a client library would not send a 100 MB header
or leave 1,000 requests half written. The figures (the server's memory before and after,
how long the half-sent requests were held) are printed; run with `-s` to read them.
"""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from shelfspace.http.body_limits import CREATIVE_VIDEO_BYTES, DECISION_BYTES, FORM_FIELDS_BYTES
from shelfspace.http.server_limits import HEAD_TIMEOUT_SECONDS, MAX_HEAD_BYTES
from tests.servers import BOOTSTRAP, base_env, running_process
from tests.waiting import wait_for

MiB = 1024 * 1024
HALF_SENT = 1000
HUGE = 500 * MiB
RSS_GROWTH_LIMIT_MIB = 50
CHUNK = b"x" * MiB  # sent again and again: the test never holds the huge body itself


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[str]
    url: str

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    def memory_mib(self, field: str = "VmRSS") -> float:
        """The server's resident memory now (VmRSS) or at its peak (VmHWM), from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")


def _enough_file_descriptors(needed: int) -> None:
    """1,000 sockets here, 1,000 in the server (which inherits this limit): raise the soft
    limit if it is lower, up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        assert hard == resource.RLIM_INFINITY or hard >= needed, f"the hard open-files limit {hard} is under {needed}"
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _enough_file_descriptors(HALF_SENT + 1024)
    folder = tmp_path_factory.mktemp("server-limits")
    env = base_env(folder / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    with running_process(env, log=folder / "server.log") as (process, url):
        yield Server(process, url)


def _answer_of(sock: socket.socket) -> bytes:
    """What the server wrote before it closed (or its whole answer, by Content-Length)."""
    data = b""
    sock.settimeout(30)
    try:
        while True:
            part = sock.recv(65536)
            if not part:
                break
            data += part
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(body) >= length:
                break
    except ConnectionResetError:
        pass  # closed with our unread bytes in its buffer: what came before the reset is kept
    return data


def _send_until_answered(server: Server, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send `head`, then `chunks` until the server answers or closes; its answer, and how
    many bytes were sent in all."""
    with socket.create_connection(server.address, timeout=30) as sock:
        sock.sendall(head)
        sent = len(head)
        for chunk in chunks:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)
                break  # the server has answered (or closed)
            except BlockingIOError:
                pass  # nothing yet: go on sending
            except ConnectionResetError:
                break
            finally:
                sock.settimeout(30)
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return _answer_of(sock), sent


def _status_and_json(answer: bytes) -> tuple[int, dict[str, object], bytes]:
    assert answer.startswith(b"HTTP/1.1 "), f"no HTTP answer: {answer[:200]!r}"
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body), head.lower()


def _raw(count: int) -> Iterator[bytes]:
    sent = 0
    while sent < count:
        yield CHUNK[: count - sent]
        sent += len(CHUNK)


def _chunked(count: int) -> Iterator[bytes]:
    """HTTP/1.1 chunked encoding of `count` bytes, then the last chunk."""
    for chunk in _raw(count):
        yield b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    yield b"0\r\n\r\n"


def test_half_sent_requests_are_closed_after_the_head_timeout(server: Server) -> None:
    sockets: list[socket.socket] = []
    try:
        for _ in range(HALF_SENT):
            sock = socket.create_connection(server.address, timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: shelfspace\r\nX-Still-Typing: ")  # and never the rest
            sock.setblocking(False)
            sockets.append(sock)
        sent_at = time.monotonic()
        still_open = set(sockets)
        first_closed_after: list[float] = []

        def all_closed() -> bool:
            for sock in list(still_open):
                try:
                    if sock.recv(1) == b"":
                        still_open.discard(sock)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    still_open.discard(sock)
                if not first_closed_after and sock not in still_open:
                    first_closed_after.append(time.monotonic() - sent_at)
            return not still_open

        wait_for(
            all_closed,
            HEAD_TIMEOUT_SECONDS + 30,
            f"the server to close all {HALF_SENT} half-sent requests",
            interval=0.05,
        )
        closed_after = time.monotonic() - sent_at
        print(
            f"\n{HALF_SENT} half-sent requests: first closed {first_closed_after[0]:.1f} s, all closed "
            f"{closed_after:.1f} s after the last was sent (head timeout {HEAD_TIMEOUT_SECONDS:.0f} s)"
        )
        # They were closed by the head timeout, and not, say, by the server running out of sockets.
        assert first_closed_after[0] >= HEAD_TIMEOUT_SECONDS / 2
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_500_mb_decision_body_is_refused_and_the_memory_stays_flat(server: Server) -> None:
    before, peak_before = server.memory_mib(), server.memory_mib("VmHWM")
    declared = (
        b"POST /v1/decisions HTTP/1.1\r\nHost: shelfspace\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % HUGE
    )
    chunked = (
        b"POST /v1/decisions HTTP/1.1\r\nHost: shelfspace\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    for framing, head, body in (("Content-Length", declared, _raw(HUGE)), ("chunked", chunked, _chunked(HUGE))):
        answer, sent = _send_until_answered(server, head, body)
        status, error, answer_head = _status_and_json(answer)
        assert status == 413, answer[:500]
        assert error == {
            "error": {
                "code": "payload_too_large",
                "message": f"a decision request is at most 64 KiB ({DECISION_BYTES} bytes)",
                "fields": [],
            }
        }
        assert b"connection: close" in answer_head
        assert sent < 100 * MiB, f"{sent} bytes were taken in before the refusal"
        print(f"\n500 MB decision body ({framing}): 413 after {sent / MiB:.1f} MiB sent")
    after, peak_after = server.memory_mib(), server.memory_mib("VmHWM")
    print(f"server RSS {before:.0f} MiB before, {after:.0f} MiB after (peak {peak_before:.0f} -> {peak_after:.0f} MiB)")
    assert after - before < RSS_GROWTH_LIMIT_MIB
    assert peak_after - peak_before < RSS_GROWTH_LIMIT_MIB


def test_a_100_mb_header_is_refused(server: Server) -> None:
    before = server.memory_mib()
    head = b"GET /healthz HTTP/1.1\r\nHost: shelfspace\r\nX-Huge: "
    answer, sent = _send_until_answered(server, head, _raw(100 * MiB))
    status, error, _ = _status_and_json(answer)
    assert status == 431
    assert error["error"] == {
        "code": "payload_too_large",
        "fields": [],
        "message": (f"the request line and headers are at most {MAX_HEAD_BYTES // 1024} KiB ({MAX_HEAD_BYTES} bytes)"),
    }
    assert sent < 100 * MiB
    print(
        f"\n100 MB header: 431 after {sent / MiB:.1f} MiB sent; server RSS {before:.0f} -> {server.memory_mib():.0f} MiB"
    )
    assert httpx.get(f"{server.url}/healthz", headers={"X-Fine": "y" * 8000}, timeout=10).status_code == 200


def _signed_in_brand(server: Server) -> httpx.Client:
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {BOOTSTRAP}"}, timeout=10)
    advertiser = api.post("/v1/advertisers", json={"name": "Acme", "domain": "acme.example"})
    assert advertiser.status_code == 201, advertiser.text
    password = "a long password 123"
    user = api.post(
        "/v1/users",
        json={
            "email": "brand@acme.example",
            "password": password,
            "role": "advertiser",
            "advertiser_id": advertiser.json()["id"],
        },
    )
    assert user.status_code == 201, user.text
    brand = httpx.Client(base_url=server.url, timeout=10)
    page = brand.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = brand.post("/login", data={"email": "brand@acme.example", "password": password, "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    return brand


def test_a_creative_upload_over_its_cap_is_refused_while_it_streams(server: Server) -> None:
    brand = _signed_in_brand(server)
    cookie = "; ".join(f"{name}={value}" for name, value in brand.cookies.items())
    before = server.memory_mib()
    boundary = b"shelfspace-test-boundary"
    head = (
        b"POST /brand/campaigns/new HTTP/1.1\r\nHost: shelfspace\r\nAccept: text/html\r\n"
        b"Cookie: "
        + cookie.encode()
        + b"\r\nContent-Type: multipart/form-data; boundary="
        + boundary
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    part = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="image"; filename="banner.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
    )

    def upload() -> Iterator[bytes]:  # a 500 MB "image", with no Content-Length: counted as it streams
        yield b"%x\r\n" % len(part) + part + b"\r\n"
        yield from _chunked(HUGE)

    answer, sent = _send_until_answered(server, head, upload())
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    cap = CREATIVE_VIDEO_BYTES + FORM_FIELDS_BYTES  # the wizard takes a video: the largest file it may carry
    assert f"a campaign form with its creative image or video is at most {cap // 1024} KiB".encode() in answer
    assert sent < 100 * MiB
    after = server.memory_mib()
    print(f"\n500 MB creative upload: 413 after {sent / MiB:.1f} MiB sent; server RSS {before:.0f} -> {after:.0f} MiB")
    assert after - before < RSS_GROWTH_LIMIT_MIB
