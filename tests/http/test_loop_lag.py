"""The event-loop lag monitor: a stalled loop shows on /metrics, and the monitor stops cleanly.

Each check waits for its condition with a deadline; none sleeps a fixed time and hopes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.http.loop_lag import LAG_BUCKETS, LAG_METRIC, TASK_NAME, LoopLagMonitor
from tests.conftest import new_key
from tests.databases import empty_all_tables
from tests.waiting import wait_for, wait_for_async

STALL_SECONDS = 0.2  # what the tests block the loop for
SEEN_LAG_SECONDS = 0.1  # the least lag such a stall must be recorded as (the sleep may have been part-way)
DEADLINE_SECONDS = 10.0
BLOCKING_PATH = "/test-only/block-the-loop"


def stalls_seen(samples: dict[str, float]) -> float:
    """Observations above SEEN_LAG_SECONDS, from the histogram's cumulative buckets."""
    return samples["count"] - samples[f"le={SEEN_LAG_SECONDS}"]


def samples_of(registry_text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(registry_text):
        if family.name != LAG_METRIC:
            continue
        for sample in family.samples:
            if sample.name == f"{LAG_METRIC}_bucket":
                found[f"le={float(sample.labels['le'])}"] = sample.value
            elif sample.name == f"{LAG_METRIC}_count":
                found["count"] = sample.value
    return found


def monitor_samples(registry: CollectorRegistry) -> dict[str, float]:
    return samples_of(generate_latest(registry).decode())


def test_a_stalled_loop_is_recorded_and_the_monitor_stops() -> None:
    async def scenario() -> tuple[float, set[str]]:
        registry = CollectorRegistry()
        monitor = LoopLagMonitor()
        registry.register(monitor.histogram)
        monitor.start()
        await asyncio.sleep(0)  # the monitor is asleep now
        time.sleep(STALL_SECONDS)  # blocking work on the loop: what the metric is for (not a wait)
        await wait_for_async(
            lambda: stalls_seen(monitor_samples(registry)) >= 1,
            DEADLINE_SECONDS,
            f"the monitor to record the {STALL_SECONDS} s stall",
            interval=0.005,
        )
        seen = stalls_seen(monitor_samples(registry))
        await monitor.stop()
        return seen, {task.get_name() for task in asyncio.all_tasks()}

    seen, left = asyncio.run(scenario())
    assert seen >= 1, f"a {STALL_SECONDS}s stall was not recorded as a lag of at least {SEEN_LAG_SECONDS}s"
    assert TASK_NAME not in left, "the monitor's task outlived stop()"


@pytest.fixture
def blocking_app(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The real app, plus a route that does what the project forbids: sleep on the loop."""
    app: FastAPI = create_app(settings, engine)

    @app.get(BLOCKING_PATH, include_in_schema=False)
    async def block_the_loop() -> dict[str, bool]:
        time.sleep(STALL_SECONDS)  # the behaviour under test, not a wait
        return {"blocked": True}

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


def test_metrics_show_the_lag_of_a_blocking_async_route(blocking_app: TestClient, engine: Engine) -> None:
    scraper = {"Authorization": f"Bearer {new_key(engine, Role.OPERATOR)}"}  # /metrics is the operator's
    exported = samples_of(blocking_app.get("/metrics", headers=scraper).text)
    assert {f"le={float(b)}" for b in LAG_BUCKETS} <= exported.keys(), "the lag histogram is not on /metrics"
    assert blocking_app.get(BLOCKING_PATH).status_code == 200
    wait_for(
        lambda: stalls_seen(samples_of(blocking_app.get("/metrics", headers=scraper).text)) >= 1,
        DEADLINE_SECONDS,
        f"/metrics to show the {STALL_SECONDS} s stall",
    )
