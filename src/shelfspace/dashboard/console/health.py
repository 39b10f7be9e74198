"""/console/health: which campaigns deliver as planned today, and which need a look.

Spend today is read from the real-time budget counters, the figures the auction itself
checks budgets against, rather than from the rollups, which trail them by seconds.
Even pacing aims to spend the day's budget in step with the day: a campaign well behind
the share of the day gone is under-pacing (too narrow, bid too low), well ahead is
over-pacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus, Pacing
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.counters.protocol import Counters
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope

router = page_router()

UNDER = 0.7  # below 70% of the spend the elapsed day calls for
OVER = 1.2
SETTLING_SHARE = 0.05  # the first minutes of a day say nothing yet


class Health(StrEnum):
    BUDGET_EXHAUSTED = "budget_exhausted"
    UNDER_PACING = "under_pacing"
    OVER_PACING = "over_pacing"
    ON_PACE = "on_pace"
    PAUSED = "paused"
    NOT_STARTED = "not_started"
    ENDED = "ended"


ORDER = list(Health)  # problems first
BADGE = {Health.BUDGET_EXHAUSTED: "bad", Health.UNDER_PACING: "warn", Health.OVER_PACING: "bad",
         Health.ON_PACE: "good", Health.PAUSED: "paused", Health.NOT_STARTED: "", Health.ENDED: ""}


@dataclass(frozen=True, slots=True)
class CampaignHealth:
    campaign: Campaign
    advertiser: str
    health: Health
    spent_today: int
    daily_target: int | None
    expected_by_now: int | None
    spent_total: int


def judge(campaign: Campaign, now: datetime, day_share: float, spent_today: int, spent_total: int,
          daily_target: int | None) -> Health:
    if campaign.status is DeliveryStatus.PAUSED:
        return Health.PAUSED
    if campaign.start > now:
        return Health.NOT_STARTED
    if campaign.end is not None and campaign.end <= now:
        return Health.ENDED
    if spent_total >= campaign.budget_total_micros or (
            campaign.budget_daily_micros is not None and spent_today >= campaign.budget_daily_micros):
        return Health.BUDGET_EXHAUSTED
    if campaign.pacing is Pacing.EVEN and daily_target and day_share >= SETTLING_SHARE:
        expected = daily_target * day_share
        if spent_today < expected * UNDER:
            return Health.UNDER_PACING
        if spent_today > expected * OVER:
            return Health.OVER_PACING
    return Health.ON_PACE


def _daily_target(campaign: Campaign, spent_total: int, spent_today: int, today_local: datetime, tz: ZoneInfo) -> int | None:
    if campaign.budget_daily_micros is not None:
        return campaign.budget_daily_micros
    if campaign.end is None:
        return None
    days_left = max(1, (campaign.end.astimezone(tz).date() - today_local.date()).days + 1)
    return (campaign.budget_total_micros - spent_total + spent_today) // days_left


@router.get("/console/health")
def health(request: Request, user: OperatorUser) -> Response:
    state = request.app.state
    tz = ZoneInfo(state.settings.timezone)
    now: datetime = state.clock.now()
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date(), time(0), tz)
    day_share = (local - midnight) / timedelta(days=1)
    counters: Counters = state.counters
    day = local.date().isoformat()
    rows: list[CampaignHealth] = []
    with session_scope(state.sessions) as db:
        names = {a.id: a.name for a in db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED))}
        for campaign in db.scalars(select(Campaign).where(Campaign.status.in_((DeliveryStatus.LIVE, DeliveryStatus.PAUSED)))):
            use = counters.budget_use(campaign.id, day)
            target = _daily_target(campaign, use.spent_total, use.spent_day, local, tz)
            verdict = judge(campaign, now, day_share, use.spent_day, use.spent_total, target)
            rows.append(CampaignHealth(campaign, names.get(campaign.advertiser_id, campaign.advertiser_id), verdict,
                                       use.spent_day, target, int(target * day_share) if target else None, use.spent_total))
    rows.sort(key=lambda r: (ORDER.index(r.health), r.advertiser, r.campaign.name))
    counts = {h: sum(1 for r in rows if r.health is h) for h in Health}
    return render(request, "operator/health.html", title="Delivery health", rows=rows, counts=counts, badge=BADGE,
                  day_share=day_share, Health=Health)
