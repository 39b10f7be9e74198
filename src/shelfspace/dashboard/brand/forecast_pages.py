"""POST /brand/forecast: the live forecast box of the wizard and of the campaign edit page.

The page's script posts the form as it stands (debounced, on any change) and shows the
answer: what the line item would buy a day and over its flight, and what limits it most,
in words. The form is read by the wizard's own helpers (`form_values`, `campaign_spec`,
`line_item_spec`), so a forecast is made of what the save would make; the forecaster then
validates it through the services (a rolled-back transaction) and replays it against the
sampled requests of the last weeks (forecasting/). Its field errors answer 422 in the
API's error shape, named by form field, for the page to show beside the fields.

From the edit page the form also names the line item it `replaces`: the line item is
forecast at the edited settings (its own bids leave the auctions; its creatives kept, and
its day-parts unless the form edits them: dayparts.py), in a `campaign` with the edited
budgets and dates, the spend so far counted against them (proposals.py takes it from the
replaced line item's campaign).

A POST, form-encoded, with the page's CSRF token (`CheckedForm`): the forecast writes
nothing, but it is the costliest thing a page asks for, so only the app's own pages ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from shelfspace.catalog.schemas import Targeting
from shelfspace.catalog.services import line_items
from shelfspace.core.errors import ErrorCode, FieldProblem, InvalidInput, NotFound
from shelfspace.core.money import from_micros
from shelfspace.dashboard.brand import dayparts
from shelfspace.dashboard.brand.wizard import campaign_spec, form_errors, form_values, line_item_spec
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, text
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.forecasting.baseline import Baseline
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.proposals import ForecastCampaign, ForecastIn, ForecastLineItem
from shelfspace.forecasting.replay_types import Forecast
from shelfspace.http.errors import error_response
from shelfspace.runtime import runtime_of

UNNAMED = "Forecast"  # a campaign not named yet is forecast all the same
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Figures:
    """What a forecast buys over some days: a day's average, or the whole flight."""

    impressions: float
    clicks: float
    spend_micros: float
    reach: float

    def as_json(self) -> dict[str, Any]:
        return {
            "impressions": round(self.impressions),
            "clicks": round(self.clicks, 1),
            "spend": str(from_micros(round(self.spend_micros)).quantize(CENT)),
            "reach": round(self.reach),
            "frequency": round(self.impressions / self.reach, 2) if self.reach else None,
        }


def figures(found: Forecast) -> tuple[Figures, Figures]:
    """(a day's average, the flight's total). A day's reach is the average day's; the
    flight's counts each person once."""
    days = max(1, len(found.days))
    daily = Figures(
        found.impressions / days,
        found.clicks / days,
        found.spend_micros / days,
        sum(d.reach for d in found.days) / days,
    )
    return daily, Figures(found.impressions, found.clicks, found.spend_micros, found.reach)


def method(baseline: Baseline, found: Forecast | None) -> str:
    """How the figures were made, said on the page under them."""
    percent = round(100 / baseline.weight, 2) if baseline.weight else 100
    if found is None:
        return (
            f"Forecasts replay the ad requests sampled on these placements from {baseline.start:%d %b} to "
            f"{baseline.end:%d %b}: there are none yet."
        )
    flight = "the next 30 days (no end date)" if found.open_ended else "the flight"
    return (
        f"Your line item replayed against {len(found.sampled_days)} days of this shop's ad requests "
        f"({_days(found.sampled_days)}; {percent:g}% of shoppers sampled, scaled up), competing with the live "
        f"campaigns' bids as the ad server ran them, under your targeting, floor, frequency cap, budget and "
        f"pacing; each day of {flight} replays a sampled day of the same weekday. What it would take from the "
        f"other campaigns is not fed back into their budgets."
    )


def _days(days: list[date]) -> str:
    return f"{days[0]:%d %b} to {days[-1]:%d %b}" if days else ""


def answer(baseline: Baseline, found: Forecast | None, currency: str) -> dict[str, Any]:
    """The page's JSON: daily and total figures, the limits in words, the method."""
    if found is None:
        return {"has_history": False, "method": method(baseline, None), "currency": currency, "limits": []}
    daily, total = figures(found)
    return {
        "has_history": True,
        "method": method(baseline, found),
        "currency": currency,
        "days": len(found.days),
        "first_day": found.days[0].day.isoformat() if found.days else None,
        "last_day": found.days[-1].day.isoformat() if found.days else None,
        "open_ended": found.open_ended,
        "daily": daily.as_json(),
        "total": total.as_json(),
        "limits": [
            {"limit": f.limit.value, "lost_share": round(f.lost_share, 4), "message": f.message} for f in found.limits
        ],
    }


def spec_of(request: Request, user: DashboardUser, values: dict[str, Any]) -> ForecastIn:
    """The forecast's input from the form, validated as the wizard validates it; raises
    InvalidInput naming the form's fields."""
    errors: FieldErrors = {}
    named = values | {"name": values["name"] or UNNAMED}
    campaign = campaign_spec(request, named, errors)
    line_item = line_item_spec(named, errors)
    if errors or campaign is None or line_item is None:
        raise InvalidInput.collect([FieldProblem(k, v) for k, v in errors.items()])
    replaces = values["replaces"] or None
    hours = values.get("dayparts")  # the form's day-part editor (dayparts.py), if it has one
    if replaces is not None:  # the edit page: the brand's own line item keeps what the page does not edit
        with session_scope(runtime_of(request).db_sessions) as db:
            kept = line_items.get(db, user.principal, replaces)
            if hours is None:
                hours = Targeting.model_validate(kept.targeting).dayparts
    if hours is not None:
        line_item = line_item.model_copy(
            update={"targeting": line_item.targeting.model_copy(update={"dayparts": hours})}
        )
    return ForecastIn(
        campaign=ForecastCampaign.model_validate(campaign.model_dump()),
        line_item=ForecastLineItem.model_validate(line_item.model_dump() | {"campaign_id": None}),
        replaces=replaces,
    )


def forecast_pages(forecaster: Forecaster) -> APIRouter:
    router = page_router()

    @router.post("/brand/forecast")
    def forecast_json(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
        """Plain `def`: the forecaster's work (SQL, the replay) runs in the thread pool."""
        values = form_values(form) | {"replaces": text(form, "replaces")}
        wrong: FieldErrors = {}
        values["dayparts"] = dayparts.read(form, wrong)
        if wrong:
            problems = [FieldProblem(k, v) for k, v in wrong.items()]
            return error_response(
                422, ErrorCode.VALIDATION_FAILED, "; ".join(f"{p.field}: {p.message}" for p in problems), problems
            )
        try:
            made = forecaster.forecast(user.principal, spec_of(request, user, values))
        except NotFound as exc:
            return error_response(404, ErrorCode.NOT_FOUND, exc.message)
        except (InvalidInput, ValidationError) as exc:
            problems = [FieldProblem(k, v) for k, v in form_errors(exc).items()]
            return error_response(
                422, ErrorCode.VALIDATION_FAILED, "; ".join(f"{p.field}: {p.message}" for p in problems), problems
            )
        return JSONResponse(answer(made.baseline, made.forecast, runtime_of(request).settings.currency))

    return router
