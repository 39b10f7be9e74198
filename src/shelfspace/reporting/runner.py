"""Runs the rollup job in the background, so reports are fresh within seconds of events.

The recorder nudges the runner when it stores events; the runner waits a moment to take
more in one run, then rolls up. Without nudges it still runs every `every_seconds`."""

from __future__ import annotations

import threading

import structlog

from shelfspace.reporting.job import RollupJob

log = structlog.get_logger(__name__)

EVERY_SECONDS = 30.0  # a run even when nothing nudged (e.g. events appended by another process)
GATHER_SECONDS = 1.0  # after a nudge, wait this long so one run takes a burst of events


class RollupRunner:
    def __init__(self, job: RollupJob, every_seconds: float = EVERY_SECONDS) -> None:
        self.job = job
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._nudged = threading.Event()
        self._thread: threading.Thread | None = None

    def nudge(self, _keys: list[str] | None = None) -> None:
        """New events are in the log (the recorder says which; a run reads them all)."""
        self._nudged.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rollups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._nudged.wait(self.every_seconds):
                self._stop.wait(GATHER_SECONDS)
            self._nudged.clear()
            if self._stop.is_set():
                return
            try:
                self.job.run()
            except Exception:  # the next run reads from the same position: nothing is lost
                log.exception("rollup_failed")
