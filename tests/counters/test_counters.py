"""The counters, in-process and on Redis, under concurrency: a campaign never spends more
than its budget, whatever the number of threads serving it; forgotten reservations come
back; and both backends answer every sequence of steps alike."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import RESERVATION_SECONDS, BudgetLimits, BudgetUse, Counters, Hold
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
from tests.counters.conftest import CountersFactory, hold, live
from tests.decisioning.golden import FixedClock
from tests.waiting import wait_for

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
DAY = NOW.date().isoformat()
THREADS = 8


def test_threads_serving_one_campaign_never_overspend_it(new_counters: CountersFactory) -> None:
    """8 threads ask for ads from one campaign with room for 200; every served ad is settled."""
    budget = 1_000_000  # 1.00
    placement = LivePlacement("hero", "web", "native", (), 5_000_000, 1)  # alone, it pays the floor
    campaign = LiveCampaign("c1", "a1", NOW - timedelta(days=1), NOW + timedelta(days=1), budget, None, Pacing.ASAP, 0)
    line_item = LiveLineItem(
        id="li1",
        campaign_id="c1",
        advertiser_id="a1",
        pricing=Pricing.CPM,
        bid_micros=5_000_000,
        placements=frozenset({"hero"}),
        creatives=(LiveCreative(id="cr1", format="native", title="Ad"),),
    )
    snapshot = compile_snapshot(
        Inventory({"hero": placement}, {"a1": LiveAdvertiser("a1")}, {"c1": campaign}, (line_item,), {}),
        1,
        NOW,
        ZoneInfo("UTC"),
    )
    counters = new_counters()
    engine = Engine(counters, FixedClock(NOW))
    limits = BudgetLimits("c1", DAY, budget, None)
    served: list[int] = []
    start = threading.Barrier(THREADS)

    def serve() -> None:
        start.wait()
        for _ in range(60):
            for ad in engine.decide(snapshot, DecisionRequest((SlotRequest("hero"),))).ads["hero"]:
                served.append(
                    counters.settle(
                        hold(ad.ad_id, limits, ad.reserved_micros, NOW.timestamp() + RESERVATION_SECONDS),
                        limits,
                        ad.reserved_micros,
                    )
                )

    workers = [threading.Thread(target=serve) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(served) == 200, "each ad costs 0.005 (5.00 CPM): exactly 200 fit in 1.00"
    assert sum(served) == budget
    # Production's copies may show a step that raced with their read a moment later.
    wait_for(
        lambda: counters.budget_use("c1", DAY) == BudgetUse(budget, budget, 0, 0),
        2,
        "the counters to show every ad charged and nothing held",
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budget=st.integers(1, 10_000_000),
    daily=st.one_of(st.none(), st.integers(1, 10_000_000)),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["reserve", "settle", "release", "expire"]), st.integers(1, 3_000_000), st.booleans()
        ),
        max_size=60,
    ),
)
def test_spend_and_reservations_never_pass_the_budget(
    new_counters: CountersFactory, budget: int, daily: int | None, steps: list[tuple[str, int, bool]]
) -> None:
    """Any mix of reservations, settlements (even for more than reserved, as a CPC click
    costs more than its expected cost), releases and expiries: a reservation is granted only
    within what is left, and what is spent never exceeds either budget."""
    counters = new_counters()
    limits = BudgetLimits("c1", DAY, budget, daily)
    held: list[Hold] = []
    clock = 0.0
    for n, (action, amount, early) in enumerate(steps):
        clock += 1
        if action == "reserve":
            left = counters.budget_use("c1", DAY).left(limits)
            expires_at = clock + (0.5 if early else 100)
            granted = counters.reserve(f"r{n}", limits, amount, expires_at)
            assert granted == (amount <= left)
            if granted:
                held.append(hold(f"r{n}", limits, amount, expires_at))
        elif action == "settle":
            counters.settle(live(held.pop(0), clock) if held else None, limits, amount)
        elif action == "release" and held:
            if (released := live(held.pop(random.Random(n).randrange(len(held))), clock)) is not None:
                counters.release(released)
        elif action == "expire":
            counters.release_expired(clock)
        use = counters.budget_use("c1", DAY)
        assert use.spent_total <= budget
        if daily is not None:
            assert use.spent_day <= daily
        assert use.reserved_total >= 0


def test_expired_reservations_are_released_once(new_counters: CountersFactory) -> None:
    counters = new_counters()
    limits = BudgetLimits("c1", DAY, 100, None)
    assert counters.reserve("early", limits, 40, expires_at=10)
    assert counters.reserve("late", limits, 40, expires_at=20)
    assert not counters.reserve("refused", limits, 40, expires_at=30)
    counters.settle(hold("early", limits, 40, 10), limits, 40)  # its event came: nothing to release later
    assert counters.release_expired(15) == 0
    assert counters.release_expired(25) == 1
    assert counters.budget_use("c1", DAY).reserved_total == 0
    assert counters.reserve("again", limits, 60, expires_at=40)


STEP = st.tuples(
    st.sampled_from(["reserve", "settle", "release", "expire", "frequency", "forget", "ctr"]),
    st.integers(1, 3_000_000),
    st.integers(0, 5),
)


@pytest.mark.redis
@given(
    budget=st.integers(1, 10_000_000),
    daily=st.one_of(st.none(), st.integers(1, 10_000_000)),
    steps=st.lists(STEP, max_size=40),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=60)
def test_redis_answers_every_sequence_of_steps_as_memory_does(
    budget: int, daily: int | None, steps: list[tuple[str, int, int]]
) -> None:
    """The same steps on both backends: the same grants, charges and counts after each."""
    from shelfspace.counters.redis import RedisCounters
    from tests.counters.conftest import redis_or_skip

    client = redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    # Holds lapse per bucket of a second in Redis: at whole-second expiries, when memory's do.
    backends: list[Counters] = [MemoryCounters(), RedisCounters(client, prefix, hold_bucket_seconds=1.0)]
    for backend in backends:
        backend.restore([])
    limits = BudgetLimits("c1", DAY, budget, daily)
    held: list[Hold] = []
    try:
        for n, (action, amount, pick) in enumerate(steps):
            clock = float(n)
            if action == "reserve":
                answers = [b.reserve(f"r{n}", limits, amount, clock + pick) for b in backends]
                if answers[0]:
                    held.append(hold(f"r{n}", limits, amount, clock + pick))
            elif action == "settle":
                settled = live(held.pop(pick % len(held)), clock) if held else None
                answers = [b.settle(settled, limits, amount) for b in backends]
            elif action == "release":
                if not held:
                    continue
                released = live(held.pop(pick % len(held)), clock)
                if released is None:
                    continue
                answers = [b.release(released) for b in backends]
            elif action == "expire":
                answers = [b.release_expired(clock) for b in backends]
            elif action == "frequency":
                answers = [b.count_frequency(f"u{pick}", "li1:2026-12-01", clock + pick) for b in backends]
            elif action == "forget":
                for b in backends:
                    b.forget_expired_frequency(clock)
                answers = [[b.frequency(f"u{k}", "li1:2026-12-01") for k in range(6)] for b in backends]
            else:
                for b in backends:
                    b.count_ctr("cr1", "hero", amount % 7, pick)
                answers = [b.ctr_stats("cr1", "hero") for b in backends]
            assert answers[0] == answers[1], (action, answers)
            assert backends[0].budget_use("c1", DAY) == backends[1].budget_use("c1", DAY)
    finally:
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def test_pacing_round_trips(new_counters: CountersFactory) -> None:
    from shelfspace.counters.protocol import PacingState

    counters = new_counters()
    assert counters.pacing("c1") is None
    state = PacingState(0.25, 12.5, DAY, 1_500_000)
    counters.set_pacing("c1", state)
    assert counters.pacing("c1") == state


def test_restore_sets_spend_to_what_the_log_says(new_counters: CountersFactory) -> None:
    counters = new_counters()
    limits = BudgetLimits("c1", DAY, 1_000_000, 300_000)
    counters.settle(None, limits, 50_000)  # charged since the state began: the log has it too
    counters.restore([("c1", DAY, 200_000), ("c1", "2026-03-09", 100_000), ("c2", DAY, 7)])
    assert counters.restored()
    use = counters.budget_use("c1", DAY)
    assert (use.spent_total, use.spent_day) == (300_000, 200_000)
    assert counters.budget_use("c2", DAY).spent_total == 7
    assert counters.reserve("r1", limits, 100_000, 10.0)
    assert not counters.reserve("r2", limits, 1, 10.0)  # the day's 300,000 is all spent or held


@pytest.mark.redis
def test_redis_grants_nothing_until_spend_is_restored() -> None:
    """After Redis lost its data, spend is unknown: a reservation then could overspend."""
    from shelfspace.counters.redis import RedisCounters
    from tests.counters.conftest import redis_or_skip

    client = redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    counters = RedisCounters(client, prefix)
    limits = BudgetLimits("c1", DAY, 1_000_000, None)
    try:
        assert not counters.restored()
        assert not counters.reserve("r1", limits, 1, 10.0)
        counters.restore([("c1", DAY, 999_999)])
        assert counters.restored()
        assert counters.reserve("r2", limits, 1, 10.0)
        assert not counters.reserve("r3", limits, 1, 10.0)
    finally:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)


def test_a_refund_takes_back_a_charge(new_counters: CountersFactory) -> None:
    counters = new_counters()
    limits = BudgetLimits("c1", DAY, 1_000_000, 500_000)
    assert counters.settle(None, limits, 300_000) == 300_000
    counters.refund("c1", DAY, 300_000)
    use = counters.budget_use("c1", DAY)
    assert (use.spent_total, use.spent_day) == (0, 0)
