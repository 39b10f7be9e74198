"""The pacing panel of a brand's campaign page (templates/brand/_pacing.html), and the
forecast it asks when the campaign under-delivers.

The numbers are reporting/pacing.py's, from the spend the page can read cheaply: the
report rollups of the flight's days (`build_report` by day, as the page's own tables) and
today's spend from the budget counters, the figures the auction checks budgets against
(the rollups trail them by seconds, so the larger of the two is today's).

`POST /brand/campaigns/{id}/pacing-forecast` (static/pacing.js asks it once the page has
loaded, with the page's form token): each live line item of the campaign forecast as it
stands, replacing itself (forecasting/: its own bids leave the auctions it is replayed
against), answered as a fragment of the panel: what it would spend a day and what limits
it most, in the forecast's own words ("A bid of about 9.10 per thousand impressions would
win three in four of those"). The costliest thing a page asks for, so a POST with the
token, at most MAX_FORECASTS line items, and only when the panel asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.campaign_state import CampaignState, StateCode
from shelfspace.catalog.enums import DeliveryStatus, Pacing
from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.catalog.schemas import FrequencyCap, LineItemFilters, Targeting
from shelfspace.catalog.services import campaigns, line_items
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.money import from_micros, to_micros
from shelfspace.dashboard.campaign_states import page_money
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.local_times import local
from shelfspace.dashboard.rendering import templates
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser
from shelfspace.db.session import session_scope
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.proposals import ForecastIn, ForecastLineItem
from shelfspace.reporting import pacing as rules
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.runtime import runtime_of

MAX_FORECASTS = 3  # line items forecast for one panel
LIMITS_SHOWN = 2  # of each forecast, the largest losses
DELIVERING = (StateCode.LIVE, StateCode.LIMITED_BY_BUDGET)  # the states whose spend is projected


@dataclass(frozen=True, slots=True)
class PacingPanel:
    pacing: rules.Pacing
    today: str
    projection: str
    method: str
    suggestion: str | None

    @property
    def used(self) -> str:
        return rules.percent(self.pacing.used_share)


def spend_by_day(request: Request, db: Session, campaign: Campaign, first: date, last: date) -> dict[date, int]:
    """The campaign's spend per local day from `first` to `last`, from the report rollups."""
    if last < first:
        return {}
    rt = runtime_of(request)
    query = ReportQuery(first, last, (Grouping.DAY,), advertiser_id=campaign.advertiser_id, campaign_id=campaign.id)
    rows = build_report(db, query, rt.attribution_windows, rt.settings.timezone).rows
    return {date.fromisoformat(str(r["day"])): to_micros(r["spend"]) for r in rows}


def pacing_panel(request: Request, db: Session, campaign: Campaign, state: CampaignState) -> PacingPanel:
    settings = runtime_of(request).settings
    tz = ZoneInfo(settings.timezone)
    now = runtime_of(request).clock.now()
    today = now.astimezone(tz).date()
    start, end = local(campaign.start, tz), local(campaign.end, tz) if campaign.end is not None else None
    flight = rules.Flight(
        start, end, campaign.budget_total_micros, campaign.budget_daily_micros, campaign.pacing is Pacing.EVEN
    )
    last = rules.last_day(end, tz)
    by_day = spend_by_day(request, db, campaign, start.date(), min(today, last) if last is not None else today)
    counted = runtime_of(request).counters.budget_use(campaign.id, today.isoformat()).spent_day
    today_micros = max(counted, by_day.get(today, 0))
    found = rules.pace(flight, by_day, today_micros, now, tz, delivering=state.code in DELIVERING)
    money = page_money(request)
    return PacingPanel(
        found,
        rules.today_words(found, money),
        rules.projection_words(found, money),
        rules.method_words(found, money, settings.timezone),
        rules.suggestion(found, money),
    )


@dataclass(frozen=True, slots=True)
class LineForecast:
    name: str
    has_history: bool
    spend_a_day_micros: int | None
    limits: list[str]
    problem: str | None = None  # why it could not be forecast


def _spec(campaign_id: str, line_item: LineItem) -> ForecastIn:
    """The line item as it stands, proposed in its own campaign, replacing itself."""
    cap = FrequencyCap.model_validate(line_item.frequency_cap) if line_item.frequency_cap else None
    return ForecastIn(
        line_item=ForecastLineItem(
            campaign_id=campaign_id,
            name=line_item.name,
            pricing=line_item.pricing,
            bid=from_micros(line_item.bid_micros),
            placements=line_item.placement_ids,
            targeting=Targeting.model_validate(line_item.targeting),
            frequency_cap=cap,
            products=list(line_item.products),
        ),
        replaces=line_item.id,
    )


def pacing_forecast_pages(forecaster: Forecaster) -> APIRouter:
    router = page_router()

    @router.post("/brand/campaigns/{campaign_id}/pacing-forecast")
    def pacing_forecast(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
        """Plain `def`: the forecasts (SQL, the replay) run in the thread pool."""
        with session_scope(runtime_of(request).db_sessions) as db:
            campaign = campaigns.get(db, user.principal, campaign_id)
            live = list(
                db.scalars(
                    line_items.query(
                        user.principal, LineItemFilters(campaign_id=campaign.id, status=DeliveryStatus.LIVE)
                    )
                    .order_by(LineItem.created_at, LineItem.id)
                    .limit(MAX_FORECASTS)
                )
            )
            specs = [(li.name, _spec(campaign.id, li)) for li in live]
        found: list[LineForecast] = []
        for name, spec in specs:
            try:
                made = forecaster.forecast(user.principal, spec)
            except (InvalidInput, NotFound, ValidationError) as exc:
                found.append(LineForecast(name, False, None, [], getattr(exc, "message", None) or str(exc)))
                continue
            if made.forecast is None:
                found.append(LineForecast(name, False, None, []))
                continue
            days = max(1, len(made.forecast.days))
            found.append(
                LineForecast(
                    name,
                    True,
                    made.forecast.spend_micros // days,
                    [f.message for f in made.forecast.limits[:LIMITS_SHOWN]],
                )
            )
        return templates.TemplateResponse(
            request,
            "brand/_pacing_forecast.html",
            {"forecasts": found, "currency": runtime_of(request).settings.currency},
        )

    return router
