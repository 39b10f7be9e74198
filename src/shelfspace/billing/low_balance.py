"""Low-balance warnings: which advertisers are about to stop delivering for want of funds.

Delivery stops when an account's `available` reaches zero (reservations are refused), so
the operator wants to know a few days before, while a bank transfer still has time to
arrive. "A few days" is measured against what the advertiser has been spending: the
average of its ledger charges over the last days that have ended. The decision itself is
a pure function of two numbers, so the console, a brand's page and any future e-mail
nudge all warn alike.

Funds are used up when what is available is less than one minor unit of the currency
(`funds_used_up`, defined in core/minor_units.py so the catalogue's campaign states can
apply it too), not only at zero: charges are capped at the funds and a reservation is
refused when an ad costs more than is left, so an account that ran dry keeps a sliver
(a few thousandths of a dollar) that no ad fits. Reading that sliver as "0.0 days of
spend left" told a brand its campaigns still ran when they had stopped. Campaign states
(catalog/campaign_state.py) use the same rule.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.billing.models import EntryKind, LedgerEntry
from shelfspace.core.minor_units import funds_used_up as funds_used_up  # re-exported

DAYS_OF_SPEND = 3  # warn when fewer days than this of spend are left
SPEND_WINDOW_DAYS = 7  # the ended days whose charges make the daily average


class LowBalanceReason(StrEnum):
    FUNDS_USED_UP = "funds_used_up"  # nothing available: delivery has stopped
    UNDER_DAYS_OF_SPEND = "under_days_of_spend"  # less than DAYS_OF_SPEND days at the recent rate


@dataclass(frozen=True, slots=True)
class LowBalance:
    """A warning, with the two figures it was decided from (for the page's words)."""

    reason: LowBalanceReason
    available_micros: int
    daily_spend_micros: int

    @property
    def days_left(self) -> float | None:
        """Days of spend the available funds still pay for; None without recent spend."""
        if self.daily_spend_micros <= 0:
            return None
        return max(0, self.available_micros) / self.daily_spend_micros


def low_balance(
    available_micros: int | None, daily_spend_micros: int, currency: str, days: int = DAYS_OF_SPEND
) -> LowBalance | None:
    """The warning an account deserves, if any. `available_micros` None is credit without
    a limit: it never runs out, so it is never warned about. An account with nothing
    spent recently is warned only once its funds are used up (there is no rate to run
    out at)."""
    if available_micros is None:
        return None
    if funds_used_up(available_micros, currency):
        return LowBalance(LowBalanceReason.FUNDS_USED_UP, available_micros, daily_spend_micros)
    if daily_spend_micros > 0 and available_micros < days * daily_spend_micros:
        return LowBalance(LowBalanceReason.UNDER_DAYS_OF_SPEND, available_micros, daily_spend_micros)
    return None


def per_day(charged_micros: int, first_day: date, last_day: date, window_days: int = SPEND_WINDOW_DAYS) -> int:
    """The average daily charge of a window ending `last_day`, counted from the advertiser's
    first charge in it (`first_day`): a brand that started two days ago spends its two
    days' total over two days, not over seven, or its warning would come days too late.
    Corrections can make the sum negative; spend is never below zero."""
    days = min(window_days, max(1, (last_day - first_day).days + 1))
    return max(0, charged_micros) // days


def daily_spend(
    db: Session, today: date, advertiser_ids: Collection[str] | None = None, window_days: int = SPEND_WINDOW_DAYS
) -> dict[str, int]:
    """Each advertiser's average daily charges, in micros, over the `window_days` days
    before `today`. Today is left out: its charges are still arriving from the rollups,
    and half a day would pull the average down. Advertisers without charges are absent."""
    last = today - timedelta(days=1)
    first = today - timedelta(days=window_days)
    stmt = (
        select(LedgerEntry.advertiser_id, func.sum(LedgerEntry.amount_micros), func.min(LedgerEntry.day))
        .where(LedgerEntry.kind == EntryKind.CHARGE, LedgerEntry.day >= first, LedgerEntry.day <= last)
        .group_by(LedgerEntry.advertiser_id)
    )
    if advertiser_ids is not None:
        stmt = stmt.where(LedgerEntry.advertiser_id.in_(list(advertiser_ids)))
    return {
        advertiser_id: per_day(-int(total or 0), started, last, window_days)
        for advertiser_id, total, started in db.execute(stmt)
    }
