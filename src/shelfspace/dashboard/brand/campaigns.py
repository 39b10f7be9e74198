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
from shelfspace.dashboard.billing import funds_notice
from shelfspace.dashboard.brand import drafts
from shelfspace.dashboard.brand.creatives import brand_previews, campaign_creatives, describe
from shelfspace.dashboard.brand.pacing_panel import pacing_panel
from shelfspace.dashboard.brand.report_tables import breakdown_table, campaigns_table, changes, creatives_table
from shelfspace.dashboard.campaign_states import page_states
from shelfspace.dashboard.charts import Format, daily_chart
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.periods import Window, chosen_period
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.reporting.api import report_csv, report_terms, terms_link
from shelfspace.reporting.report import Grouping, Report, ReportQuery, build_report
from shelfspace.runtime import runtime_of

router = page_router()

CHART = [
    ("impressions", "Impressions", Format.NUMBER),
    ("clicks", "Clicks", Format.NUMBER),
    ("ctr", "CTR", Format.PERCENT),
    ("spend", "Spend", Format.MONEY),
    ("cpm", "CPM", Format.MONEY),
    ("cpc", "CPC", Format.MONEY),
    ("conversions", "Conversions", Format.NUMBER),
    ("roas", "ROAS", Format.NUMBER),
]


class Breakdown(StrEnum):
    """The tables of a campaign page, each exportable as CSV."""

    DAY = "day"
    LINE_ITEM = "line_item"
    CREATIVE = "creative"
    PLACEMENT = "placement"


def _report(
    request: Request,
    db: Session,
    user: DashboardUser,
    window: Window,
    groups: tuple[Grouping, ...],
    campaign_id: str | None = None,
) -> Report:
    rt = runtime_of(request)
    query = ReportQuery(window.start, window.end, groups, advertiser_id=user.advertiser_id, campaign_id=campaign_id)
    return build_report(db, query, rt.attribution_windows, rt.settings.timezone)


def awaiting_approval(request: Request, user: DashboardUser) -> Response | None:
    """A brand the operator has not approved yet sees where it stands, not a form."""
    if user.advertiser_status is AdvertiserStatus.ACTIVE:
        return None
    return render(
        request,
        "brand/pending.html",
        title="Waiting for approval",
        network=runtime_of(request).settings.network_name,
        status=user.advertiser_status,
    )


@router.get("/brand")
def brand_home(request: Request, user: AdvertiserUser) -> Response:
    waiting = awaiting_approval(request, user)
    if waiting is not None:
        return waiting
    period = chosen_period(request)
    window = period.window
    with session_scope(runtime_of(request).db_sessions) as db:
        mine = list(db.scalars(campaigns.query(user.principal, CampaignFilters()).order_by(Campaign.start.desc())))
        results = {row["campaign_id"]: row for row in _report(request, db, user, window, (Grouping.CAMPAIGN,)).rows}
        totals = _report(request, db, user, window, ()).totals
        before = _report(request, db, user, period.previous, ()).totals
        states = page_states(request, db, mine)
        funds = funds_notice(request, db, user.advertiser_id or "", states.values())
        saved = drafts.listed(db, user)  # wizards kept to finish later
    return render(
        request,
        "brand/home.html",
        title="Campaigns",
        campaigns=mine,
        results=results,
        totals=totals,
        drafts=saved,
        window=window,
        period=period,
        before=before,
        changes=changes(totals, before),
        table=campaigns_table(request, mine, results, states),
        funds=funds,
    )


def _names(db: Session, campaign: Campaign) -> dict[str, dict[str, str]]:
    line_items = {li.id: li.name for li in db.scalars(select(LineItem).where(LineItem.campaign_id == campaign.id))}
    creatives = {
        c.id: f"{c.format.value.replace('_', ' ')}{' ' + c.size if c.size else ''}{' ' + c.sku if c.sku else ''}"
        for c in db.scalars(select(Creative).where(Creative.line_item_id.in_(line_items)))
    }
    placements = {p.id: p.name for p in db.scalars(select(Placement))}
    return {"line_item_id": line_items, "creative_id": creatives, "placement_id": placements}


@router.get("/brand/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, user: AdvertiserUser) -> Response:
    period = chosen_period(request)
    window = period.window
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        by_day = _report(request, db, user, window, (Grouping.DAY,), campaign_id)
        before = _report(request, db, user, period.previous, (), campaign_id).totals
        tables: dict[Breakdown, list[dict[str, Any]]] = {
            b: _report(request, db, user, window, (Grouping(b.value),), campaign_id).rows
            for b in (Breakdown.LINE_ITEM, Breakdown.CREATIVE, Breakdown.PLACEMENT)
        }
        names = _names(db, campaign)
        line_items = list(db.scalars(select(LineItem).where(LineItem.campaign_id == campaign.id)))
        creative_groups = campaign_creatives(request, db, campaign)
        state = page_states(request, db, [campaign])[campaign.id]
        funds = funds_notice(request, db, campaign.advertiser_id, [state])
        pacing = pacing_panel(request, db, campaign, state)
    return render(
        request,
        "brand/campaign.html",
        title=campaign.name,
        campaign=campaign,
        window=window,
        state=state,
        funds=funds,
        pacing=pacing,
        creative_groups=creative_groups,
        describe=describe,
        period=period,
        totals=by_day.totals,
        before=before,
        changes=changes(by_day.totals, before),
        shown=_shown(request, by_day.rows, tables, names),
        line_items=line_items,
        chart=daily_chart(
            _flight_part(request, window, campaign), by_day.rows, CHART, runtime_of(request).settings.currency
        ),
        disclosure=by_day.disclosure,
        Breakdown=Breakdown,
        live=campaign.status is DeliveryStatus.LIVE,
    )


def _shown(
    request: Request,
    by_day: list[dict[str, Any]],
    tables: dict[Breakdown, list[dict[str, Any]]],
    names: dict[str, dict[str, str]],
) -> dict[Breakdown, Any]:
    """Each breakdown as a sortable, filterable, paged table (report_tables.py)."""
    shown = {Breakdown.DAY: breakdown_table(request, "by_day", "day", "day", by_day, {})}
    for b, rows in tables.items():
        key = f"{b.value}_id"
        shown[b] = breakdown_table(request, f"by_{b.value}", b.value.replace("_", " "), key, rows, names[key])
    return shown


def _flight_part(request: Request, window: Window, campaign: Campaign) -> Window:
    """The chart starts when the campaign did, not with weeks of zeros before it."""
    started = campaign.start.astimezone(ZoneInfo(runtime_of(request).settings.timezone)).date()
    return Window(min(max(window.start, started), window.end), window.end)


@router.get("/brand/campaigns/{campaign_id}/report.csv")
def campaign_csv(
    request: Request, campaign_id: str, user: AdvertiserUser, group_by: Breakdown = Breakdown.DAY
) -> Response:
    """The header on the first line; the disclosure in report-terms.txt, named by a `Link`
    header and the page, and the period and time zone in the file's name."""
    window = chosen_period(request).window
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        groups = (Grouping(group_by.value),)
        report = _report(request, db, user, window, groups, campaign.id)
        columns = ReportQuery(window.start, window.end, groups).columns()
    zone = runtime_of(request).settings.timezone.replace("/", "-")
    filename = f"{campaign.id}-{group_by.value}-{window.start}-to-{window.end}-{zone}.csv"
    terms = f"/brand/campaigns/{campaign.id}/report-terms.txt?from={window.start}&to={window.end}"
    return Response(
        report_csv(columns, report.rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'} | terms_link(terms),
    )


@router.get("/brand/campaigns/{campaign_id}/report-terms.txt")
def campaign_report_terms(request: Request, campaign_id: str, user: AdvertiserUser) -> Response:
    """What a campaign's reports were counted under, for the same period as its exports."""
    window = chosen_period(request).window
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        report = _report(request, db, user, window, (), campaign.id)
        title = (
            f"{campaign.name}: report terms, {window.start} to {window.end} (days in {report.disclosure['time_zone']})"
        )
    filename = f"{campaign.id}-report-terms-{window.start}-to-{window.end}.txt"
    return Response(
        report_terms(report.disclosure, title),
        media_type="text/plain",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/brand/campaigns/{campaign_id}/status")
def pause_or_resume(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    wanted = DeliveryStatus.PAUSED if form.get("status") == DeliveryStatus.PAUSED else DeliveryStatus.LIVE
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.update(db, user.principal, campaign_id, CampaignUpdate(status=wanted))
        name = campaign.name
    done = (
        f"{name} is paused: it serves no ads until you resume it."
        if wanted is DeliveryStatus.PAUSED
        else f"{name} is live again."
    )
    return redirect_with(request, f"/brand/campaigns/{campaign_id}", done)


@router.get("/brand/creatives")
def creatives_page(request: Request, user: AdvertiserUser) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        mine = list(
            db.scalars(
                select(Creative)
                .where(Creative.advertiser_id == user.advertiser_id, Creative.archived_at.is_(None))
                .order_by(Creative.created_at.desc())
            )
        )
        line_items = {
            li.id: li for li in db.scalars(select(LineItem).where(LineItem.advertiser_id == user.advertiser_id))
        }
        shown = brand_previews(request, db, mine)
    return render(
        request,
        "brand/creatives.html",
        title="Creatives",
        creatives=mine,
        line_items=line_items,
        previews=shown,
        describe=describe,
        table=creatives_table(request, mine, line_items, describe),
    )
