"""The network's money by month, from the ledger: what it earned, gave back and received."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.billing.models import EntryKind, LedgerEntry
from shelfspace.core.money import from_micros


def _month_starts(today: date, months: int) -> list[date]:
    starts, year, month = [], today.year, today.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts


def by_month(db: Session, today: date, months: int) -> list[dict[str, object]]:
    """The last `months` months, newest first: charges (by delivery day), credits given,
    revenue (charges less credits) and money paid in (top-ups less refunds)."""
    starts = _month_starts(today, months)
    sums: dict[tuple[str, EntryKind], int] = defaultdict(int)
    for day, kind, micros in db.execute(
        select(LedgerEntry.day, LedgerEntry.kind, func.sum(LedgerEntry.amount_micros))
        .where(LedgerEntry.day >= starts[-1])
        .group_by(LedgerEntry.day, LedgerEntry.kind)
    ):
        sums[(day.strftime("%Y-%m"), EntryKind(kind))] += int(micros)
    rows = []
    for start in starts:
        month = start.strftime("%Y-%m")
        charges = -sums[(month, EntryKind.CHARGE)]
        credits = sums[(month, EntryKind.CREDIT)]
        rows.append(
            {
                "month": month,
                "charges": from_micros(charges),
                "credits": from_micros(credits),
                "revenue": from_micros(charges - credits),
                "paid_in": from_micros(sums[(month, EntryKind.TOP_UP)] + sums[(month, EntryKind.REFUND)]),
            }
        )
    return rows
