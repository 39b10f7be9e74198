"""Shelfspace benchmarks: one command, one table.

1. HTTP latency of management API calls on a real uvicorn server, each compared with a
   bare ASGI endpoint on the same server in the same run (ratio of medians).
2. Product feed import (10,000 rows of CSV) on SQLite and, when reachable, PostgreSQL.
3. Decisions (benchmarks/decisions.py): the engine in-process and `POST /v1/decisions`
   under wrk beside the bare endpoint, for networks of 100, 1,000 and 10,000 line items.
4. Tracking and reports (benchmarks/tracking.py): durable tracking events per second over
   HTTP and in-process, and report queries over a month of 10 million impressions.
5. Production mode (benchmarks/production.py): decisions and tracking events per second
   with PostgreSQL and Redis, on 1 and 2 server processes, beside the bare endpoint.
6. Audiences (benchmarks/audiences.py): the segment lookup of every decision beside a bare
   dict lookup, new events taken in, everyone evaluated again, a rule counted.
7. Plumbing (benchmarks/overheads.py): what the metrics middleware, the fast lane of the
   hot routes and FastAPI's routing each add to a bare ASGI call, in-process.
8. Rollups (benchmarks/rollups.py): one run's time for 10,000 new events on top of days of
   0, 100,000 and 1,000,000 events (`--rollup-sizes` up to 10,000,000), beside a whole-day
   roll, and how fresh reports stay at a sustained rate.
9. Forecasts (benchmarks/forecasts.py): the baseline's replay of 14 days of a 1% sample of a
   million requests a day (1,000 line items) beside the engine's own decisions, and the
   forecasts of several proposals against it (p50 to max).

Numbers are measured, never asserted: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))  # for tests.databases (fresh PostgreSQL)

KEY = "benchmark-bootstrap-key-0123456789abcdef"
console = Console(width=150)  # wide tables stay readable when printed to a file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, key: str = KEY) -> tuple[subprocess.Popen[bytes], str]:
    """benchmarks/http_server.py on a free port, once healthy: (process, base URL)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "http_server.py"), "--port", str(port), "--data-dir",
                               str(data_dir), "--bootstrap-key", key])
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, [server])
    return server, base


def wait_healthy(base: str, processes: list[subprocess.Popen[bytes]], seconds: float = 60) -> None:
    """Until `base`/healthz answers 200; the processes are killed if it never does or one exits."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            for process in processes:
                process.kill()
            raise RuntimeError(f"the benchmark server at {base} did not start")
        time.sleep(0.1)


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] if len(samples) > 1 else samples[0]


def timed(call: Callable[[int], httpx.Response], count: int) -> list[float]:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        response = call(i)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text}")
    return samples


def http_benchmark(requests: int) -> Table:
    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-bench-"))
    server, base = start_server(data_dir)
    try:
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"})
        api.post("/v1/placements", json={"id": "home-hero", "name": "Home hero", "channel": "web",
                                         "format": "banner", "sizes": ["300x250"], "floor_cpm": 2})
        advertiser = api.post("/v1/advertisers", json={"name": "Bench", "domain": "bench.example"}).json()
        for i in range(50):
            api.post("/v1/campaigns", json={"advertiser_id": advertiser["id"], "name": f"c{i}",
                                            "start": "2026-12-01T00:00:00Z", "budget_total": 100,
                                            "budget_daily": 10})
        cases: list[tuple[str, Callable[[int], httpx.Response]]] = [
            ("bare ASGI endpoint (baseline)", lambda i: api.get("/__bare")),
            ("GET /healthz", lambda i: api.get("/healthz")),
            ("GET /v1/placements/{id}", lambda i: api.get("/v1/placements/home-hero")),
            ("GET /v1/campaigns?limit=50", lambda i: api.get("/v1/campaigns?limit=50")),
            ("POST /v1/advertisers", lambda i: api.post("/v1/advertisers", json={"name": f"A{i}", "domain": "a.example"})),
            ("PATCH /v1/placements/{id}", lambda i: api.patch("/v1/placements/home-hero", json={"floor_cpm": 2 + i % 7})),
        ]
        for _, call in cases:  # warm up
            timed(call, 20)
        table = Table(title=f"HTTP, one client, {requests} sequential requests each (ms)")
        for column in ("endpoint", "p50", "p95", "p99", "req/s", "p50 / baseline"):
            table.add_column(column, justify="right" if column != "endpoint" else "left")
        baseline = None
        for name, call in cases:
            samples = timed(call, requests)
            p50 = statistics.median(samples)
            baseline = baseline or p50
            table.add_row(name, f"{p50:.2f}", f"{percentile(samples, 95):.2f}", f"{percentile(samples, 99):.2f}",
                          f"{1000 / statistics.mean(samples):.0f}", f"{p50 / baseline:.1f}x")
        return table
    finally:
        server.terminate()
        server.wait(timeout=15)


def import_benchmark(rows: int, repeats: int) -> Table:
    from shelfspace.accounts.roles import SYSTEM
    from shelfspace.catalog.services.product_feed import OnError, import_feed
    from shelfspace.db.session import make_sessionmaker, session_scope
    from tests.databases import fresh_postgres, migrated_engine, sqlite_url

    feed = ("sku,title,brand,category,price\n" + "".join(
        f"SKU-{i:06d},Product {i},Brand {i % 40},cat-{i % 12}/sub-{i % 5},{i % 100}.99\n" for i in range(rows)
    )).encode()
    table = Table(title=f"Product feed import, {rows:,} CSV rows (best of {repeats})")
    for column in ("database", "first import (create) s", "re-import (update) s", "rows/s"):
        table.add_column(column, justify="right" if column != "database" else "left")

    def measure(label: str, url: str) -> None:
        engine = migrated_engine(url)
        sessions = make_sessionmaker(engine)
        firsts, agains = [], []
        for _ in range(repeats):
            with engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM products")
            for bucket in (firsts, agains):
                started = time.perf_counter()
                with session_scope(sessions) as db:
                    result = import_feed(db, SYSTEM, feed, "text/csv", OnError.SKIP)
                bucket.append(time.perf_counter() - started)
                assert result.imported == rows
        engine.dispose()
        table.add_row(label, f"{min(firsts):.2f}", f"{min(agains):.2f}", f"{rows / min(firsts):,.0f}")

    measure("SQLite (WAL, synchronous=FULL)", sqlite_url(Path(tempfile.mkdtemp())))
    try:
        with fresh_postgres() as url:
            measure("PostgreSQL 127.0.0.1", url)
    except BaseException as exc:  # pytest's skip outside pytest: PostgreSQL not reachable
        table.add_row("PostgreSQL", "skipped", str(exc)[:60], "")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per HTTP case")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the import feed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["http", "import", "decisions", "tracking", "production", "audiences",
                                            "overheads", "rollups", "forecasts"],
                        help="run one benchmark")
    parser.add_argument("--events", type=int, default=10_000_000, help="impressions behind the report benchmark")
    parser.add_argument("--line-items", default="100,1000,10000", help="network sizes for the decision benchmark")
    parser.add_argument("--decisions", type=int, default=5000, help="in-process decisions per size")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per HTTP case")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--users", type=int, default=100_000, help="shoppers in the audience benchmark")
    parser.add_argument("--rollup-sizes", default="0,100000,1000000",
                        help="events already in the day for the rollup benchmark (10000000 takes minutes to build)")
    parser.add_argument("--forecast-runs", type=int, default=30, help="runs of each proposal in the forecast benchmark")
    args = parser.parse_args()
    if args.only in (None, "http"):
        console.print(http_benchmark(args.requests))
    if args.only in (None, "import"):
        console.print(import_benchmark(args.rows, args.repeats))
    if args.only in (None, "decisions"):
        from benchmarks.decisions import decision_benchmark

        sizes = [int(n) for n in args.line_items.split(",")]
        for table in decision_benchmark(sizes, args.decisions, args.seconds, args.connections):
            console.print(table)
    if args.only in (None, "tracking"):
        from benchmarks.tracking import tracking_benchmark

        for table in tracking_benchmark(args.seconds, args.connections, args.events):
            console.print(table)
    if args.only in (None, "production"):
        from benchmarks.production import production_benchmark

        for table in production_benchmark(1000, args.seconds, args.connections):
            console.print(table)
    if args.only in (None, "audiences"):
        from benchmarks.audiences import audience_benchmark

        console.print(audience_benchmark(args.users))
    if args.only in (None, "overheads"):
        from benchmarks.overheads import plumbing_table

        console.print(plumbing_table())
    if args.only in (None, "rollups"):
        from benchmarks.rollups import rollup_benchmark

        console.print(rollup_benchmark(tuple(int(n) for n in args.rollup_sizes.split(","))))
    if args.only in (None, "forecasts"):
        from benchmarks.forecasts import forecast_benchmark

        for table in forecast_benchmark(args.forecast_runs):
            console.print(table)


if __name__ == "__main__":
    main()
