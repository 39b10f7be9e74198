"""Every counters test runs on the in-process backend and on the real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import BudgetLimits, Counters, Hold
from tests.databases import missing

REDIS_URL = os.environ.get("SHELFSPACE_TEST_REDIS", "redis://127.0.0.1:6379/0")

CountersFactory = Callable[[], Counters]


def redis_or_skip():  # type: ignore[no-untyped-def]
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except RedisDown:
        missing(f"Redis is not reachable at {REDIS_URL} (set SHELFSPACE_TEST_REDIS)")
    return client


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-steering", marks=pytest.mark.redis),
    ]
)
def new_counters(request: pytest.FixtureRequest) -> Iterator[CountersFactory]:
    """Makes empty counters of the backend under test (each under its own Redis prefix);
    `redis-steering` is production's: steering reads from the process's own copy."""
    if request.param == "memory":
        yield MemoryCounters
        return
    from shelfspace.counters.redis import STEERING_SECONDS, RedisCounters

    client = redis_or_skip()
    prefixes: list[str] = []

    made: list[RedisCounters] = []

    def make() -> Counters:
        for earlier in made:  # a test uses the last it made: the others' threads stop
            earlier.close()
        made.clear()
        prefixes.append(f"test:{uuid.uuid4().hex}:")
        counters = RedisCounters(
            client, prefixes[-1], steering_seconds=STEERING_SECONDS if request.param == "redis-steering" else 0.0
        )
        counters.restore([])  # a new network: nothing charged yet
        made.append(counters)
        return counters

    yield make
    for counters in made:
        counters.close()
    for prefix in prefixes:
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def hold(ad_id: str, limits: BudgetLimits, micros: int, expires_at: float) -> Hold:
    """What a served ad holds, as its billable event would say."""
    return Hold(ad_id, limits.campaign_id, limits.day, micros, expires_at)


def live(held: Hold, now: float) -> Hold | None:
    """A hold as an event at `now` gives it: none once it has lapsed (tracking/recorder.py)."""
    return held if held.expires_at > now else None
