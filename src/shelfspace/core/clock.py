"""Time is UTC everywhere; code that needs "now" takes a Clock so tests can fix it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class SteppedClock:
    """A clock moved by its owner (the demo's replay, a forecast's replay, tests). Never goes
    back: moving to an earlier time keeps the later one, so events stay in order."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def advance_to(self, when: datetime) -> None:
        with self._lock:
            if when > self._now:
                self._now = when
