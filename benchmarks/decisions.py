"""Decision benchmark: the engine in-process, and `POST /v1/decisions` over loopback HTTP.

For each size of network (live line items), a SQLite database is seeded with the
synthetic network of `shelfspace.sim.synthetic`, and:
- in-process: the snapshot the server would build is loaded and `Engine.decide` timed
  call by call on synthetic requests (decisions/s, p50, p99, p99.9);
- HTTP: the real server (benchmarks/http_server.py, one uvicorn worker) serves that
  database; wrk drives `POST /v1/decisions` and, in the same run on the same server, the
  bare ASGI endpoint; the table gives both throughputs and their ratio.
Measured, never asserted.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from rich.table import Table

HERE = Path(__file__).parent
WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/v1/decisions", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%f %%f %%f %%f %%d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
FRAMEWORK_SCRIPT = WRK_SCRIPT.replace('"/v1/decisions"', '"/__framework"')
BARE_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f %f %f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def seeded_database(line_items: int) -> Path:
    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import upgrade
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.config import Settings
    from shelfspace.sim.synthetic import seed_synthetic_network

    data_dir = Path(tempfile.mkdtemp(prefix=f"shelfspace-decisions-{line_items}-"))
    engine = make_engine(Settings(data_dir=data_dir).sqlalchemy_url())
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as db:
        seed_synthetic_network(db, line_items, datetime.now(UTC))
    engine.dispose()
    return data_dir


def bodies(count: int, seed: int = 42) -> list[dict[str, object]]:
    from shelfspace.sim.synthetic import synthetic_request

    rng = random.Random(seed)
    return [synthetic_request(rng) for _ in range(count)]


def in_process(data_dir: Path, requests: list[dict[str, object]], wallets: bool = False) -> dict[str, float]:
    """`wallets`: every advertiser pays from a wallet (large enough never to run out), so
    each reservation and each budget check also reads the advertiser's funds."""
    from shelfspace.config import Settings
    from shelfspace.core.clock import SystemClock
    from shelfspace.counters.memory import MemoryCounters
    from shelfspace.db.engine import make_engine
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.decisioning.engine import Engine
    from shelfspace.decisioning.index import compile_snapshot
    from shelfspace.delivery.api import to_request
    from shelfspace.delivery.schemas import DecisionIn
    from shelfspace.delivery.snapshot_loader import load_inventory

    engine = make_engine(Settings(data_dir=data_dir).sqlalchemy_url())
    now = datetime.now(UTC)
    with session_scope(make_sessionmaker(engine)) as db:
        started = time.perf_counter()
        inventory = load_inventory(db, now)
        if wallets:
            inventory = replace(inventory, campaigns={
                cid: replace(c, funds_micros=10**15) for cid, c in inventory.campaigns.items()})
        snapshot = compile_snapshot(inventory, 1, now, ZoneInfo("UTC"))
        build = time.perf_counter() - started
    decider = Engine(MemoryCounters(), SystemClock(), rng=random.Random(1))
    parsed = [to_request(DecisionIn.model_validate(b)) for b in requests]
    for request in parsed[:500]:  # warm up
        decider.decide(snapshot, request)
    samples: list[float] = []
    filled = 0
    for request in parsed:
        t0 = time.perf_counter()
        decision = decider.decide(snapshot, request)
        samples.append((time.perf_counter() - t0) * 1000)
        filled += sum(len(ads) for ads in decision.ads.values())
    samples.sort()
    return {
        "build_s": build,
        "per_s": len(samples) / (sum(samples) / 1000),
        "p50": samples[len(samples) // 2],
        "p99": samples[int(len(samples) * 0.99)],
        "p999": samples[int(len(samples) * 0.999)],
        "ads_per_request": filled / len(parsed),
        "line_items": snapshot.line_item_count,
    }


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result: {out}")
    count, duration, p50, p99, p999, errors = match.groups()
    if int(errors):
        raise RuntimeError(f"{errors} errors under load at {url}: {out}")
    return {"per_s": int(count) / float(duration), "p50": float(p50), "p99": float(p99), "p999": float(p999)}


Measured = dict[str, float]


def over_http(data_dir: Path, requests: list[dict[str, object]], seconds: int,
              connections: int) -> tuple[Measured, Measured, Measured, str]:
    """The bare endpoint, the empty FastAPI route and the decisions under wrk, and the event
    loop's lag p99 while the decisions ran (from the server's own /metrics)."""
    from benchmarks.overheads import lag_p99

    from benchmarks.run import KEY, start_server

    server, base = start_server(data_dir)
    work = Path(tempfile.mkdtemp(prefix="shelfspace-wrk-"))
    try:
        check = httpx.post(f"{base}/v1/decisions", json=requests[0])
        if check.status_code != 200:
            raise RuntimeError(f"decision answered {check.status_code}: {check.text}")
        (work / "bodies.txt").write_text("\n".join(json.dumps(b) for b in requests) + "\n")
        (work / "decisions.lua").write_text(WRK_SCRIPT % {"bodies": work / "bodies.txt"})
        (work / "bare.lua").write_text(BARE_SCRIPT)
        (work / "framework.lua").write_text(FRAMEWORK_SCRIPT % {"bodies": work / "bodies.txt"})
        wrk(f"{base}/__bare", work / "bare.lua", 2, connections)  # warm up
        wrk(f"{base}/", work / "decisions.lua", 2, connections)
        bare = wrk(f"{base}/__bare", work / "bare.lua", seconds, connections)
        framework = wrk(f"{base}/", work / "framework.lua", seconds, connections)
        scraper = {"Authorization": f"Bearer {KEY}"}  # /metrics needs the operator's key
        before = httpx.get(f"{base}/metrics", headers=scraper).text
        decisions = wrk(f"{base}/", work / "decisions.lua", seconds, connections)
        lag = lag_p99(before, httpx.get(f"{base}/metrics", headers=scraper).text)
        return bare, framework, decisions, lag
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)


def decision_benchmark(sizes: list[int], requests: int, seconds: int, connections: int) -> list[Table]:
    sample = bodies(requests)
    engine_table = Table(title=f"Decision engine in-process, {requests:,} synthetic requests (ms)")
    for column in ("live line items", "advertisers pay", "snapshot build s", "decisions/s", "p50", "p99", "p99.9",
                   "ads/request", "decisions/s vs no limit"):
        engine_table.add_column(column, justify="right")
    http_table = Table(title=f"POST /v1/decisions over loopback HTTP, wrk {connections} connections, {seconds}s each, "
                             "one uvicorn worker (ms)")
    for column in ("live line items", "endpoint", "req/s", "p50", "p99", "p99.9", "throughput / bare",
                   "p99 / bare p99", "loop lag p99"):
        http_table.add_column(column, justify="right")
    have_wrk = shutil.which("wrk") is not None
    for size in sizes:
        data_dir = seeded_database(size)
        try:
            baseline = in_process(data_dir, sample)
            for label, r in (("credit, no limit (baseline)", baseline),
                             ("from wallets", in_process(data_dir, sample, wallets=True))):
                engine_table.add_row(f"{r['line_items']:,}" if r is baseline else "", label, f"{r['build_s']:.2f}",
                                     f"{r['per_s']:,.0f}", f"{r['p50']:.3f}", f"{r['p99']:.3f}", f"{r['p999']:.3f}",
                                     f"{r['ads_per_request']:.2f}", f"{r['per_s'] / baseline['per_s']:.2f}")
            if have_wrk:
                bare, framework, decided, lag = over_http(data_dir, sample[:2000], seconds, connections)
                for label, m in (("bare ASGI (baseline)", bare), ("empty FastAPI POST", framework),
                                 ("POST /v1/decisions", decided)):
                    http_table.add_row(f"{size:,}" if m is bare else "", label, f"{m['per_s']:,.0f}", f"{m['p50']:.2f}",
                                       f"{m['p99']:.2f}", f"{m['p999']:.2f}", f"{m['per_s'] / bare['per_s']:.2f}",
                                       f"{m['p99'] / bare['p99']:.1f}", lag if m is decided else "")
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    if not have_wrk:
        http_table.add_row("-", "skipped: wrk is not installed (scripts/bench installs it as root)", "", "", "", "", "",
                           "", "")
    return [engine_table, http_table]


if __name__ == "__main__":
    from rich.console import Console

    sys.path.insert(0, str(HERE.parent))
    for table in decision_benchmark([100, 1000, 10_000], 5000, 5, 16):
        Console().print(table)
