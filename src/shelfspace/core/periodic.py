"""A background thread that calls `flush()` every few seconds and once more at stop.

For what the decision route counts in memory and writes in batches (fill rates, lift-study
marks): a statistic, not money, so a crash may lose the last few seconds of it, and a page
view never waits for a database write.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class PeriodicFlush(ABC):
    def __init__(self, name: str, flush_seconds: float) -> None:
        self._name = name
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = threading.Lock()

    def flush(self) -> int:
        """Write what was gathered; returns the rows written. One flush at a time: when it
        returns, everything gathered before the call is written (or kept, if the write
        failed), even what the background flush had taken a moment earlier."""
        with self._flushing:
            return self.write_batch()

    @abstractmethod
    def write_batch(self) -> int:
        """Take what was gathered and write it; returns the rows written. Must not raise:
        keep what failed for the next call."""

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()
