"""Rollups: what one run costs as the day grows, and how fresh reports stay under load.

Embedded mode (the SQLite event log and an SQLite database), the real `RollupJob`:
- for each size, a day already holding that many events (bulk-inserted into the log in
  time order, then rolled up in runs of `BUILD_CHUNK`, as a day that grew would be), then
  10,000 new events a moment later (stored with `append`, as the recorder stores them):
  the time of the one run that rolls them in. It should not grow with the day;
- beside it (up to `whole_day_up_to` events), the same day rolled whole, what every run
  cost before rollups were incremental (and what `rebuild_all` still costs per day);
- freshness: events stored at a sustained rate for a while on top of the largest day,
  rolled by the background runner's loop (wait for a nudge, gather 1 s, run): the lag of
  a run is from the start of the run before it (any event it rolls was stored after that)
  to its end.

Measured, never asserted.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.table import Table

from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import upgrade
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.events.model import AdFacts, Event, EventType, ad_event_key
from shelfspace.events.rows import COLUMNS, to_row
from shelfspace.events.sqlite_log import SqliteEventLog
from shelfspace.reporting.job import RollupJob
from shelfspace.reporting.runner import GATHER_SECONDS

TZ = ZoneInfo("UTC")
DAY_START = datetime(2026, 11, 20, tzinfo=UTC).timestamp()
BASE_SECONDS = 20 * 3600  # the day's existing events fall in its first 20 hours
CAMPAIGNS = 20
USERS = 200_000
BUILD_CHUNK = 150_000  # under the job's WHOLE_DAY_AFTER: each build run folds only its chunk
NEW_EVENTS = 10_000


class _Events:
    """A served ad's events: an impression, half of them viewable, 2% clicked (CPC and CPM)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ads = 0
        self.later: list[Event] = []  # viewables and clicks of ads served, not come yet

    def served(self, at: float) -> list[Event]:
        rng = self.rng
        self.ads += 1
        campaign = rng.randrange(CAMPAIGNS)
        line_item = rng.randrange(5)
        pricing = "cpc" if campaign % 4 == 0 else "cpm"
        user = f"u{rng.randrange(USERS)}"
        facts = AdFacts(
            ad_id=f"ad{self.ads:012d}",
            placement_id=f"p{rng.randrange(10)}",
            advertiser_id=f"adv{campaign % 7}",
            campaign_id=f"cmp{campaign:03d}",
            line_item_id=f"li{campaign:03d}{line_item}",
            creative_id=f"cr{campaign:03d}{line_item}{rng.randrange(2)}",
            sku=None,
            pricing=pricing,
            price_micros=2_500_000 if pricing == "cpm" else 400_000,
            user_id=user,
            served_at=int(at),
            budget_day="2026-11-20",
        )
        events = [Event(ad_event_key(EventType.IMPRESSION, facts.ad_id), EventType.IMPRESSION, at, facts, user)]
        if rng.random() < 0.5:
            events.append(
                Event(ad_event_key(EventType.VIEWABLE, facts.ad_id), EventType.VIEWABLE, at + 1.5, facts, user)
            )
        if rng.random() < 0.02:
            events.append(Event(ad_event_key(EventType.CLICK, facts.ad_id), EventType.CLICK, at + 4.0, facts, user))
        return events

    def between(self, count: int, start: float, end: float) -> list[Event]:
        """About `count` events, spread evenly over [start, end), in time order as a log
        stamped at arrival holds them: a viewable or a click that comes after `end` waits
        for the next call."""
        ads = max(1, int(count / 1.52))
        step = (end - start) / ads
        events = self.later
        for n in range(ads):
            events += self.served(start + n * step)
        events.sort(key=lambda e: e.time)
        cut = next((n for n, e in enumerate(events) if e.time >= end), len(events))
        self.later = events[cut:]
        return events[:cut]


def _network(folder: Path) -> tuple[RollupJob, SqliteEventLog]:
    engine = make_engine(Settings(data_dir=folder).sqlalchemy_url())
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as db:
        for a in range(7):
            db.add(Advertiser(id=f"adv{a}", name=f"Brand {a}", domain=f"b{a}.example", billing_mode=BillingMode.CREDIT))
        db.flush()
        for c in range(CAMPAIGNS):
            db.add(
                Campaign(
                    id=f"cmp{c:03d}",
                    advertiser_id=f"adv{c % 7}",
                    name=f"Campaign {c}",
                    start=datetime(2026, 11, 1, tzinfo=UTC),
                    end=None,
                    budget_total_micros=10**15,
                    budget_daily_micros=None,
                )
            )
    log = SqliteEventLog(folder / "events.db")
    return RollupJob(make_sessionmaker(engine), log, TZ, now=lambda: datetime(2026, 11, 20, 21, tzinfo=UTC)), log


def _bulk_insert(log: SqliteEventLog, events: list[Event]) -> None:
    """Straight into the log's table, one transaction (the recorder's path is not measured here)."""
    insert = f"INSERT OR IGNORE INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    connection = log._connection()
    connection.execute("BEGIN")
    connection.executemany(insert, (to_row(e) for e in events))
    connection.execute("COMMIT")


def _day_of(job: RollupJob, log: SqliteEventLog, size: int, seed: int) -> tuple[_Events, float]:
    """Store `size` events over the day's first 20 hours and roll them up as they grew;
    returns the generator (for more ads) and the seconds the build took."""
    events = _Events(seed)
    began = time.perf_counter()
    chunks = max(1, -(-size // BUILD_CHUNK))
    for chunk in range(chunks):
        start = DAY_START + BASE_SECONDS * chunk / chunks
        _bulk_insert(log, events.between(size // chunks, start, DAY_START + BASE_SECONDS * (chunk + 1) / chunks))
        job.run()
    return events, time.perf_counter() - began


def _one_run(size: int, whole_day: bool) -> tuple[float, int, float | None, float]:
    """(seconds of the run for the new events, events it read, seconds of a whole-day roll or None, build seconds)."""
    folder = Path(tempfile.mkdtemp(prefix="shelfspace-rollups-"))
    try:
        job, log = _network(folder)
        events, built = _day_of(job, log, size, seed=size) if size else (_Events(0), 0.0)
        start = DAY_START + BASE_SECONDS
        log.append(events.between(NEW_EVENTS, start, start + NEW_EVENTS / 1_000))  # 10 s at 1,000 a second
        began = time.perf_counter()
        read = job.run()
        run = time.perf_counter() - began
        whole = None
        if whole_day:
            from shelfspace.reporting.job import Catalogue

            with session_scope(job.sessions) as db:
                catalogue = Catalogue.load(db)
                began = time.perf_counter()
                job._roll_day(db, "2026-11-20", None, catalogue)
                whole = time.perf_counter() - began
                db.rollback()
        log.close()
        return run, read, whole, built
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _freshness(base: int, rate: int, seconds: float) -> tuple[list[float], list[float], list[int]]:
    """Events stored at `rate` a second for `seconds` on top of a day of `base` events,
    rolled by the runner's loop; per run: its lag, its duration and the events it read."""
    folder = Path(tempfile.mkdtemp(prefix="shelfspace-freshness-"))
    try:
        job, log = _network(folder)
        events, _ = _day_of(job, log, base, seed=base + 1) if base else (_Events(1), 0.0)
        stop = threading.Event()
        nudged = threading.Event()
        t0 = time.monotonic()

        def store() -> None:  # the recorder: a batch every 50 ms, each event timed as it comes
            stored = 0
            while not stop.is_set():
                due = int((time.monotonic() - t0) * rate)
                if due > stored:
                    now = DAY_START + BASE_SECONDS + time.monotonic() - t0
                    log.append(events.between(due - stored, now - 0.05, now))
                    stored = due
                    nudged.set()
                stop.wait(0.05)

        writer = threading.Thread(target=store, daemon=True)
        writer.start()
        lags, durations, reads = [], [], []
        previous_start = time.monotonic()
        while time.monotonic() - t0 < seconds:
            nudged.wait(30)
            time.sleep(GATHER_SECONDS)
            nudged.clear()
            began = time.monotonic()
            reads.append(job.run())
            ended = time.monotonic()
            lags.append(ended - previous_start)
            durations.append(ended - began)
            previous_start = began
        stop.set()
        writer.join()
        log.close()
        return lags, durations, reads
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def rollup_benchmark(
    sizes: tuple[int, ...] = (0, 100_000, 1_000_000),
    whole_day_up_to: int = 1_000_000,
    rate: int = 1_000,
    seconds: float = 30.0,
    freshness_base: int | None = None,
) -> Table:
    """One run's time for 10,000 new events on top of each day size (pass 10_000_000 in
    `sizes` for the full figure: building that day takes minutes), a whole-day roll beside
    it up to `whole_day_up_to`, and freshness at `rate` events a second for `seconds` on top
    of `freshness_base` events (by default the largest size up to 1,000,000: it is built
    again, apart)."""
    table = Table(
        title=f"Rollups (embedded SQLite): one run for {NEW_EVENTS:,} new events, by events already in the day"
    )
    for column in (
        "events already in the day",
        "run for the new events",
        "events the run read",
        "whole-day roll (every run before)",
        "building the day (runs of 150k)",
    ):
        table.add_column(column, justify="right")
    for size in sizes:
        run, read, whole, built = _one_run(size, whole_day=size <= whole_day_up_to)
        table.add_row(
            f"{size:,}",
            f"{run * 1000:,.0f} ms",
            f"{read:,}",
            "-" if whole is None else f"{whole * 1000:,.0f} ms",
            f"{built:,.1f} s" if size else "-",
        )
    base = max(s for s in (*sizes, 0) if s <= 1_000_000) if freshness_base is None else freshness_base
    lags, durations, reads = _freshness(base, rate, seconds)
    table.add_section()
    table.add_row(
        f"freshness on {base:,}",
        f"{rate:,} events/s for {seconds:.0f} s",
        f"{len(durations)} runs, {statistics.mean(reads):,.0f} events each",
        f"run p50 {statistics.median(durations) * 1000:,.0f} ms, max {max(durations) * 1000:,.0f} ms",
        f"lag p50 {statistics.median(lags):.1f} s, max {max(lags):.1f} s",
    )
    return table


if __name__ == "__main__":
    import sys

    from rich.console import Console

    sizes = tuple(int(s) for s in sys.argv[1:]) or (0, 100_000, 1_000_000)
    Console().print(rollup_benchmark(sizes))
