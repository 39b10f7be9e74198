"""/console/health: which campaigns deliver as planned today, and which need a look.

What each campaign is (live, out of funds, creative rejected, limited by budget…) is the
one status function's (catalog/campaign_state.py), as the brand's pages and the API say
it. This page adds the pace of the live ones: spend today read from the real-time budget
counters, the figures the auction itself checks budgets against, rather than from the
rollups, which trail them by seconds. Even pacing aims to spend the day's budget in step
with the day: a live campaign well behind the share of the day gone is under-pacing (too
narrow, bid too low), well ahead is over-pacing. Only a live campaign has a pace: one
that cannot serve is named by its state, never "on pace".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog.campaign_state import URGENCY, CampaignState, StateCode
from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus, Pacing
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.counters.protocol import Counters
from shelfspace.dashboard.campaign_states import page_states
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.decisioning.pacing import day_target_micros
from shelfspace.runtime import runtime_of

router = page_router()

UNDER = 0.7  # below 70% of the spend the elapsed day calls for
OVER = 1.2
SETTLING_SHARE = 0.05  # the first minutes of a day say nothing yet


class Pace(StrEnum):
    """How a live campaign spends today against its day's target."""

    UNDER_PACING = "under_pacing"
    OVER_PACING = "over_pacing"
    ON_PACE = "on_pace"
    TOO_EARLY = "too_early"  # the day has only begun
    NO_TARGET = "no_target"  # as fast as it can, or no daily budget and no end date


PACE_ORDER = list(Pace)  # problems first
PACE_BADGE = {
    Pace.UNDER_PACING: "warn",
    Pace.OVER_PACING: "bad",
    Pace.ON_PACE: "good",
    Pace.TOO_EARLY: "",
    Pace.NO_TARGET: "",
}
PACE_WORDS = {
    Pace.UNDER_PACING: "under-pacing",
    Pace.OVER_PACING: "over-pacing",
    Pace.ON_PACE: "on pace",
    Pace.TOO_EARLY: "too early to say",
    Pace.NO_TARGET: "no daily target",
}
COUNTED = (StateCode.OUT_OF_FUNDS, StateCode.CREATIVE_REJECTED, StateCode.LIMITED_BY_BUDGET)


@dataclass(frozen=True, slots=True)
class CampaignHealth:
    campaign: Campaign
    advertiser: str
    state: CampaignState
    pace: Pace | None  # live campaigns only
    spent_today: int
    daily_target: int | None
    expected_by_now: int | None
    spent_total: int


def pace(campaign: Campaign, day_share: float, spent_today: int, daily_target: int | None) -> Pace:
    """A live campaign's pace today (its state, not this, says whether it can serve)."""
    if campaign.pacing is not Pacing.EVEN or not daily_target:
        return Pace.NO_TARGET
    if day_share < SETTLING_SHARE:
        return Pace.TOO_EARLY
    expected = daily_target * day_share
    if spent_today < expected * UNDER:
        return Pace.UNDER_PACING
    if spent_today > expected * OVER:
        return Pace.OVER_PACING
    return Pace.ON_PACE


def _daily_target(
    campaign: Campaign, spent_total: int, spent_today: int, today_local: datetime, tz: ZoneInfo
) -> int | None:
    """The ad server's own target for today (decisioning/pacing.py); a campaign with neither
    an end nor a daily budget has none to be judged against here."""
    if campaign.budget_daily_micros is None and campaign.end is None:
        return None
    return day_target_micros(
        campaign.budget_total_micros,
        campaign.budget_daily_micros,
        campaign.end,
        spent_total,
        spent_today,
        today_local.date(),
        tz,
    )


def _paced(row: CampaignHealth) -> int:
    return PACE_ORDER.index(row.pace) if row.pace is not None else len(PACE_ORDER)


def _urgency(row: CampaignHealth) -> tuple[int, int, str, str]:
    return URGENCY.index(row.state.code), _paced(row), row.advertiser.casefold(), row.campaign.name.casefold()


def health_table(request: Request, rows: list[CampaignHealth]) -> Table[CampaignHealth]:
    """The campaigns as a table (dashboard/tables.py): states sort by urgency and paces by
    PACE_ORDER, problems first either way; the most urgent first until another order is asked."""
    columns = [
        Column[CampaignHealth]("campaign", "Campaign", lambda r: r.campaign.name, searchable=True),
        Column[CampaignHealth]("advertiser", "Advertiser", lambda r: r.advertiser, searchable=True, choices=True),
        Column[CampaignHealth]("state", "State", lambda r: r.state.label, choices=True, order=_urgency),
        Column[CampaignHealth](
            "pace",
            "Pace today",
            lambda r: PACE_WORDS[r.pace] if r.pace else None,
            choices=True,
            order=lambda r: (_paced(r), *_urgency(r)) if r.pace else None,
        ),
        Column[CampaignHealth]("spent_today", "Spent today", lambda r: r.spent_today, numeric=True),
        Column[CampaignHealth](
            "expected", "Expected by now", lambda r: r.expected_by_now if r.pace else None, numeric=True
        ),
        Column[CampaignHealth]("target", "Daily target", lambda r: r.daily_target, numeric=True),
        Column[CampaignHealth]("spent_total", "Spent in all", lambda r: r.spent_total, numeric=True),
        Column[CampaignHealth]("budget", "Budget", lambda r: r.campaign.budget_total_micros, numeric=True),
    ]
    return table(request, "campaigns", "campaigns", rows, columns, sort="state")


@router.get("/console/health")
def health(request: Request, user: OperatorUser) -> Response:
    rt = runtime_of(request)
    tz = ZoneInfo(rt.settings.timezone)
    now: datetime = rt.clock.now()
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date(), time(0), tz)
    day_share = (local - midnight) / timedelta(days=1)
    counters: Counters = rt.counters
    day = local.date().isoformat()
    rows: list[CampaignHealth] = []
    with session_scope(rt.db_sessions) as db:
        names = {
            a.id: a.name for a in db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED))
        }
        campaigns = list(
            db.scalars(select(Campaign).where(Campaign.status.in_((DeliveryStatus.LIVE, DeliveryStatus.PAUSED))))
        )
        states = page_states(request, db, campaigns)
        for campaign in campaigns:
            use = counters.budget_use(campaign.id, day)
            target = _daily_target(campaign, use.spent_total, use.spent_day, local, tz)
            found = states[campaign.id]
            paced = pace(campaign, day_share, use.spent_day, target) if found.serving else None
            rows.append(
                CampaignHealth(
                    campaign,
                    names.get(campaign.advertiser_id, campaign.advertiser_id),
                    found,
                    paced,
                    use.spent_day,
                    target,
                    int(target * day_share) if target else None,
                    use.spent_total,
                )
            )
    counts = {code: sum(1 for r in rows if r.state.code is code) for code in COUNTED}
    paces = {p: sum(1 for r in rows if r.pace is p) for p in (Pace.UNDER_PACING, Pace.OVER_PACING)}
    return render(
        request,
        "operator/health.html",
        title="Delivery health",
        table=health_table(request, rows),
        counts=counts,
        paces=paces,
        live=sum(1 for r in rows if r.state.serving),
        pace_badge=PACE_BADGE,
        pace_words=PACE_WORDS,
        day_share=day_share,
        time_zone=tz.key,
    )
