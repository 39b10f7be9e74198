"""The in-process counters under concurrency: a campaign never spends more than its budget,
whatever the number of threads serving it, and forgotten reservations come back."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import BudgetLimits
from shelfspace.decisioning.engine import Engine
from shelfspace.decisioning.index import compile_snapshot
from shelfspace.decisioning.inventory import (
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    Pacing,
    Pricing,
)
from shelfspace.decisioning.request import DecisionRequest, SlotRequest
from tests.decisioning.golden import FixedClock

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
DAY = NOW.date().isoformat()
THREADS = 8


def test_threads_serving_one_campaign_never_overspend_it() -> None:
    """8 threads ask for ads from one campaign with room for 200; every served ad is settled."""
    budget = 1_000_000  # 1.00
    placement = LivePlacement("hero", "web", "native", (), 5_000_000, 1)  # alone, it pays the floor
    campaign = LiveCampaign("c1", "a1", NOW - timedelta(days=1), NOW + timedelta(days=1), budget, None,
                            Pacing.ASAP, 0)
    line_item = LiveLineItem("li1", "c1", "a1", Pricing.CPM, 5_000_000, frozenset({"hero"}),
                             creatives=(LiveCreative("cr1", "native", title="Ad"),))
    snapshot = compile_snapshot(Inventory({"hero": placement}, {"a1": LiveAdvertiser("a1")}, {"c1": campaign},
                                          (line_item,), {}), 1, NOW, ZoneInfo("UTC"))
    counters = MemoryCounters()
    engine = Engine(counters, FixedClock(NOW))
    limits = BudgetLimits("c1", DAY, budget, None)
    served: list[int] = []
    start = threading.Barrier(THREADS)

    def serve() -> None:
        start.wait()
        for _ in range(60):
            for ad in engine.decide(snapshot, DecisionRequest((SlotRequest("hero"),))).ads["hero"]:
                served.append(counters.settle(ad.ad_id, limits, ad.reserved_micros))

    workers = [threading.Thread(target=serve) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    use = counters.budget_use("c1", DAY)
    assert len(served) == 200, "each ad costs 0.005 (5.00 CPM): exactly 200 fit in 1.00"
    assert use.spent_total == sum(served) == budget
    assert use.reserved_total == 0


@settings(max_examples=200, deadline=None)
@given(
    budget=st.integers(1, 10_000_000),
    daily=st.one_of(st.none(), st.integers(1, 10_000_000)),
    steps=st.lists(st.tuples(st.sampled_from(["reserve", "settle", "release", "expire"]),
                             st.integers(1, 3_000_000), st.booleans()), max_size=60),
)
def test_spend_and_reservations_never_pass_the_budget(budget: int, daily: int | None,
                                                      steps: list[tuple[str, int, bool]]) -> None:
    """Any mix of reservations, settlements (even for more than reserved, as a CPC click
    costs more than its expected cost), releases and expiries: a reservation is granted only
    within what is left, and what is spent never exceeds either budget."""
    counters = MemoryCounters()
    limits = BudgetLimits("c1", DAY, budget, daily)
    held: list[str] = []
    clock = 0.0
    for n, (action, amount, early) in enumerate(steps):
        clock += 1
        if action == "reserve":
            left = counters.budget_use("c1", DAY).left(limits)
            granted = counters.reserve(f"r{n}", limits, amount, clock + (0.5 if early else 100))
            assert granted == (amount <= left)
            if granted:
                held.append(f"r{n}")
        elif action == "settle":
            counters.settle(held.pop(0) if held else None, limits, amount)
        elif action == "release" and held:
            counters.release(held.pop(random.Random(n).randrange(len(held))))
        elif action == "expire":
            counters.release_expired(clock)
        use = counters.budget_use("c1", DAY)
        assert use.spent_total <= budget
        if daily is not None:
            assert use.spent_day <= daily
        assert use.reserved_total >= 0


def test_expired_reservations_are_released_once() -> None:
    counters = MemoryCounters()
    limits = BudgetLimits("c1", DAY, 100, None)
    assert counters.reserve("early", limits, 40, expires_at=10)
    assert counters.reserve("late", limits, 40, expires_at=20)
    assert not counters.reserve("refused", limits, 40, expires_at=30)
    counters.settle("early", limits, 40)  # its event came: nothing to release later
    assert counters.release_expired(15) == 0
    assert counters.release_expired(25) == 1
    assert counters.budget_use("c1", DAY).reserved_total == 0
    assert counters.reserve("again", limits, 60, expires_at=40)
