"""/metrics with several API processes: whichever process a scrape reaches, it counts every
process's requests (prometheus_client's multiprocess mode, set up by `serve --workers N`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres
from tests.production.cluster import cluster, redis_url_of_test_db
from tests.servers import BOOTSTRAP

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REQUESTS = 60
HEALTHZ = re.compile(r'^shelfspace_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', re.M)


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url.replace("postgresql+psycopg://", "postgresql://")


def healthz_count(url: str) -> float:
    """What one scrape, on a new connection (so any process may answer), says of /healthz."""
    with httpx.Client(base_url=url, timeout=10) as fresh:
        text = fresh.get("/metrics", headers={"Authorization": f"Bearer {BOOTSTRAP}"}).text  # the operator's key
    found = HEALTHZ.search(text)
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_every_process(tmp_path: Path, database_url: str) -> None:
    with cluster(tmp_path, database_url, redis_url_of_test_db(), api_processes=2, workers=0) as running:
        before = healthz_count(running.url)  # the start-up wait's own health checks
        for _ in range(REQUESTS):
            with httpx.Client(base_url=running.url, timeout=10) as fresh:  # new connections spread over both
                assert fresh.get("/healthz").status_code == 200
        scrapes = [healthz_count(running.url) for _ in range(6)]
    assert scrapes == [before + REQUESTS] * len(scrapes), (before, scrapes)
