"""Mounting the dashboard on the app: sessions, static files, error pages, page routers."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from shelfspace.config import Settings
from shelfspace.dashboard import (
    api_keys,
    audiences,
    audit_pages,
    auth_pages,
    billing,
    measurement,
    media_kit,
    password_pages,
    team,
    two_factor_pages,
    uploads,
)
from shelfspace.dashboard.approval_gate import install_approval_gate_pages
from shelfspace.dashboard.brand import (
    campaign_edit,
    campaigns,
    creative_edit,
    drafts,
    duplicate,
    line_item_new,
    signup,
    wizard,
    wizard_check,
)
from shelfspace.dashboard.brand import creatives as brand_creatives
from shelfspace.dashboard.brand import notifications as brand_notifications
from shelfspace.dashboard.brand.forecast_pages import forecast_pages
from shelfspace.dashboard.brand.pacing_panel import pacing_forecast_pages
from shelfspace.dashboard.console import (
    advertisers,
    catalogue,
    demand_partners,
    health,
    inventory,
    overview,
    review,
    rules,
    security,
)
from shelfspace.dashboard.console import campaigns as console_campaigns
from shelfspace.dashboard.console.forecast import forecast_console_pages
from shelfspace.dashboard.errors import install_page_errors
from shelfspace.dashboard.session import install_sessions
from shelfspace.forecasting.forecaster import Forecaster

STATIC_DIR = Path(__file__).parent / "static"
# Charts are drawn by Plotly's own build, served from the installed `plotly` package: no CDN.
# Found without importing plotly's Python side, which is large and not needed here.
_PLOTLY = find_spec("plotly")
assert _PLOTLY is not None and _PLOTLY.origin is not None, "the plotly package is a dependency"
PLOTLY_DIR = Path(_PLOTLY.origin).parent / "package_data"

# The wizard before the campaign pages: /brand/campaigns/new is not a campaign id.
PAGE_MODULES = (
    auth_pages,
    overview,
    review,
    inventory,
    catalogue,
    advertisers,
    rules,
    console_campaigns,
    health,
    wizard,
    wizard_check,
    drafts,
    campaign_edit,
    line_item_new,
    duplicate,
    campaigns,
    brand_creatives,
    creative_edit,
    brand_notifications,
    measurement,
    audiences,
    billing,
    signup,
    uploads,
    media_kit,
    api_keys,
    team,
    audit_pages,
    password_pages,
    two_factor_pages,
    security,
    demand_partners,
)


def install_dashboard(app: FastAPI, settings: Settings, forecaster: Forecaster) -> None:
    """`forecaster` answers the pages that forecast (the wizard, the edit page, the
    operator's inventory forecast): their routers are built around it."""
    install_sessions(app, settings)
    install_page_errors(app)
    app.mount("/static/vendor", StaticFiles(directory=PLOTLY_DIR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_approval_gate_pages(app)
    app.include_router(forecast_pages(forecaster))  # before the brand campaign pages
    app.include_router(pacing_forecast_pages(forecaster))
    app.include_router(forecast_console_pages(forecaster))
    for module in PAGE_MODULES:
        app.include_router(module.router)
