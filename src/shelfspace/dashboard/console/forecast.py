"""/console/forecast: the operator's inventory forecast for the next 30 days.

Per placement, a chart of the days ahead (expected requests, slots, sold, left and fill,
one tab each, drawn by static/shelfspace.js) over a table of the same days, and the live
campaigns that can serve there; above them, the campaigns that will under-deliver and why.
The figures are `forecasting/inventory_forecast.py`'s, as `GET /v1/forecasts/inventory`
answers them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from shelfspace.dashboard.charts import Format, daily_chart
from shelfspace.dashboard.periods import Window
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.inventory_api import names_of
from shelfspace.forecasting.inventory_forecast import HORIZON_DAYS, PlacementForecast
from shelfspace.runtime import runtime_of

CHART = [
    ("requests", "Expected requests", Format.NUMBER),
    ("sold", "Sold", Format.NUMBER),
    ("left", "Left", Format.NUMBER),
    ("fill", "Fill", Format.PERCENT),
]


def _chart(placement: PlacementForecast) -> dict[str, Any]:
    days = placement.days
    rows = [
        {"day": d.day.isoformat(), "requests": d.requests, "sold": d.sold, "left": d.left, "fill": d.fill} for d in days
    ]
    return daily_chart(Window(days[0].day, days[-1].day), rows, CHART)


def forecast_console_pages(forecaster: Forecaster) -> APIRouter:
    router = page_router()

    @router.get("/console/forecast")
    def inventory_forecast(request: Request, user: OperatorUser) -> Response:
        """Plain `def`: the forecaster's work (SQL, the replay) runs in the thread pool."""
        found = forecaster.inventory(HORIZON_DAYS)
        with session_scope(runtime_of(request).db_sessions) as db:
            names = names_of(db, found)
        outlooks = {c.campaign_id: c for c in found.campaigns}
        return render(
            request,
            "operator/forecast.html",
            title="Inventory forecast",
            forecast=found,
            names=names,
            outlooks=outlooks,
            charts={p.placement_id: _chart(p) for p in found.placements},
        )

    return router
