"""Production-mode load: decisions and tracking events per second across processes.

A fresh PostgreSQL database is seeded with the synthetic network (1,000 line items by
default); Redis holds the counters (a logical database of its own, flushed first). The
server is uvicorn with N worker processes, each serving the real app in production mode
with the bare ASGI endpoint beside it (benchmarks/production_server.py), plus one
`shelfspace worker` rolling up. wrk drives, for N = 1 and 2:
- the bare endpoint (the baseline of the same processes on the same port);
- `POST /v1/decisions` (budgets reserved in Redis);
- `GET /track/impression/...` on URLs of ads served beforehand, each sent once: each is
  charged in Redis and committed to the PostgreSQL event log before its 204.
Measured, never asserted; the table gives throughput, p50 and p99, the ratio to the bare
endpoint, and how throughput grows from 1 to 2 processes on this machine.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.table import Table

from benchmarks.decisions import BARE_SCRIPT, WRK_SCRIPT, Measured, bodies, wrk

HERE = Path(__file__).parent
REDIS_DB = 12
KEY = "benchmark-bootstrap-key-0123456789abcdef"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
TRACKING_SCRIPT = """
local urls = {}
for line in io.lines("%(urls)s") do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i + 1
  if i > #urls then i = 1 end
  return wrk.format("GET", urls[i], {["User-Agent"] = "%(ua)s"})
end
"""


def seed(database_url: str, line_items: int) -> None:
    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import upgrade
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.sim.synthetic import seed_synthetic_network
    from sqlalchemy.engine import make_url

    engine = make_engine(make_url(database_url.replace("postgresql://", "postgresql+psycopg://")))
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as db:
        seed_synthetic_network(db, line_items, datetime.now(UTC))
    engine.dispose()


def start(env: dict[str, str], processes: int, port: int) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    server = subprocess.Popen([sys.executable, str(HERE / "production_server.py"), "--port", str(port),
                               "--workers", str(processes)], env=env)
    worker = subprocess.Popen([sys.executable, "-m", "shelfspace", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from benchmarks.run import wait_healthy

    wait_healthy(f"http://127.0.0.1:{port}", [server, worker])
    return server, worker


def impression_paths(base: str, requests: list[dict[str, object]], wanted: int) -> list[str]:
    """Paths of `wanted` impression URLs of ads really served (one decision each, fresh users)."""
    paths: list[str] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        n = 0
        while len(paths) < wanted:
            body = dict(requests[n % len(requests)]) | {"user": {"id": f"bench-{n}"}}
            n += 1
            answer = client.post("/v1/decisions", json=body).json()
            for ads in answer["decisions"].values():
                paths.extend(httpx.URL(ad["tracking"]["impression"]).raw_path.decode() for ad in ads)
            if n > wanted * 20:
                raise RuntimeError("the synthetic network serves too few ads for the tracking benchmark")
    return paths[:wanted]


def run_one(env: dict[str, str], processes: int, requests: list[dict[str, object]], seconds: int,
            connections: int, work: Path) -> dict[str, Measured]:
    from benchmarks.run import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, worker = start(env, processes, port)
    try:
        wrk(f"{base}/__bare", work / "bare.lua", 2, connections)  # warm up every process
        wrk(f"{base}/", work / "decisions.lua", 2, connections)
        bare = wrk(f"{base}/__bare", work / "bare.lua", seconds, connections)
        decided = wrk(f"{base}/", work / "decisions.lua", seconds, connections)
        # Enough distinct impressions for the run at the rate just measured for decisions.
        paths = impression_paths(base, requests, max(2000, int(decided["per_s"] * seconds * 1.5)))
        (work / "urls.txt").write_text("\n".join(paths) + "\n")
        (work / "tracking.lua").write_text(TRACKING_SCRIPT % {"urls": work / "urls.txt", "ua": BROWSER_UA} + BARE_SCRIPT)
        tracked = wrk(f"{base}/", work / "tracking.lua", seconds, connections)
        return {"bare": bare, "decisions": decided, "tracking": tracked}
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=30)


def production_benchmark(line_items: int, seconds: int, connections: int) -> list[Table]:
    from redis import Redis

    from tests.databases import fresh_postgres

    table = Table(title=f"Production mode, {line_items:,} line items: PostgreSQL + Redis, wrk {connections} "
                        f"connections, {seconds}s each, one rollup worker (ms)")
    for column in ("processes", "endpoint", "req/s", "p50", "p99", "throughput / bare", "vs 1 process"):
        table.add_column(column, justify="right")
    if shutil.which("wrk") is None:
        table.add_row("-", "skipped: wrk is not installed (scripts/bench installs it as root)", "", "", "", "", "")
        return [table]
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        Redis.from_url(redis_url).ping()
    except Exception as error:
        table.add_row("-", f"skipped: Redis is not reachable at {redis_url} ({error})", "", "", "", "", "")
        return [table]
    requests = bodies(2000)
    work = Path(tempfile.mkdtemp(prefix="shelfspace-production-bench-"))
    (work / "bodies.txt").write_text("\n".join(json.dumps(b) for b in requests) + "\n")
    (work / "decisions.lua").write_text(WRK_SCRIPT % {"bodies": work / "bodies.txt"})
    (work / "bare.lua").write_text(BARE_SCRIPT)
    first: dict[str, Measured] = {}
    try:
        for processes in (1, 2):
            Redis.from_url(redis_url).flushdb()
            try:
                with fresh_postgres() as url:
                    database_url = url.replace("postgresql+psycopg://", "postgresql://")
                    seed(database_url, line_items)
                    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFSPACE_")} | {
                        "SHELFSPACE_DATABASE_URL": database_url, "SHELFSPACE_REDIS_URL": redis_url,
                        "SHELFSPACE_BOOTSTRAP_KEY": KEY, "SHELFSPACE_DATA_DIR": str(work / "data")}
                    measured = run_one(env, processes, requests, seconds, connections, work)
            except BaseException as error:  # pytest's skip outside pytest: PostgreSQL not reachable
                if isinstance(error, KeyboardInterrupt):
                    raise
                table.add_row(str(processes), f"failed or skipped: {str(error)[:80]}", "", "", "", "", "")
                continue
            first = first or measured
            for label, name in (("bare ASGI (baseline)", "bare"), ("POST /v1/decisions", "decisions"),
                                ("GET /track/impression", "tracking")):
                m = measured[name]
                table.add_row(str(processes) if name == "bare" else "", label, f"{m['per_s']:,.0f}",
                              f"{m['p50']:.2f}", f"{m['p99']:.2f}", f"{m['per_s'] / measured['bare']['per_s']:.2f}",
                              f"{m['per_s'] / first[name]['per_s']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        Redis.from_url(redis_url).flushdb()
    return [table]


if __name__ == "__main__":
    from rich.console import Console

    sys.path.insert(0, str(HERE.parent))
    random.seed(1)
    for result in production_benchmark(1000, 5, 16):
        Console().print(result)
