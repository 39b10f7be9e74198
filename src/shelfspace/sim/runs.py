"""The two ways traffic runs: a replayed history in-process, and live traffic against a server."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import Engine

from shelfspace.client import Shelfspace
from shelfspace.config import Settings
from shelfspace.sim.clock import SteppedClock
from shelfspace.sim.shop_view import discover
from shelfspace.sim.shoppers import make_shoppers
from shelfspace.sim.traffic import Tally, Traffic, sleep_until, utc_day


@dataclass(frozen=True, slots=True)
class Audience:
    """How many shoppers there are and how often they come: the size of the simulated shop."""

    shoppers: int = 1500
    visits_per_day: int = 900
    seed: int = 7


def replay_history(settings: Settings, engine: Engine, operator_key: str, days: int, audience: Audience,
                   until: datetime | None = None, on_day: Callable[[int, Tally], None] | None = None) -> Tally:
    """Replay `days` whole days before today, and today up to `until` (default: now),
    through the real app served over HTTP on a loopback port, on a stepped clock; returns
    once the rollups hold it all."""
    from shelfspace.app import create_app

    until = until or datetime.now(UTC)
    first_day = utc_day(until) - timedelta(days=days)
    clock = SteppedClock(first_day)
    rng = random.Random(audience.seed)
    app = create_app(settings, engine, clock=clock, rng=random.Random(audience.seed + 1))
    with served(app) as base_url, Shelfspace(base_url, operator_key, timeout=30) as client:
        # Rolled up once per replayed day, rather than every second by the background
        # runner, which would roll the growing day again and again.
        app.state.rollup_runner.stop()
        shop = discover(client)
        shoppers = make_shoppers(rng, audience.shoppers, [p.category for p in shop.products])
        traffic = Traffic(client, shop, shoppers, rng, clock.advance_to, run_id=f"history-{audience.seed}")
        for day in range(days + 1):
            start = first_day + timedelta(days=day)
            traffic.plan_day(start, audience.visits_per_day)
            traffic.run_until(min(start + timedelta(days=1), until))
            app.state.rollups.run()
            if on_day is not None:
                on_day(day, traffic.tally)
        clock.advance_to(until)
        app.state.opportunities.flush()
        app.state.rollups.run()
    return traffic.tally


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app on a free loopback port, in a thread, for as long as the block runs."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="history-server", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the history server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class LiveTraffic:
    """Shoppers arriving at `visits_per_second` on the wall clock, against a running server."""

    WINDOW_SECONDS = 10  # visits are planned this far ahead, then carried out as their time comes

    def __init__(self, base_url: str, operator_key: str, audience: Audience, visits_per_second: float) -> None:
        self.base_url, self.operator_key, self.audience = base_url, operator_key, audience
        self.visits_per_second = visits_per_second
        self.stopped = threading.Event()
        self.tally = Tally()

    def run(self, duration_seconds: float | None = None, on_window: Callable[[Tally], None] | None = None) -> Tally:
        rng = random.Random(self.audience.seed)
        ends = time.monotonic() + duration_seconds if duration_seconds else None
        with Shelfspace(self.base_url, self.operator_key) as client:
            shop = discover(client)
            shoppers = make_shoppers(rng, self.audience.shoppers, [p.category for p in shop.products])
            traffic = Traffic(client, shop, shoppers, rng, sleep_until,
                              run_id=f"live-{self.audience.seed}-{int(time.time())}")
            self.tally = traffic.tally
            while not self.stopped.is_set() and (ends is None or time.monotonic() < ends):
                start = datetime.now(UTC)
                window_end = start + timedelta(seconds=self.WINDOW_SECONDS)
                traffic.plan_window(start, window_end, self.visits_per_second * self.WINDOW_SECONDS)
                traffic.run_until(window_end)
                if on_window is not None:
                    on_window(traffic.tally)
        return self.tally

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._run_quietly, name="live-traffic", daemon=True)
        thread.start()
        return thread

    def _run_quietly(self) -> None:
        import structlog

        log = structlog.get_logger(__name__)
        try:
            self.run(on_window=lambda tally: log.info("simulated_traffic", summary=tally.summary()))
        except Exception:
            log.exception("simulated_traffic_stopped")
