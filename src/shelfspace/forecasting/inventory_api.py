"""`GET /v1/forecasts/inventory`: the operator's inventory forecast (`inventory_forecast.py`).

Operator only, as the network's other whole-network reads (`/v1/billing/revenue`): an
advertiser's key is refused with 403 (`Principal.require_operator`), since the answer is
every advertiser's campaigns and budgets. The forecast is blocking work (SQL, the replay
when the baseline is rebuilt): a plain `def` route, run in the thread pool.

(No `from __future__ import annotations`: FastAPI reads these annotations.)
"""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.caller import Caller
from shelfspace.catalog.models import Advertiser, Campaign, Placement
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.money import MoneyFromMicros
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.inventory_forecast import (
    HORIZON_DAYS,
    CampaignOutlook,
    InventoryForecast,
    PlacementForecast,
    Verdict,
    Why,
)
from shelfspace.http.deps import AppSettings, Db
from shelfspace.http.errors import ERROR_RESPONSES

MAX_DAYS = 90


@dataclass(frozen=True, slots=True)
class Names:
    """The catalogue's names for what a forecast counts by id."""

    placements: dict[str, str]
    campaigns: dict[str, str]
    advertisers: dict[str, str]


def names_of(db: Session, found: InventoryForecast) -> Names:
    campaign_ids = {c.campaign_id for c in found.campaigns}
    advertiser_ids = {c.advertiser_id for c in found.campaigns}
    placement_ids = {p.placement_id for p in found.placements}
    return Names(
        {
            pid: name
            for pid, name in db.execute(select(Placement.id, Placement.name).where(Placement.id.in_(placement_ids)))
        },
        {
            cid: name
            for cid, name in db.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
        },
        {
            aid: name
            for aid, name in db.execute(select(Advertiser.id, Advertiser.name).where(Advertiser.id.in_(advertiser_ids)))
        },
    )


class InventoryDayOut(BaseModel):
    date: dt.date
    sampled_day: dt.date | None = Field(
        description="The sampled day of the same weekday it replays; null: no sampled request on this placement."
    )
    requests: int = Field(description="Requests expected on the placement.")
    slots: int = Field(description="Ads asked for (a request may ask for several, up to the placement's most).")
    sold: int = Field(description="Of those, the ads the live campaigns whose flight covers the day would take.")
    left: int = Field(description="Slots less sold: what is left to sell.")
    fill: float | None = Field(description="Sold over slots, to 0.0001; null without slots.")


class PlacementCampaignOut(BaseModel):
    id: str
    name: str
    advertiser_id: str
    impressions: int = Field(description="Ads it would take on this placement over the days asked for.")
    expected_spend: MoneyFromMicros = Field(
        description="What it would spend on this placement over the days asked "
        "for, within its budgets and its advertiser's funds."
    )
    budget_left: MoneyFromMicros = Field(description="The campaign's total budget less what it has spent.")
    share: float = Field(description="Its share of this placement's slots over the days asked for, to 0.0001.")
    verdict: Verdict
    reason: Why


class PlacementForecastOut(BaseModel):
    id: str
    name: str
    requests: int
    slots: int
    sold: int
    left: int
    fill: float | None
    sampled_days: int = Field(description="Days of the history with a sampled request on this placement.")
    days: list[InventoryDayOut]
    campaigns: list[PlacementCampaignOut] = Field(
        description="The live campaigns that can serve here, largest share first."
    )


class CampaignForecastOut(BaseModel):
    id: str
    name: str
    advertiser_id: str
    placements: list[str]
    flight_days: int = Field(description="Its days from today to its end; an open-ended one: the next 30 days.")
    open_ended: bool
    expected_spend: MoneyFromMicros = Field(
        description="What it is expected to spend a day, on average over its flight days, before what it has left."
    )
    projected_spend: MoneyFromMicros = Field(description="Over its flight days, within its budgets and funds.")
    budget_left: MoneyFromMicros = Field(description="Its total budget less what it has spent.")
    to_spend: MoneyFromMicros = Field(
        description="What it could spend in its flight days: what is left, each day within its daily budget."
    )
    shortfall: MoneyFromMicros = Field(description="To spend less projected, when it will under-deliver; else 0.")
    verdict: Verdict = Field(description="`will_under_deliver`: projected under 90% of `to_spend`.")
    reason: Why = Field(description="What limits it, as far as the sampled requests tell.")
    message: str


class InventoryHistoryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from", description="The window replayed: its first and last local days.")
    to: dt.date
    sampled_days: int = Field(description="Days of the window with a sampled request.")
    sampled_requests: int
    sample_percent: float = Field(description="The share of all requests kept (`request_sample_percent`).")
    message: str | None = Field(description="Why nothing is forecast, when no request was sampled.")


class InventoryForecastOut(BaseModel):
    """Without history (`has_history` false), every day's figures are 0 and `history.message` says why."""

    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from", description="Today, the first day forecast.")
    days: int
    currency: str
    has_history: bool
    method: str
    history: InventoryHistoryOut
    placements: list[PlacementForecastOut]
    campaigns: list[CampaignForecastOut] = Field(
        description="Every live campaign: those that will under-deliver first, largest shortfall first."
    )


def _fill(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _placement_out(
    placement: PlacementForecast, names: Names, outlooks: dict[str, CampaignOutlook]
) -> PlacementForecastOut:
    days = [
        InventoryDayOut(
            date=d.day,
            sampled_day=d.sampled_day,
            requests=d.requests,
            slots=d.slots,
            sold=d.sold,
            left=d.left,
            fill=_fill(d.fill),
        )
        for d in placement.days
    ]
    campaigns = [
        PlacementCampaignOut(
            id=b.campaign_id,
            name=names.campaigns.get(b.campaign_id, b.campaign_id),
            advertiser_id=b.advertiser_id,
            impressions=b.impressions,
            expected_spend=b.spend_micros,
            budget_left=outlooks[b.campaign_id].budget_left_micros,
            share=round(b.share, 4),
            verdict=outlooks[b.campaign_id].verdict,
            reason=outlooks[b.campaign_id].why,
        )
        for b in placement.buyers
    ]
    return PlacementForecastOut(
        id=placement.placement_id,
        name=names.placements.get(placement.placement_id, placement.placement_id),
        requests=placement.requests,
        slots=placement.slots,
        sold=placement.sold,
        left=placement.slots - placement.sold,
        fill=_fill(placement.fill),
        sampled_days=len(placement.sampled_days),
        days=days,
        campaigns=campaigns,
    )


def _campaign_out(outlook: CampaignOutlook, names: Names) -> CampaignForecastOut:
    return CampaignForecastOut(
        id=outlook.campaign_id,
        name=names.campaigns.get(outlook.campaign_id, outlook.campaign_id),
        advertiser_id=outlook.advertiser_id,
        placements=list(outlook.placements),
        flight_days=outlook.flight_days,
        open_ended=outlook.open_ended,
        expected_spend=outlook.expected_daily_micros,
        projected_spend=outlook.projected_micros,
        budget_left=outlook.budget_left_micros,
        to_spend=outlook.to_spend_micros,
        shortfall=outlook.shortfall_micros,
        verdict=outlook.verdict,
        reason=outlook.why,
        message=outlook.message,
    )


def inventory_forecast_out(found: InventoryForecast, names: Names, currency: str) -> InventoryForecastOut:
    outlooks = {c.campaign_id: c for c in found.campaigns}
    history = InventoryHistoryOut(
        from_=found.history_start,
        to=found.history_end,
        sampled_days=len(found.sampled_days),
        sampled_requests=found.sampled_requests,
        sample_percent=round(found.percent, 4),
        message=found.history_note,
    )
    return InventoryForecastOut(
        from_=found.today,
        days=found.days,
        currency=currency,
        has_history=bool(found.sampled_days),
        method=found.method,
        history=history,
        placements=[_placement_out(p, names, outlooks) for p in found.placements],
        campaigns=[_campaign_out(c, names) for c in found.campaigns],
    )


def inventory_forecast_router(forecaster: Forecaster) -> APIRouter:
    router = APIRouter(
        tags=["forecasting"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)}
    )

    @router.get(
        "/v1/forecasts/inventory",
        response_model=InventoryForecastOut,
        summary="The inventory forecast: per placement and day, requests, sold and left (operator)",
    )
    def read_inventory_forecast(
        db: Db,
        by: Caller,
        settings: AppSettings,
        days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Days to forecast, from today.")] = HORIZON_DAYS,
    ) -> JsonBody:
        """Replays the last 14 days of sampled requests through the auction with the live
        line items: each day ahead replays a sampled day of the same weekday. Per active
        placement and day: requests and slots expected, the ads the live campaigns would
        take (`sold`) and what is `left`; per live campaign, the spend projected over its
        flight against what it has left, and whether it will under-deliver, with the
        likely `reason`. `method` says how, in words."""
        by.require_operator("read the inventory forecast")
        found = forecaster.inventory(days)
        out = inventory_forecast_out(found, names_of(db, found), settings.currency)
        return JsonBody(out.model_dump(mode="python", by_alias=True))

    return router
