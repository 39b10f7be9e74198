"""Low-balance warnings (billing/low_balance.py): the pure decision, the daily average it
is measured against, and the query that reads that average from the ledger's charges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shelfspace.billing import ledger
from shelfspace.billing.low_balance import (
    DAYS_OF_SPEND,
    LowBalance,
    LowBalanceReason,
    daily_spend,
    funds_used_up,
    low_balance,
    per_day,
)
from shelfspace.billing.models import EntryKind
from shelfspace.db.session import session_scope
from tests.support import Api, runtime

UNIT = 1_000_000
TODAY = date(2026, 6, 15)


def test_unlimited_credit_is_never_warned() -> None:
    assert low_balance(None, 10_000 * UNIT, "USD") is None


@pytest.mark.parametrize("available", [0, -1, -50 * UNIT, 9_999])
def test_less_than_a_cent_available_is_funds_used_up_whatever_the_spend(available: int) -> None:
    """A sliver under a cent is what a wallet that ran dry keeps (no ad fits in it): used up."""
    for spend in (0, 5 * UNIT):
        assert low_balance(available, spend, "USD") == LowBalance(LowBalanceReason.FUNDS_USED_UP, available, spend)
    assert funds_used_up(available, "USD")


def test_used_up_is_one_minor_unit_of_the_currency() -> None:
    assert not funds_used_up(10_000, "USD") and funds_used_up(9_999, "USD")  # a cent
    assert funds_used_up(999_999, "JPY") and not funds_used_up(UNIT, "JPY")  # a yen
    assert not funds_used_up(1_000, "KWD")  # a fils
    assert not funds_used_up(None, "USD")  # credit without a limit


def test_under_three_days_of_spend_is_warned_with_the_days_left() -> None:
    warning = low_balance(25 * UNIT, 10 * UNIT, "USD")
    assert warning is not None and warning.reason is LowBalanceReason.UNDER_DAYS_OF_SPEND
    assert warning.days_left == 2.5
    assert low_balance(DAYS_OF_SPEND * 10 * UNIT - 1, 10 * UNIT, "USD") is not None
    assert low_balance(DAYS_OF_SPEND * 10 * UNIT, 10 * UNIT, "USD") is None  # exactly three days: not yet
    assert low_balance(25 * UNIT, 10 * UNIT, "USD", days=2) is None  # the threshold is a parameter


def test_without_recent_spend_only_used_up_funds_are_warned() -> None:
    assert low_balance(UNIT // 100, 0, "USD") is None  # a cent, with no rate to run out at
    assert LowBalance(LowBalanceReason.FUNDS_USED_UP, 0, 0).days_left is None


def test_the_daily_average_counts_from_the_first_charge_in_the_window() -> None:
    yesterday = TODAY - timedelta(days=1)
    assert per_day(70 * UNIT, TODAY - timedelta(days=7), yesterday) == 10 * UNIT  # the whole window
    assert per_day(70 * UNIT, TODAY - timedelta(days=2), yesterday) == 35 * UNIT  # started two days ago
    assert per_day(70 * UNIT, TODAY - timedelta(days=30), yesterday) == 10 * UNIT  # never more than 7 days
    assert per_day(-5 * UNIT, yesterday, yesterday) == 0  # corrections only: no spend


def test_daily_spend_reads_the_charges_of_the_seven_ended_days(client: TestClient, operator: Api) -> None:
    brands = [
        operator.post("/v1/advertisers", {"name": n, "domain": f"{n.lower()}.example"})["id"]
        for n in ("Steady", "Newcomer", "Quiet")
    ]
    steady, newcomer, quiet = brands

    def post(advertiser: str, kind: EntryKind, day: date, micros: int) -> None:
        with session_scope(runtime(client).db_sessions) as db:
            ledger.post(
                db,
                advertiser_id=advertiser,
                kind=kind,
                amount_micros=micros,
                day=day,
                time=datetime.combine(day, datetime.min.time(), UTC),
                actor="test",
            )

    for back in range(1, 8):
        post(steady, EntryKind.CHARGE, TODAY - timedelta(days=back), -10 * UNIT)
    post(steady, EntryKind.CHARGE, TODAY - timedelta(days=8), -1000 * UNIT)  # before the window
    post(steady, EntryKind.CHARGE, TODAY, -1000 * UNIT)  # today: still arriving, left out
    post(steady, EntryKind.CHARGE, TODAY - timedelta(days=3), 7 * UNIT)  # a rebuilt day's correction
    post(steady, EntryKind.TOP_UP, TODAY - timedelta(days=2), 500 * UNIT)  # money in is not spend
    post(newcomer, EntryKind.CHARGE, TODAY - timedelta(days=2), -30 * UNIT)
    post(newcomer, EntryKind.CHARGE, TODAY - timedelta(days=1), -50 * UNIT)
    post(quiet, EntryKind.TOP_UP, TODAY - timedelta(days=1), 100 * UNIT)
    with session_scope(runtime(client).db_sessions) as db:
        assert daily_spend(db, TODAY) == {steady: 9 * UNIT, newcomer: 40 * UNIT}
        assert daily_spend(db, TODAY, [newcomer, quiet]) == {newcomer: 40 * UNIT}
