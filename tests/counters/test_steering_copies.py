"""Production's steering copies (RedisCounters with `steering_seconds`): several processes,
each with its own copy, never reserve or charge past a budget; a process sees its own
steps at once and the others' within `steering_seconds`."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from shelfspace.counters.protocol import BudgetLimits, Charge
from shelfspace.counters.redis import RedisCounters
from tests.counters.conftest import redis_or_skip

pytestmark = pytest.mark.redis

DAY = "2026-12-04"
PRICE = 2_500
ADS = 200
LIMITS = BudgetLimits("cmp_steer", DAY, total_micros=PRICE * ADS, daily_micros=None)


@pytest.fixture
def processes() -> Iterator[list[RedisCounters]]:
    """Four 'processes': counters with their own copies, sharing one Redis prefix."""
    client = redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    each = [RedisCounters(client, prefix, steering_seconds=0.25) for _ in range(4)]
    each[0].restore([])
    yield each
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def test_four_processes_with_copies_never_pass_the_budget(processes: list[RedisCounters]) -> None:
    served: list[str] = []
    lock = threading.Lock()

    def serve(counters: RedisCounters, worker: int) -> None:
        for n in range(150):
            ad = f"ad-{worker}-{n}"
            # Steer as the engine does: skip the campaign when the (maybe stale) copy says spent.
            if counters.budget_use(LIMITS.campaign_id, DAY).left(LIMITS) < PRICE:
                continue
            if counters.reserve(ad, LIMITS, PRICE, time.time() + 60):
                with lock:
                    served.append(ad)
                counters.settle_all([Charge(ad, LIMITS, PRICE)])

    threads = [threading.Thread(target=serve, args=(processes[i % 4], i)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = RedisCounters(processes[0].redis, processes[0].prefix).budget_use(LIMITS.campaign_id, DAY)
    assert fresh.spent_total == len(served) * PRICE == ADS * PRICE, (fresh, len(served))
    assert fresh.reserved_total == 0


def test_own_steps_show_at_once_and_others_within_the_steering_time(processes: list[RedisCounters]) -> None:
    mine, theirs = processes[0], processes[1]
    assert theirs.budget_use(LIMITS.campaign_id, DAY).reserved_total == 0  # their copy, taken now
    assert mine.budget_use(LIMITS.campaign_id, DAY).reserved_total == 0
    assert mine.reserve("ad-1", LIMITS, PRICE, time.time() + 60)
    assert mine.budget_use(LIMITS.campaign_id, DAY).reserved_total == PRICE  # its own reservation, at once
    deadline = time.monotonic() + 5
    while theirs.budget_use(LIMITS.campaign_id, DAY).reserved_total != PRICE:
        assert time.monotonic() < deadline, "another process never saw the reservation"
        time.sleep(0.01)
    assert mine.settle_all([Charge("ad-1", LIMITS, PRICE)]) == [PRICE]
    settled = mine.budget_use(LIMITS.campaign_id, DAY)
    assert (settled.spent_total, settled.reserved_total) == (PRICE, 0)  # a charge drops the copy
