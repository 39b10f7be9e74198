"""Tracking and reports benchmark.

1. Tracking over HTTP: wrk sends `GET /track/impression/{token}` for 200,000 distinct
   signed impressions to the real server (benchmarks/http_server.py, one uvicorn worker,
   so one core for the event loop), beside the bare ASGI endpoint of the same server.
   Every answer comes after the event is on disk; the log is counted after the run.
2. The recorder and the embedded log alone: events appended durably per second, from 16
   threads, as the group commit batches them.
3. Reports over a month of 10,000,000 impressions: rollup rows of that size are written
   straight to SQLite, then the campaign-by-day report is timed (all campaigns, and one).
Measured, never asserted.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.table import Table

HERE = Path(__file__).parent
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["User-Agent"] = "%(agent)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%f %%f %%f %%f %%d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _facts(n: int) -> object:
    from shelfspace.events.model import AdFacts

    return AdFacts(
        ad_id=f"ad_bench{n:09d}",
        placement_id="home-hero",
        advertiser_id="adv_b",
        campaign_id="cmp_b",
        line_item_id="li_b",
        creative_id="crv_b",
        sku=None,
        pricing="cpm",
        price_micros=2_500_000,
        user_id=f"u{n % 50_000}",
        served_at=int(time.time()),
        budget_day=datetime.now(UTC).date().isoformat(),
    )


def over_http(seconds: int, connections: int, tokens: int) -> tuple[dict[str, float], dict[str, float], int]:
    from benchmarks.decisions import BARE_SCRIPT, wrk
    from benchmarks.run import start_server
    from shelfspace.config import Settings
    from shelfspace.db.engine import make_engine
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.events.model import EventType
    from shelfspace.events.sqlite_log import SqliteEventLog
    from shelfspace.tracking.keys import load_signer

    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-tracking-"))
    work = Path(tempfile.mkdtemp(prefix="shelfspace-wrk-"))
    server, base = start_server(data_dir)
    try:
        engine = make_engine(Settings(data_dir=data_dir).sqlalchemy_url())
        with session_scope(make_sessionmaker(engine)) as db:
            signer = load_signer(db, datetime.now(UTC))
        expires = int(time.time()) + 3600
        paths = [
            f"/track/impression/{signer.sign(EventType.IMPRESSION, _facts(n), expires)}"  # type: ignore[arg-type]
            for n in range(tokens)
        ]
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        (work / "track.lua").write_text(WRK_SCRIPT % {"paths": work / "paths.txt", "agent": BROWSER})
        (work / "bare.lua").write_text(BARE_SCRIPT)
        wrk(f"{base}/__bare", work / "bare.lua", 2, connections)
        bare = wrk(f"{base}/__bare", work / "bare.lua", seconds, connections)
        tracked = wrk(f"{base}/", work / "track.lua", seconds, connections)
        time.sleep(0.5)
        log = SqliteEventLog(data_dir / "events.db")
        stored, position = 0, 0
        while batch := log.read(after=position, limit=100_000):
            stored, position = stored + len(batch), batch[-1][0]
        log.close()
        return bare, tracked, stored
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def in_process(events: int, threads: int) -> float:
    from shelfspace.counters.memory import MemoryCounters
    from shelfspace.events.model import Event, EventType, ad_event_key
    from shelfspace.events.sqlite_log import SqliteEventLog
    from shelfspace.tracking.recorder import Recorder

    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-log-"))
    log = SqliteEventLog(data_dir / "events.db")
    recorder = Recorder(log, MemoryCounters(), budgets=lambda _: None)
    recorder.start()
    per_thread = events // threads
    now = time.time()

    def send(offset: int) -> None:
        for n in range(offset, offset + per_thread):
            facts = _facts(n)
            recorder.record_now(
                [
                    Event(
                        ad_event_key(EventType.IMPRESSION, facts.ad_id),
                        EventType.IMPRESSION,  # type: ignore[attr-defined]
                        now,
                        facts,
                        facts.user_id,
                    )
                ]
            )  # type: ignore[arg-type, attr-defined]

    workers = [threading.Thread(target=send, args=(t * per_thread,)) for t in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    recorder.stop()
    log.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return per_thread * threads / elapsed


def report_queries(events: int, repeats: int = 7) -> list[tuple[str, float, float, int]]:
    """Rollup rows for a month of `events` impressions; (query, median ms, p95 ms, rows)."""
    from sqlalchemy import insert

    from shelfspace.config import Settings
    from shelfspace.core.attribution import Windows
    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import upgrade
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.reporting.models import RollupDay, RollupHour, RollupInteraction
    from shelfspace.reporting.report import Grouping, ReportQuery, build_report

    rng = random.Random(5)
    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-reports-"))
    engine = make_engine(Settings(data_dir=data_dir).sqlalchemy_url())
    upgrade(engine)
    first = date(2026, 10, 1)
    campaigns, line_items_per, creatives_per = 50, 4, 2
    ads = [
        (f"cmp_{c:03d}", f"li_{c:03d}_{li}", f"crv_{c:03d}_{li}_{cr}", f"p{(c + li) % 10}")
        for c in range(campaigns)
        for li in range(line_items_per)
        for cr in range(creatives_per)
    ]
    per_row = max(1, events // (30 * 24 * len(ads)))
    sessions = make_sessionmaker(engine)
    hours: list[dict[str, object]] = []
    for day in range(30):
        for hour in range(24):
            for campaign, line_item, creative, placement in ads:
                hours.append(
                    {
                        "day": (first + timedelta(days=day)).isoformat(),
                        "hour": hour,
                        "advertiser_id": f"adv_{campaign[-3:]}",
                        "campaign_id": campaign,
                        "line_item_id": line_item,
                        "creative_id": creative,
                        "placement_id": placement,
                        "channel": "web",
                        "sku": "",
                        "impressions": per_row,
                        "viewable_impressions": per_row // 2,
                        "clicks": per_row // 100,
                        "spend_micros": per_row * 2500,
                        "invalid_impressions": 0,
                        "invalid_viewable_impressions": 0,
                        "invalid_clicks": 0,
                    }
                )
    days: dict[tuple[object, ...], dict[str, object]] = {}
    for row in hours:
        key = tuple(row[k] for k in ("day", "campaign_id", "line_item_id", "creative_id"))
        day = days.setdefault(
            key,
            {k: v for k, v in row.items() if k != "hour"}
            | {m: 0 for m in ("impressions", "viewable_impressions", "clicks", "spend_micros")},
        )
        for m in ("impressions", "viewable_impressions", "clicks", "spend_micros"):
            day[m] = int(day[m]) + int(row[m])  # type: ignore[call-overload]
    with session_scope(sessions) as db:
        db.execute(insert(RollupHour), hours)
        db.execute(insert(RollupDay), list(days.values()))
    written = 0
    batch: list[dict[str, object]] = []
    total = per_row * len(hours)
    with session_scope(sessions) as db:
        for row in hours:
            for _ in range(int(row["impressions"])):  # type: ignore[call-overload]
                written += 1
                batch.append(
                    {
                        "ad_id": f"ad{written:010d}",
                        "kind": "view",
                        "day": row["day"],
                        "hour": row["hour"],
                        "time": 0.0,
                        "user_id": f"u{rng.randrange(500_000)}",
                        **{
                            k: row[k]
                            for k in (
                                "advertiser_id",
                                "campaign_id",
                                "line_item_id",
                                "creative_id",
                                "placement_id",
                                "channel",
                                "sku",
                            )
                        },
                    }
                )
                if len(batch) == 100_000:
                    db.execute(insert(RollupInteraction), batch)
                    batch.clear()
        if batch:
            db.execute(insert(RollupInteraction), batch)
    timings = []
    month = (first, first + timedelta(days=29))
    for label, query in (
        ("campaign by day, all 50 campaigns", ReportQuery(*month, (Grouping.DAY, Grouping.CAMPAIGN))),
        (
            "campaign by day, one campaign",
            ReportQuery(*month, (Grouping.DAY, Grouping.CAMPAIGN), campaign_id="cmp_007"),
        ),
    ):
        samples, rows = [], 0
        for _ in range(repeats):
            with session_scope(sessions) as db:
                started = time.perf_counter()
                rows = len(build_report(db, query, Windows(), "UTC").rows)
                samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        timings.append(
            (label, statistics.median(samples), samples[int(len(samples) * 0.95) - 1 if len(samples) > 1 else 0], rows)
        )
    engine.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
    timings.insert(0, (f"(rows: {len(hours):,} hourly, {total:,} impressions)", 0.0, 0.0, 0))
    return timings


def tracking_benchmark(seconds: int, connections: int, events: int) -> list[Table]:
    http = Table(title=f"Tracking over loopback HTTP, wrk {connections} connections, {seconds}s, one uvicorn worker")
    for column in ("endpoint", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "throughput / bare"):
        http.add_column(column, justify="right")
    if shutil.which("wrk"):
        bare, tracked, stored = over_http(seconds, connections, 200_000)
        http.add_row(
            "bare ASGI (baseline)",
            f"{bare['per_s']:,.0f}",
            f"{bare['p50']:.2f}",
            f"{bare['p99']:.2f}",
            f"{bare['p999']:.2f}",
            "1.00",
        )
        http.add_row(
            f"GET /track/impression (durable; {stored:,} events in the log)",
            f"{tracked['per_s']:,.0f}",
            f"{tracked['p50']:.2f}",
            f"{tracked['p99']:.2f}",
            f"{tracked['p999']:.2f}",
            f"{tracked['per_s'] / bare['per_s']:.2f}",
        )
    else:
        http.add_row("skipped: wrk is not installed (scripts/bench installs it as root)", "", "", "", "", "")
    recorder = Table(title="Recorder and embedded event log alone (SQLite WAL, synchronous=FULL, group commit)")
    recorder.add_column("threads", justify="right")
    recorder.add_column("events/s durable", justify="right")
    recorder.add_row("16", f"{in_process(100_000, 16):,.0f}")
    reports = Table(title=f"GET /v1/reports over a month of {events:,} impressions (SQLite), {7} runs")
    for column in ("query", "median ms", "p95 ms", "rows"):
        reports.add_column(column, justify="right")
    for label, median, p95, rows in report_queries(events):
        reports.add_row(
            label, f"{median:.1f}" if rows else "", f"{p95:.1f}" if rows else "", f"{rows:,}" if rows else ""
        )
    return [http, recorder, reports]


if __name__ == "__main__":
    from rich.console import Console

    sys.path.insert(0, str(HERE.parent))
    for table in tracking_benchmark(5, 16, 10_000_000):
        Console().print(table)
