"""The app's background workers, started in one order and stopped in the reverse.

Each worker (the recorder's writer, the snapshot poller, the flushers, the notifier...)
has `start()` and `stop()`; a `stop` may be a coroutine (the event-loop lag monitor). The
order is the dependency order, written once: a worker starts after what it feeds on and
stops before it, so what it queued on the way out still has somewhere to go.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Protocol


class Worker(Protocol):
    def start(self) -> None: ...

    def stop(self) -> object: ...  # None, or an awaitable


class Supervisor:
    """Starts its workers in order; stops the started ones in the reverse order."""

    def __init__(self, workers: Sequence[Worker | None]) -> None:
        self.workers = [w for w in workers if w is not None]  # None: not in this deployment
        self._started: list[Worker] = []

    def start(self) -> None:
        """Start each in order. If one fails, `stop` still stops those already started."""
        for worker in self.workers:
            worker.start()
            self._started.append(worker)

    async def stop(self) -> None:
        """Stop the started workers, the last started first."""
        while self._started:
            result = self._started.pop().stop()
            if inspect.isawaitable(result):
                await result
