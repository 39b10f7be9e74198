"""How late the event loop wakes up: the number that shows blocking work in async code.

Every request of a process shares one event loop. Synchronous SQL, password hashing or
file work inside an `async def` holds it, and every other request waits: the decisions of
all pages, not only the slow one. A task here sleeps a fixed interval again and again and
records how much later than asked it woke, as `shelfspace_event_loop_lag_seconds` on
/metrics, so a regression shows in production and not only in tests/http/test_event_loop.py.
"""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import Histogram

LAG_METRIC = "shelfspace_event_loop_lag_seconds"
# Fine at the bottom: a healthy loop wakes within a millisecond; 0.1 s is already a stall.
LAG_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
TASK_NAME = "event-loop-lag"
INTERVAL_SECONDS = 0.025  # 40 wake-ups a second: nothing next to the traffic, fine enough to see a stall


class LoopLagMonitor:
    """Measures the running event loop's lag from `start()` to `stop()`, both called on it.

    The histogram is made without a registry: the app registers it on its own registry
    (`runtime_of(app).metrics_registry`), as each app instance keeps its metrics apart. One task
    per loop: an app's lifespan may run more than once, even at once on two loops (tests
    nest test clients), and each run stops only its own task.
    """

    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.histogram = Histogram(
            LAG_METRIC,
            "How much later than asked the event loop woke a sleeping task.",
            buckets=LAG_BUCKETS,
            registry=None,
        )
        self._tasks: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    def start(self) -> None:
        """Begin measuring the running loop (the app's lifespan calls it)."""
        loop = asyncio.get_running_loop()
        if loop not in self._tasks:
            self._tasks[loop] = loop.create_task(self._measure(), name=TASK_NAME)

    async def stop(self) -> None:
        """Stop measuring the running loop and wait for the task to end, so nothing is left
        pending at shutdown."""
        task = self._tasks.pop(asyncio.get_running_loop(), None)
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.interval)
            self.histogram.observe(max(0.0, loop.time() - asked - self.interval))
