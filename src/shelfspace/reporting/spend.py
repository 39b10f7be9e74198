"""What the rollups say each campaign spent per day: the ledger's charges follow it.

The rollup job hands this to billing/ledger.py `post_charges` in the rollup's own
transaction, so the ledger's charges equal the reports' spend; billing stands below the
rollups and never reads their tables itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.billing import ledger
from shelfspace.billing.ledger import ChargeKey
from shelfspace.reporting.models import RollupDay


def rollup_spend(db: Session, days: Iterable[date]) -> dict[ChargeKey, int]:
    """Spend per advertiser, campaign and day on these days (campaign-less rows left out)."""
    wanted = sorted({d.isoformat() for d in days})
    spend: dict[ChargeKey, int] = defaultdict(int)
    if not wanted:
        return spend
    for rolled in db.execute(
        select(RollupDay.advertiser_id, RollupDay.campaign_id, RollupDay.day, func.sum(RollupDay.spend_micros))
        .where(RollupDay.day.in_(wanted), RollupDay.campaign_id != "")
        .group_by(RollupDay.advertiser_id, RollupDay.campaign_id, RollupDay.day)
    ):
        spend[ChargeKey(rolled[0], rolled[1], date.fromisoformat(rolled[2]))] += int(rolled[3] or 0)
    return spend


def charge_rollups(db: Session, days: Iterable[str], time: datetime) -> int:
    """Bring the ledger's charges of these days (ISO dates) to the rollups' spend; returns
    how many ledger entries were appended."""
    wanted = {date.fromisoformat(d) for d in days}
    return ledger.post_charges(db, wanted, rollup_spend(db, wanted), time)
