"""Start the real server as a user does (`python -m shelfspace serve`) and wait until it is healthy."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.waiting import wait_for

BOOTSTRAP = "bootstrap-key-for-the-serve-test-0123456789"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shelfspace(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelfspace", *args], env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFSPACE_")}
    return env | {"SHELFSPACE_DATA_DIR": str(data_dir)} | extra


def start_server(
    env: dict[str, str],
    command: str = "serve",
    log: Path | None = None,
    args: tuple[str, ...] = (),
    startup_seconds: float = STARTUP_SECONDS,
) -> tuple[subprocess.Popen[str], str]:
    """Start `shelfspace <command> --port N` and wait until it is healthy; the caller stops it.
    Its output goes to `log` (a file, never a pipe that a chatty server could fill and block on)."""
    port = free_port()
    log = log or Path(tempfile.mkstemp(prefix="shelfspace-server-", suffix=".log")[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shelfspace", command, "--port", str(port), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {log.read_text()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, startup_seconds, "the server to answer /healthz", interval=0.1)
    except AssertionError as failed:
        process.kill()
        raise AssertionError(f"{failed}: {log.read_text()}") from None
    return process, url


@contextmanager
def running_server(
    env: dict[str, str],
    command: str = "serve",
    log: Path | None = None,
    args: tuple[str, ...] = (),
    startup_seconds: float = STARTUP_SECONDS,
) -> Iterator[str]:
    """A started server, stopped with SIGTERM (as Ctrl-C does) when the block ends."""
    with running_process(env, command, log, args, startup_seconds) as (_, url):
        yield url


@contextmanager
def running_process(
    env: dict[str, str],
    command: str = "serve",
    log: Path | None = None,
    args: tuple[str, ...] = (),
    startup_seconds: float = STARTUP_SECONDS,
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`running_server`, with the server's process too (its pid, to read its memory in /proc)."""
    process, url = start_server(env, command, log, args, startup_seconds)
    try:
        yield process, url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("server did not stop on SIGTERM") from None


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """A folder served on a loopback port of its own: a shop's or a publisher's own web
    server, on another origin than Shelfspace."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def emailed_link(log: Path, email: str, seconds: float = 10) -> str:
    """The e-mail confirmation link a server without SMTP wrote to its log for `email`: a
    path and query to open on the server."""
    found: list[str] = []

    def logged() -> bool:
        for line in log.read_text(errors="replace").splitlines():
            if "mail_not_sent_no_smtp_host" in line and email in line:
                match = re.search(r"/signup/verify\?token=[A-Za-z0-9_.\-]+", line)
                if match:
                    found.append(match.group(0))
        return bool(found)

    wait_for(logged, seconds, f"the confirmation link for {email} in {log}")
    return found[-1]
