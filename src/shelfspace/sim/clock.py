"""A clock the simulator moves: the server sees simulated time when it is given this one."""

from __future__ import annotations

import threading
from datetime import datetime


class SteppedClock:
    """Never goes back: moving to an earlier time keeps the later one (events stay in order)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def advance_to(self, when: datetime) -> None:
        with self._lock:
            if when > self._now:
                self._now = when
