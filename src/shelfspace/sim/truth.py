"""What the simulator knows and a real network never does: the true effect of each test
campaign, to set beside what the network measured.

The simulator places an order "because of" an ad only when a shopper reacted to one; those
orders are the campaign's true incremental purchases (`Tally.caused`). The lift study
estimates them from the holdout with a 95% interval; over many seeds the interval should
hold the truth about 95 times in 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from shelfspace.backends import open_backends
from shelfspace.catalog.models import Campaign
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.measurement.campaign_lift import campaign_lift
from shelfspace.sim.traffic import Tally


@dataclass(frozen=True, slots=True)
class TruthCheck:
    campaign: str
    true_incremental: int  # orders the simulator placed because of the campaign's ads
    estimate: float | None
    interval: tuple[float, float] | None
    unread: str | None = None  # why the study shows no interval: before its read date, or too few shoppers

    @property
    def covered(self) -> bool:
        return self.interval is not None and self.interval[0] <= self.true_incremental <= self.interval[1]

    def line(self) -> str:
        if self.interval is None or self.estimate is None:
            return f"{self.campaign}: true incremental purchases {self.true_incremental}; no interval: {self.unread}"
        low, high = self.interval
        verdict = "inside" if self.covered else "OUTSIDE"
        return (
            f"{self.campaign}: true incremental purchases {self.true_incremental}, measured {self.estimate:.1f} "
            f"(95% interval {low:.1f} to {high:.1f}): the truth is {verdict} the interval"
        )


def check_test_campaigns(settings: Settings, engine: Engine, tally: Tally, now: datetime) -> list[TruthCheck]:
    """Each test campaign's measured lift against the simulator's truth."""
    backends = open_backends(settings)
    checks = []
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            for campaign in db.scalars(select(Campaign).where(Campaign.is_test).order_by(Campaign.id)):
                lift = campaign_lift(db, backends.event_log, campaign, now)
                interval = lift["ci95"]["incremental_conversions"]
                unread = (
                    f"it is read on {lift['read_at'][:10]}"
                    if lift["interim"]
                    else None
                    if lift["readable"]
                    else "too few shoppers to read a lift"
                )
                checks.append(
                    TruthCheck(
                        campaign.name,
                        tally.caused[campaign.id],
                        lift["incremental_conversions"],
                        tuple(interval) if interval else None,
                        unread,
                    )
                )
    finally:
        backends.event_log.close()
    return checks
