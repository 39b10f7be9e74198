"""/console: how the network is doing, in money and in fill, by placement and by channel."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.core.money import MICROS_PER_UNIT
from shelfspace.dashboard.campaign_states import serving_by_advertiser
from shelfspace.dashboard.charts import Format, daily_chart
from shelfspace.dashboard.periods import WINDOWS, Window, last_days
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.delivery.models import PlacementRequests
from shelfspace.reporting.inventory_stats import channel_stats, placement_stats
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.runtime import runtime_of

router = page_router()

CHART = [
    ("spend", "Revenue", Format.MONEY),
    ("impressions", "Impressions", Format.NUMBER),
    ("fill_rate", "Fill rate", Format.PERCENT),
    ("ctr", "CTR", Format.PERCENT),
    ("cpm", "eCPM", Format.MONEY),
    ("clicks", "Clicks", Format.NUMBER),
]


def _fill_by_day(db: Session, window: Window) -> dict[str, float | None]:
    rows = db.execute(
        select(PlacementRequests.day, func.sum(PlacementRequests.requests), func.sum(PlacementRequests.filled))
        .where(PlacementRequests.day.between(window.start.isoformat(), window.end.isoformat()))
        .group_by(PlacementRequests.day)
    )
    return {day: (int(filled) / int(asked) if asked else None) for day, asked, filled in rows}


def _kpis(db: Session, request: Request, window: Window) -> dict[str, Any]:
    rt = runtime_of(request)
    totals = build_report(
        db, ReportQuery(window.start, window.end, ()), rt.attribution_windows, rt.settings.timezone
    ).totals
    placements = placement_stats(db, start=window.start, end=window.end)
    asked, filled = sum(p.requests for p in placements), sum(p.filled for p in placements)
    return {
        "revenue_micros": int(totals["spend"] * MICROS_PER_UNIT),
        "impressions": totals["impressions"],
        "clicks": totals["clicks"],
        "ctr": totals["ctr"],
        "ecpm": totals["cpm"],
        "reach": totals["reach"],
        "fill_rate": filled / asked if asked else None,
        "conversions": totals["conversions"],
        "sales": totals["revenue"],
    }


def _change(now: float | int | None, before: float | int | None) -> float | None:
    if now is None or not before:
        return None
    return (float(now) - float(before)) / float(before)


@router.get("/console")
def overview(request: Request, user: OperatorUser, days: int = 7) -> Response:
    window = last_days(request, days)
    rt = runtime_of(request)
    with session_scope(rt.db_sessions) as db:
        now, before = _kpis(db, request, window), _kpis(db, request, window.before())
        chart_window = window
        daily = build_report(
            db,
            ReportQuery(chart_window.start, chart_window.end, (Grouping.DAY,)),
            rt.attribution_windows,
            rt.settings.timezone,
        ).rows
        fill = _fill_by_day(db, chart_window)
        rows = [row | {"fill_rate": fill.get(row["day"])} for row in daily]
        rows += [{"day": day, "fill_rate": rate} for day, rate in fill.items() if day not in {r["day"] for r in daily}]
        live_campaigns = sum(serving_by_advertiser(request, db).values())  # serving now, by the status function
        advertisers = {
            status: n for status, n in db.execute(select(Advertiser.status, func.count()).group_by(Advertiser.status))
        }
        by_placement = sorted(
            placement_stats(db, start=window.start, end=window.end), key=lambda p: p.revenue_micros, reverse=True
        )
        by_channel = sorted(
            channel_stats(db, start=window.start, end=window.end), key=lambda c: c.revenue_micros, reverse=True
        )
    changes = {
        key: _change(now[key], before[key])
        for key in ("revenue_micros", "impressions", "clicks", "ctr", "ecpm", "fill_rate")
    }
    return render(
        request,
        "operator/overview.html",
        title="Network overview",
        window=window,
        windows=WINDOWS,
        kpis=now,
        changes=changes,
        chart=daily_chart(chart_window, rows, CHART),
        live_campaigns=live_campaigns,
        active_advertisers=advertisers.get(AdvertiserStatus.ACTIVE, 0),
        pending_advertisers=advertisers.get(AdvertiserStatus.PENDING, 0),
        by_placement=by_placement,
        by_channel=by_channel,
    )
