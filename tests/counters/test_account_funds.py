"""An advertiser's funds (a wallet, a capped credit line) shared by its campaigns: on the
in-process backend and on the real Redis, nothing is reserved or charged beyond them."""

from __future__ import annotations

import random
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfspace.counters.protocol import BudgetLimits, Hold
from tests.counters.conftest import CountersFactory, hold, live

DAY = "2026-03-10"
FUNDS = 1_000_000  # a wallet of 1.00


def limits(campaign: str, funds: int | None = FUNDS, daily: int | None = None) -> BudgetLimits:
    return BudgetLimits(campaign, DAY, 50_000_000, daily, "adv-1", funds)


def test_two_campaigns_share_one_wallet_across_threads(new_counters: CountersFactory) -> None:
    """Eight threads serve two campaigns of one brand at 5.00 CPM: exactly 200 ads fit in
    the wallet of 1.00, though each campaign's budget would allow 10,000."""
    counters = new_counters()
    served: list[int] = []
    lock = threading.Lock()

    def serve(thread: int) -> None:
        for n in range(60):
            campaign = f"c{(thread + n) % 2}"
            ad = f"t{thread}-{n}"
            if counters.reserve(ad, limits(campaign), 5_000, expires_at=1e12):
                charged = counters.settle(hold(ad, limits(campaign), 5_000, 1e12), limits(campaign), 5_000)
                with lock:
                    served.append(charged)

    workers = [threading.Thread(target=serve, args=(t,)) for t in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(served) == 200 and sum(served) == FUNDS
    use = counters.account_use("adv-1")
    assert (use.spent, use.reserved) == (FUNDS, 0)
    assert counters.budget_use("c0", DAY).spent_total + counters.budget_use("c1", DAY).spent_total == FUNDS


def test_a_charge_is_capped_by_the_funds_left_even_without_a_reservation(new_counters: CountersFactory) -> None:
    counters = new_counters()
    assert counters.settle(None, limits("c0"), 900_000) == 900_000
    assert counters.settle(None, limits("c1"), 300_000) == 100_000  # a click whose reservation had lapsed
    assert counters.settle(None, limits("c1"), 1) == 0
    assert not counters.reserve("late", limits("c0"), 1, expires_at=1e12)
    counters.refund("c1", DAY, 100_000, "adv-1")  # stored twice: given back
    assert counters.account_use("adv-1").spent == 900_000
    assert counters.reserve("after-refund", limits("c0"), 100_000, expires_at=1e12)
    assert not counters.reserve("more", limits("c0", funds=1_000_000), 1, expires_at=1e12)
    assert counters.reserve("topped-up", limits("c0", funds=2_000_000), 1, expires_at=1e12)


def test_no_limit_still_counts_what_the_advertiser_spent(new_counters: CountersFactory) -> None:
    """On credit without a limit nothing is refused, but the spend is counted, so a limit
    set later starts from the truth."""
    counters = new_counters()
    assert counters.settle(None, limits("c0", funds=None), 3_000_000) == 3_000_000
    assert counters.account_use("adv-1").spent == 3_000_000
    assert not counters.reserve("now-limited", limits("c0", funds=2_500_000), 1, expires_at=1e12)


def test_restore_sets_each_account_from_the_log(new_counters: CountersFactory) -> None:
    counters = new_counters()
    counters.restore([("c0", DAY, 600_000), ("c1", DAY, 300_000)], [("adv-1", 900_000), ("adv-2", 5)])
    assert counters.account_use("adv-1").spent == 900_000 and counters.account_use("adv-2").spent == 5
    assert counters.reserve("fits", limits("c0"), 100_000, expires_at=1e12)
    assert not counters.reserve("does-not", limits("c1"), 1, expires_at=1e12)


def test_expired_and_released_reservations_give_the_funds_back(new_counters: CountersFactory) -> None:
    counters = new_counters()
    assert counters.reserve("a", limits("c0"), 600_000, expires_at=10)
    assert counters.reserve("b", limits("c1"), 400_000, expires_at=20)
    assert not counters.reserve("c", limits("c0"), 1, expires_at=30)
    counters.release(hold("b", limits("c1"), 400_000, 20))
    assert counters.release_expired(15) == 1
    assert counters.account_use("adv-1").reserved == 0
    assert counters.reserve("d", limits("c1"), FUNDS, expires_at=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    funds=st.integers(1, 5_000_000),
    daily=st.one_of(st.none(), st.integers(1, 5_000_000)),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["reserve", "settle", "release", "expire"]),
            st.integers(1, 2_000_000),
            st.integers(0, 2),
            st.booleans(),
        ),
        max_size=60,
    ),
)
def test_spend_and_holds_never_pass_the_funds(
    new_counters: CountersFactory, funds: int, daily: int | None, steps: list[tuple[str, int, int, bool]]
) -> None:
    """Any mix over three campaigns of one advertiser: a reservation is granted only within
    both the campaign's budgets and the funds; charges never pass the funds."""
    counters = new_counters()
    held: list[Hold] = []
    clock = 0.0
    for n, (action, amount, campaign_n, early) in enumerate(steps):
        clock += 1
        campaign = f"c{campaign_n}"
        if action == "reserve":
            use = counters.account_use("adv-1")
            left = min(counters.budget_use(campaign, DAY).left(limits(campaign, funds, daily)), use.left(funds))
            expires_at = clock + (0.5 if early else 99)
            granted = counters.reserve(f"r{n}", limits(campaign, funds, daily), amount, expires_at)
            assert granted == (amount <= left)
            if granted:
                held.append(hold(f"r{n}", limits(campaign, funds, daily), amount, expires_at))
        elif action == "settle":
            settled = held.pop(0) if held else None
            counters.settle(
                live(settled, clock) if settled else None,
                limits(settled.campaign_id if settled else campaign, funds, daily),
                amount,
            )
        elif action == "release" and held:
            if (released := live(held.pop(random.Random(n).randrange(len(held))), clock)) is not None:
                counters.release(released)
        elif action == "expire":
            counters.release_expired(clock)
        use = counters.account_use("adv-1")
        assert use.spent <= funds and use.reserved >= 0
        assert use.spent == sum(counters.budget_use(f"c{i}", DAY).spent_total for i in range(3))
