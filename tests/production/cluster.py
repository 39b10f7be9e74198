"""A production deployment on this machine, as an operator starts one: `shelfspace serve
--workers N` and `shelfspace worker` processes on the real PostgreSQL and Redis.

Each test gets a fresh PostgreSQL database and a Redis of its own: a logical database of
the shared server, or, for the restart test, a `redis-server` process the test may kill.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.counters.conftest import REDIS_URL
from tests.databases import missing
from tests.servers import BOOTSTRAP, base_env, free_port, start_server
from tests.support import BANNER, HERO_ASK, banner_creative, campaign_body, line_item_body, live_dates
from tests.waiting import wait_for

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
TEST_REDIS_DB = 11  # a logical database of the shared Redis, flushed by each test


def redis_url_of_test_db(flush: bool = True) -> str:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    url = REDIS_URL.rsplit("/", 1)[0] + f"/{TEST_REDIS_DB}"
    if not flush:
        return url
    try:
        Redis.from_url(url).flushdb()
    except RedisDown:
        missing(f"Redis is not reachable at {url} (set SHELFSPACE_TEST_REDIS)")
    return url


class OwnRedis:
    """A `redis-server` of the test's own, without persistence like the shared one: a
    restart loses everything in it, which is what the restart test needs."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed: the Redis restart test needs a server of its own")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from redis import Redis

        def answers() -> bool:
            try:
                return bool(Redis.from_url(self.url).ping())
            except Exception:
                return False

        wait_for(answers, 10, "redis-server to answer a ping", interval=0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class Cluster:
    """API processes behind one port, rollup workers, and what the test sent them."""

    env: dict[str, str]
    url: str
    api: subprocess.Popen[str]
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[str]:
        log = Path(tempfile.mkstemp(prefix="shelfspace-worker-", suffix=".log")[1])
        self.logs.append(log)
        with log.open("w") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "shelfspace", "worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.workers.append(worker)
        return worker

    def api_children(self) -> list[int]:
        """The uvicorn worker processes serving the port (the parent only supervises)."""
        found = subprocess.run(["pgrep", "-P", str(self.api.pid)], capture_output=True, text=True).stdout.split()
        return [
            int(pid)
            for pid in found
            if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        ]

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {BOOTSTRAP}"}, timeout=30)

    def stop(self) -> None:
        for process in [self.api, *self.workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.api, *self.workers]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def cluster(tmp_path: Path, database_url: str, redis_url: str, api_processes: int, workers: int) -> Iterator[Cluster]:
    env = base_env(
        tmp_path,
        SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP,
        SHELFSPACE_DATABASE_URL=database_url,
        SHELFSPACE_REDIS_URL=redis_url,
    )
    log = tmp_path / "api.log"
    api, url = start_server(env, args=("--workers", str(api_processes)), log=log, startup_seconds=60)
    running = Cluster(env, url, api, logs=[log])
    try:
        for _ in range(workers):
            running.start_worker()
        yield running
    finally:
        running.stop()


def build_campaign(admin: httpx.Client, budget_total: float, bid: float = 3.0) -> dict[str, Any]:
    """One CPM banner campaign without a daily budget or pacing: it spends as fast as it serves."""
    assert admin.post("/v1/placements", json=BANNER).status_code == 201
    advertiser = admin.post("/v1/advertisers", json={"name": "Acme", "domain": "acme.example"}).json()
    campaign = admin.post(
        "/v1/campaigns",
        json=campaign_body(
            advertiser["id"], budget_total=budget_total, budget_daily=None, pacing="asap", **live_dates()
        ),
    ).json()
    line_item = admin.post("/v1/line-items", json=line_item_body(campaign["id"], bid=bid, frequency_cap=None)).json()
    assert admin.post("/v1/creatives", json=banner_creative(advertiser["id"], line_item["id"])).status_code == 201
    assert "id" in campaign, campaign
    return campaign


def redis_budget_state(redis_url: str, campaign_id: str) -> dict[str, Any]:
    """What Redis holds for a campaign (spend, holds by bucket): to explain a failure."""
    from redis import Redis

    client = Redis.from_url(redis_url, decode_responses=True)
    return {key: client.hgetall(key) for key in client.scan_iter(f"shelfspace:*{campaign_id}*")} | {
        "epoch": client.get("shelfspace:restored")
    }


def wait_until_serving(url: str, seconds: float = 15, impressions: bool = False) -> None:
    """Until every process serves the new line item: 20 answers in a row with an ad, each on
    a new connection (the kernel spreads new connections over the processes). With
    `impressions`, each ad's impression is sent too, so none holds its budget unseen."""
    in_a_row = [0]

    def twenty_in_a_row() -> bool:
        answer = httpx.post(f"{url}/v1/decisions", json=HERO_ASK, timeout=10)
        served = answer.status_code == 200 and answer.json()["decisions"].get("home-hero")
        if served and impressions:
            for ad in served:
                assert httpx.get(ad["tracking"]["impression"], headers=BROWSER, timeout=10).is_success
        in_a_row[0] = in_a_row[0] + 1 if served else 0
        return in_a_row[0] >= 20

    wait_for(twenty_in_a_row, seconds, "the line item to serve in every process (20 answers in a row)", interval=0.02)


def ad_id_of(tracking_url: str) -> str:
    """The ad id sealed in a tracking URL (read, not verified: the test made the URL)."""
    payload = tracking_url.rsplit("/", 1)[1].split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))[3])


@dataclass
class Load:
    """Threads that ask for ads and send their impressions, until stopped or told how many."""

    url: str
    threads: int = 12
    acknowledged: set[str] = field(default_factory=set)  # ad ids whose impression got a 2xx
    refused: int = 0  # answers that were not a 2xx (a process being killed, the database away)
    statuses: Counter[int] = field(default_factory=Counter)  # every answer's status
    unexpected: list[str] = field(default_factory=list)  # the first answers other than 2xx and 503
    decisions: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._pool.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._pool:
            thread.join(timeout=60)

    def _note(self, answer: httpx.Response) -> None:
        with self._lock:
            self.statuses[answer.status_code] += 1
            if not answer.is_success and answer.status_code != 503 and len(self.unexpected) < 5:
                self.unexpected.append(
                    f"{answer.request.method} {answer.request.url.path[:40]} {answer.status_code} {answer.text[:300]}"
                )

    def _run(self, n: int) -> None:
        user = 0
        with httpx.Client(base_url=self.url, timeout=15, headers=BROWSER) as client:
            while not self._stop.is_set():
                user += 1
                try:
                    answer = client.post("/v1/decisions", json=HERO_ASK | {"user": {"id": f"t{n}-{user}"}})
                    self._note(answer)
                    if answer.status_code != 200:
                        with self._lock:
                            self.refused += 1
                        continue
                    ads = answer.json()["decisions"].get("home-hero", [])
                    with self._lock:
                        self.decisions += 1
                    for ad in ads:
                        sent = client.get(ad["tracking"]["impression"])
                        self._note(sent)
                        with self._lock:
                            if sent.is_success:
                                self.acknowledged.add(ad_id_of(ad["tracking"]["impression"]))
                            else:
                                self.refused += 1
                except httpx.TransportError:  # the process that had the connection was killed
                    with self._lock:
                        self.refused += 1


def log_facts(database_url: str) -> dict[str, Any]:
    """What the event log of record holds, read straight from PostgreSQL."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        counted = {
            row[0]
            for row in connection.execute("SELECT ad_id FROM event_log WHERE type = 'impression' AND invalid IS NULL")
        }
        (charged,) = connection.execute("SELECT COALESCE(SUM(charged_micros), 0) FROM event_log").fetchone() or (0,)
        (rows,) = connection.execute("SELECT COUNT(*) FROM event_log").fetchone() or (0,)
        (unrolled,) = connection.execute("SELECT COUNT(*) FROM event_log WHERE NOT rolled_up").fetchone() or (0,)
    return {"counted_ads": counted, "charged_micros": int(charged), "rows": int(rows), "unrolled": int(unrolled)}


def report_totals(admin: httpx.Client) -> dict[str, Any]:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    answer = admin.get("/v1/reports", params={"group_by": "campaign", "from": "2026-01-01", "to": today})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    return {"impressions": sum(r["impressions"] for r in rows), "spend": sum(r["spend"] for r in rows)}


def wait_for_rollups(database_url: str, seconds: float = 180) -> None:
    """Until the workers have rolled up every stored event."""
    wait_for(
        lambda: not log_facts(database_url)["unrolled"],
        seconds,
        "the workers to roll up every stored event",
        interval=0.5,
    )


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
