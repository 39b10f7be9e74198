"""/brand: the brand's campaigns, each with its results over time, tables and CSV exports.

Every query goes through the services with the signed-in brand's principal, so another
brand's campaign is "not found" here exactly as it is in the API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem, Placement
from shelfspace.catalog.schemas import CampaignFilters, CampaignUpdate
from shelfspace.catalog.services import campaigns
from shelfspace.dashboard.charts import Format, daily_chart
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.periods import WINDOWS, Window, last_days
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.reporting.api import report_csv
from shelfspace.reporting.report import Grouping, Report, ReportQuery, build_report

router = page_router()

CHART = [("impressions", "Impressions", Format.NUMBER), ("clicks", "Clicks", Format.NUMBER),
         ("ctr", "CTR", Format.PERCENT), ("spend", "Spend", Format.MONEY), ("cpm", "CPM", Format.MONEY),
         ("cpc", "CPC", Format.MONEY), ("conversions", "Conversions", Format.NUMBER), ("roas", "ROAS", Format.NUMBER)]


class Breakdown(StrEnum):
    """The tables of a campaign page, each exportable as CSV."""

    DAY = "day"
    LINE_ITEM = "line_item"
    CREATIVE = "creative"
    PLACEMENT = "placement"


def _report(request: Request, db: Session, user: DashboardUser, window: Window, groups: tuple[Grouping, ...],
            campaign_id: str | None = None) -> Report:
    state = request.app.state
    query = ReportQuery(window.start, window.end, groups, advertiser_id=user.advertiser_id, campaign_id=campaign_id)
    return build_report(db, query, state.attribution_windows, state.settings.timezone)


def awaiting_approval(request: Request, user: DashboardUser) -> Response | None:
    """A brand the operator has not approved yet sees where it stands, not a form."""
    if user.advertiser_status is AdvertiserStatus.ACTIVE:
        return None
    return render(request, "brand/pending.html", title="Waiting for approval",
                  network=request.app.state.settings.network_name, status=user.advertiser_status)


@router.get("/brand")
def brand_home(request: Request, user: AdvertiserUser, days: int = 30) -> Response:
    waiting = awaiting_approval(request, user)
    if waiting is not None:
        return waiting
    window = last_days(request, days)
    with session_scope(request.app.state.sessions) as db:
        mine = list(db.scalars(campaigns.query(user.principal, CampaignFilters()).order_by(Campaign.start.desc())))
        results = {row["campaign_id"]: row for row in _report(request, db, user, window, (Grouping.CAMPAIGN,)).rows}
        totals = _report(request, db, user, window, ()).totals
    return render(request, "brand/home.html", title="Campaigns", campaigns=mine, results=results, totals=totals,
                  window=window, windows=WINDOWS)


def _names(db: Session, campaign: Campaign) -> dict[str, dict[str, str]]:
    line_items = {li.id: li.name for li in db.scalars(select(LineItem).where(LineItem.campaign_id == campaign.id))}
    creatives = {c.id: f"{c.format.value.replace('_', ' ')}{' ' + c.size if c.size else ''}{' ' + c.sku if c.sku else ''}"
                 for c in db.scalars(select(Creative).where(Creative.line_item_id.in_(line_items)))}
    placements = {p.id: p.name for p in db.scalars(select(Placement))}
    return {"line_item_id": line_items, "creative_id": creatives, "placement_id": placements}


@router.get("/brand/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, user: AdvertiserUser, days: int = 30) -> Response:
    window = last_days(request, days)
    with session_scope(request.app.state.sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        by_day = _report(request, db, user, window, (Grouping.DAY,), campaign_id)
        tables: dict[Breakdown, list[dict[str, Any]]] = {
            b: _report(request, db, user, window, (Grouping(b.value),), campaign_id).rows
            for b in (Breakdown.LINE_ITEM, Breakdown.CREATIVE, Breakdown.PLACEMENT)}
        names = _names(db, campaign)
        line_items = list(db.scalars(select(LineItem).where(LineItem.campaign_id == campaign.id)))
    return render(request, "brand/campaign.html", title=campaign.name, campaign=campaign, window=window,
                  windows=WINDOWS, totals=by_day.totals, by_day=list(reversed(by_day.rows)), tables=tables,
                  names=names, line_items=line_items, chart=daily_chart(_flight_part(request, window, campaign),
                                                                         by_day.rows, CHART),
                  disclosure=by_day.disclosure, Breakdown=Breakdown, live=campaign.status is DeliveryStatus.LIVE)


def _flight_part(request: Request, window: Window, campaign: Campaign) -> Window:
    """The chart starts when the campaign did, not with weeks of zeros before it."""
    started = campaign.start.astimezone(ZoneInfo(request.app.state.settings.timezone)).date()
    return Window(min(max(window.start, started), window.end), window.end)


@router.get("/brand/campaigns/{campaign_id}/report.csv")
def campaign_csv(request: Request, campaign_id: str, user: AdvertiserUser, group_by: Breakdown = Breakdown.DAY,
                 days: int = 30) -> Response:
    window = last_days(request, days)
    with session_scope(request.app.state.sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        groups = (Grouping(group_by.value),)
        report = _report(request, db, user, window, groups, campaign.id)
        columns = ReportQuery(window.start, window.end, groups).columns()
    filename = f"{campaign.id}-{group_by.value}-{window.start}-{window.end}.csv"
    return Response(report_csv(columns, report.rows, report.disclosure), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/brand/campaigns/{campaign_id}/status")
def pause_or_resume(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    wanted = DeliveryStatus.PAUSED if form.get("status") == DeliveryStatus.PAUSED else DeliveryStatus.LIVE
    with session_scope(request.app.state.sessions) as db:
        campaign = campaigns.update(db, user.principal, campaign_id, CampaignUpdate(status=wanted))
        name = campaign.name
    done = f"{name} is paused: it serves no ads until you resume it." if wanted is DeliveryStatus.PAUSED \
        else f"{name} is live again."
    return redirect_with(request, f"/brand/campaigns/{campaign_id}", done)


@router.get("/brand/creatives")
def creatives_page(request: Request, user: AdvertiserUser) -> Response:
    with session_scope(request.app.state.sessions) as db:
        mine = list(db.scalars(select(Creative).where(Creative.advertiser_id == user.advertiser_id,
                                                      Creative.archived_at.is_(None))
                               .order_by(Creative.created_at.desc())))
        line_items = {li.id: li.name for li in db.scalars(select(LineItem).where(LineItem.advertiser_id == user.advertiser_id))}
    return render(request, "brand/creatives.html", title="Creatives", creatives=mine, line_items=line_items)
