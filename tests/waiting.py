"""How a test waits for what another thread or process does: it asks for the condition
until it holds, within a timeout, and fails naming what it waited for.

A fixed sleep is either too short on a loaded CI machine (a flaky failure) or too long
everywhere else, and a check that something did NOT happen after a sleep passes without
testing anything when the sleep was too short. So tests never sleep: they call
`wait_for` (this module holds the only pause), or better, make the app do the work now
where it offers a direct call: `snapshot_current` rebuilds the decision snapshot,
`runtime(client).rollups.run()` rolls the reports up (both for an app in a TestClient;
a server in another process is waited for). A check of an absence waits first
for a positive marker that comes after the thing that must not happen (a later event
handled, a version reached), then asserts the absence.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from starlette.applications import Starlette

from shelfspace.catalog.version import catalogue_version
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

T = TypeVar("T")

INTERVAL_SECONDS = 0.02  # between two looks: short, so a test goes on as soon as it can


class WaitTimedOut(AssertionError):
    """The awaited condition did not hold within the timeout."""


def _timed_out(message: str, timeout: float, last: object) -> WaitTimedOut:
    seen = "" if last is None or last is False else f"; the last look gave {last!r}"
    return WaitTimedOut(f"waited {timeout} s for {message}{seen}")


def wait_for(condition: Callable[[], T], timeout: float, message: str, *, interval: float = INTERVAL_SECONDS) -> T:
    """Call `condition` until it returns a true value, and return that value; after
    `timeout` seconds, fail with `message` (what was awaited) and the last value seen."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: its wait() is the one pause tests make
    while True:
        value = condition()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(message, timeout, value)
        pause.wait(min(interval, left))


def wait_for_equal(
    fetch: Callable[[], T], expected: T, timeout: float, message: str, *, interval: float = INTERVAL_SECONDS
) -> T:
    """Call `fetch` until it returns `expected`; after `timeout` seconds, fail with
    `message` and the last value fetched (by how much it was off)."""
    last: list[T] = []

    def equal() -> bool:
        last[:] = [fetch()]
        return bool(last[0] == expected)

    try:
        wait_for(equal, timeout, message, interval=interval)
    except WaitTimedOut as timed_out:
        raise WaitTimedOut(f"{timed_out}; wanted {expected!r}, the last look gave {last[0]!r}") from None
    return last[0]


def wait_at_most(condition: Callable[[], Any], timeout: float, *, interval: float = INTERVAL_SECONDS) -> bool:
    """`wait_for` without the failure: True once `condition` holds, False after `timeout`.
    Only for a test whose own assertions afterwards say by how much it fell short."""
    try:
        wait_for(condition, timeout, "", interval=interval)
    except WaitTimedOut:
        return False
    return True


async def wait_for_async(
    condition: Callable[[], T], timeout: float, message: str, *, interval: float = INTERVAL_SECONDS
) -> T:
    """`wait_for` inside an event loop: the loop runs other tasks between two looks."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(message, timeout, value)
        await asyncio.sleep(min(interval, left))  # the async twin of the pause in wait_for


def snapshot_current(client: TestClient) -> None:
    """Rebuild the app's decision snapshot now, from every catalogue change made so far,
    instead of waiting for the refresher's next poll. The refresher thread is stopped first
    (it finishes any build it began, from an older catalogue, which would otherwise be
    swapped in after ours) and started again, which builds the snapshot before it returns."""
    assert isinstance(client.app, Starlette)
    rt = runtime_of(client.app)
    with session_scope(rt.db_sessions) as db:
        version = catalogue_version(db)
    rt.snapshots.stop()
    rt.snapshots.start()
    built = rt.snapshots.snapshot.version
    assert built >= version, f"the snapshot was rebuilt at catalogue version {built}, not {version}"
