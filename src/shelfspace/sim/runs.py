"""The two ways traffic runs: a replayed history in-process, and live traffic against a server."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import Engine

from shelfspace.client import Shelfspace, api
from shelfspace.config import Settings
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.runtime import runtime_of
from shelfspace.sim.clock import SteppedClock
from shelfspace.sim.shop_view import discover
from shelfspace.sim.shoppers import Shopper, make_shoppers
from shelfspace.sim.traffic import Tally, Traffic, sleep_until, utc_day


@dataclass(frozen=True, slots=True)
class Audience:
    """How many shoppers there are and how often they come: the size of the simulated shop."""

    shoppers: int = 1500
    visits_per_day: int = 900
    seed: int = 7


def run_days(
    app: FastAPI,
    traffic: Traffic,
    chores: ServerChores,
    starts: Sequence[datetime],
    until: datetime,
    plan: Callable[[int, datetime], None],
    on_day: Callable[[FastAPI, datetime], None] | None,
    on_progress: Callable[[float, Tally], None] | None,
) -> None:
    """The replay's day loop, for the synthetic week and the real baskets alike: each day
    of `starts` is announced (`on_day`, at its first instant, the days before rolled up),
    planned (`plan(n, start)`), run hour by hour up to `until` with the app's chores on the
    simulated clock, and rolled up; then the last events are flushed and rolled up."""
    rt = runtime_of(app)
    first_day = starts[0]
    span = max(1.0, (until - first_day).total_seconds())
    for n, start in enumerate(starts):
        if on_day is not None:
            on_day(app, start)
        plan(n, start)
        for hour in range(1, 25):
            step_end = min(start + timedelta(hours=hour), until)
            traffic.run_until(step_end)
            chores.advance_to(step_end)
            if on_progress is not None:
                on_progress(min(1.0, (step_end - first_day).total_seconds() / span), traffic.tally)
            if step_end >= until:
                break
        rt.rollups.run()
    chores.advance_to(until)
    rt.opportunities.flush()
    rt.study_log.flush()
    rt.rollups.run()


def replay_history(
    settings: Settings,
    engine: Engine,
    operator_key: str,
    days: int,
    audience: Audience,
    until: datetime | None = None,
    on_progress: Callable[[float, Tally], None] | None = None,
    on_day: Callable[[FastAPI, datetime], None] | None = None,
) -> Tally:
    """Replay `days` whole days before today, and today up to `until` (default: now),
    through the real app served over HTTP on a loopback port, on a stepped clock; returns
    once the rollups hold it all. `on_progress` hears the share of simulated time done
    after every simulated hour. `on_day` is called at the start of each day, the clock on
    its first instant and the days before rolled up, before any of its traffic is planned
    (the forecasting backtest forecasts the day there, from what came before it only).

    The same seed, network and `until` give the same requests and the same answers: the
    app's timed chores run at fixed simulated times (`ServerChores`), not on its threads.
    The same network means the same database, ids included: two seedings of the demo make
    other ids, and holdout groups are a hash of the campaign id, so their weeks differ a little."""
    from shelfspace.app import create_app

    until = until or datetime.now(UTC)
    first_day = utc_day(until) - timedelta(days=days)
    clock = SteppedClock(first_day)
    rng = random.Random(audience.seed)
    app = create_app(settings, engine, clock=clock, rng=random.Random(audience.seed + 1))
    with served(app) as base_url, Shelfspace(base_url, operator_key, timeout=30) as client:
        # Rolled up once per replayed day, rather than every second by the background
        # runner, which would roll the growing day again and again.
        rt = runtime_of(app)
        assert rt.rollup_runner is not None  # embedded: this process rolls up its own log
        rt.rollup_runner.stop()
        rt.snapshots.stop()
        chores = ServerChores(clock, rt.snapshots, first_day, rt.audience_refresher.refresh)
        shop = discover(client)
        shoppers = make_shoppers(rng, audience.shoppers, [p.category for p in shop.products])
        send_identities(client, shoppers)
        traffic = Traffic(client, shop, shoppers, rng, chores.advance_to, run_id=f"history-{audience.seed}")
        run_days(
            app,
            traffic,
            chores,
            [first_day + timedelta(days=day) for day in range(days + 1)],
            until,
            lambda _, start: traffic.plan_day(start, audience.visits_per_day),
            on_day,
            on_progress,
        )
    return traffic.tally


def send_identities(client: Shelfspace, shoppers: list[Shopper]) -> None:
    """The shop's customer records: a made-up e-mail for each simulated shopper, and a UK
    mobile number for every third, so offsite exports of the demo's segments have rows.
    (07400, not Ofcom's 07700 900 range for fiction, which phone libraries rightly refuse
    as no one's number: an export would skip every one of them.)"""
    users = identities_of(shoppers)
    for start in range(0, len(users), 5_000):
        client.send(api.identities(users[start : start + 5_000]))


def identities_of(shoppers: list[Shopper]) -> list[dict[str, str]]:
    return [
        {
            "user_id": s.user_id,
            "email": f"{s.user_id}@shoppers.example",
            **({"phone": f"+44 7400 {n:06d}"} if n % 3 == 0 else {}),
        }
        for n, s in enumerate(shoppers)
    ]


class ServerChores:
    """The app's timed chores, on simulated time: while a replay moves the clock, the
    snapshot holder's thread is stopped and its work is done here at fixed simulated
    times. On its thread, a reservation would be released, or the snapshot rebuilt, at
    whatever simulated moment the wall clock happened to allow, so budgets, pacing and
    the auction would differ from one replay of the same seed to the next."""

    SWEEP_EVERY = timedelta(minutes=5)  # reservations live 15 minutes: released within 5 of expiring
    REBUILD_EVERY = timedelta(hours=1)  # a rebuild takes ~10 ms; the catalogue does not change in a replay

    def __init__(
        self, clock: SteppedClock, snapshots: SnapshotHolder, start: datetime, refresh_audiences: Callable[[], None]
    ) -> None:
        self.clock, self.snapshots, self.refresh_audiences = clock, snapshots, refresh_audiences
        self._next_sweep, self._next_rebuild = start + self.SWEEP_EVERY, start + self.REBUILD_EVERY

    def advance_to(self, when: datetime) -> None:
        """Move the clock to `when`, doing every chore that falls due on the way, in time order."""
        while (due := min(self._next_sweep, self._next_rebuild)) <= when:
            self.clock.advance_to(due)
            if due == self._next_rebuild:
                self.snapshots.refresh()
                self._next_rebuild += self.REBUILD_EVERY
            if due == self._next_sweep:
                self.snapshots.sweep()
                self.refresh_audiences()  # segments take in the shoppers' latest events
                self._next_sweep += self.SWEEP_EVERY
        self.clock.advance_to(when)


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
        """Until `stopped` is set or `duration_seconds` have passed; pages of visits still
        open at the end are not sent, orders already made are."""
        rng = random.Random(self.audience.seed)
        ends = datetime.now(UTC) + timedelta(seconds=duration_seconds) if duration_seconds else None
        with Shelfspace(self.base_url, self.operator_key) as client:
            shop = discover(client)
            shoppers = make_shoppers(rng, self.audience.shoppers, [p.category for p in shop.products])
            traffic = Traffic(
                client, shop, shoppers, rng, sleep_until, run_id=f"live-{self.audience.seed}-{int(time.time())}"
            )
            self.tally = traffic.tally
            try:
                while not self.stopped.is_set() and (ends is None or datetime.now(UTC) < ends):
                    start = datetime.now(UTC)
                    window_end = start + timedelta(seconds=self.WINDOW_SECONDS)
                    window_end = min(window_end, ends) if ends is not None else window_end
                    traffic.plan_window(
                        start, window_end, self.visits_per_second * (window_end - start).total_seconds()
                    )
                    traffic.run_until(window_end)
                    if on_window is not None:
                        on_window(traffic.tally)
            finally:  # Ctrl-C too: the orders and behaviour events made so far are sent
                traffic.flush_events()
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
