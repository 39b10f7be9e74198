"""The campaign status function's facts from above the catalogue: funds from billing's
ledger, the last hour an advertiser spent from the rollups.

catalog/campaign_state.py decides every campaign's state but stands below billing and
reporting, so it asks a `CampaignFacts` it is handed. This is the one implementation:
reporting stands above billing (it posts the rollups' charges to the ledger) and owns the
rollups, so it can answer both. create_app makes one and puts it on the Runtime; the
notifications' sweep is given the same.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.billing import ledger
from shelfspace.catalog.models import Campaign
from shelfspace.reporting.models import RollupDay, RollupHour


class LedgerAndRollups:
    """`CampaignFacts` read from the ledger and the rollups. Holds nothing: every answer
    comes from the session it is given."""

    def funds(self, db: Session, advertiser_ids: Collection[str]) -> Mapping[str, int]:
        return ledger.funds(db, advertiser_ids)

    def last_spent(self, db: Session, advertiser_ids: Collection[str], tz: ZoneInfo) -> Mapping[str, datetime]:
        """Two queries (its last day with spend, then that day's hours), both by campaign
        index."""
        if not advertiser_ids:
            return {}
        theirs = select(Campaign.id).where(Campaign.advertiser_id.in_(advertiser_ids))
        days: dict[str, str] = {
            advertiser_id: day
            for advertiser_id, day in db.execute(
                select(RollupDay.advertiser_id, func.max(RollupDay.day))
                .where(RollupDay.campaign_id.in_(theirs), RollupDay.spend_micros > 0)
                .group_by(RollupDay.advertiser_id)
            )
        }
        if not days:
            return {}
        found: dict[str, datetime] = {}
        for advertiser_id, day, hour in db.execute(
            select(RollupHour.advertiser_id, RollupHour.day, func.max(RollupHour.hour))
            .where(
                RollupHour.day.in_(set(days.values())),
                RollupHour.campaign_id.in_(theirs),
                RollupHour.spend_micros > 0,
            )
            .group_by(RollupHour.advertiser_id, RollupHour.day)
        ):
            if days.get(advertiser_id) == day:
                found[advertiser_id] = datetime.combine(date.fromisoformat(day), time(int(hour)), tz)
        return found
