"""The shape of `POST /v1/forecasts`'s answer, for `/openapi.json` and for building it.

The figures come from `replay.py` (a `Forecast`, in the network's units: counts scaled
from the sample, money in micros); `answer.py` turns one into this model: money as exact
decimals (`MoneyFromMicros`), expected clicks and shares rounded, the method in words,
and competitors as the caller may see them. The schemathesis walk
(`tests/http/test_openapi_conformance.py`) holds the answers sent to this document.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.core.money import MoneyFromMicros
from shelfspace.forecasting.replay_types import Limit

Requests = Annotated[int, Field(description="Requests on the line item's placements (slots asked for).")]
Avails = Annotated[int, Field(description="Of those, the requests its targeting matches.")]
Clicks = Annotated[float, Field(description="Expected clicks (each impression's predicted click rate), to 0.01.")]
Spend = Annotated[MoneyFromMicros, Field(description="Expected cost, exact to the micro.")]
Reach = Annotated[int, Field(description="Unique users shown an ad (users with an id and consent only).")]
Frequency = Annotated[float | None, Field(description="Impressions per user reached, to 0.01; null without reach.")]


class ForecastDay(BaseModel):
    date: dt.date
    sampled_day: dt.date = Field(description="The sampled day of the same weekday this day replays.")
    requests: Requests
    avails: Avails
    impressions: int
    clicks: Clicks
    spend: Spend
    reach: Reach
    frequency: Frequency


class ForecastTotal(BaseModel):
    """The flight: `reach` is unique users over all of it, not the sum of the days'."""

    model_config = ConfigDict(populate_by_name=True)

    days: int
    from_: date | None = Field(alias="from", description="The first day forecast (null: no day left in the flight).")
    to: date | None
    open_ended: bool = Field(description="No end date: the next 30 days are forecast.")
    requests: Requests
    avails: Avails
    impressions: int
    clicks: Clicks
    spend: Spend
    reach: Reach
    frequency: Frequency


class ForecastFunnel(BaseModel):
    """Requests at each step over the flight, scaled like every figure."""

    requests: int
    targeted: int = Field(description="Its targeting, day-parts, blocked categories and competitors allow it.")
    above_floor: int
    won: int = Field(description="It would rank among the winners.")
    held_out: int = Field(description="Of those, users its campaign holds out to measure lift: shown nothing.")
    within_cap: int
    served: int


class ForecastLimit(BaseModel):
    limit: Limit
    lost_share: float = Field(description="The share of what reached this step that it loses here.")
    message: str


class Competitor(BaseModel):
    """A live line item met in the auctions (an operator's view: ids and names)."""

    line_item_id: str
    line_item_name: str
    advertiser_id: str
    advertiser_name: str
    auctions: int = Field(description="Auctions they would meet in, scaled.")
    share: float = Field(description="Of those, the share the proposal ranks above it.")


class AnonymousCompetitor(BaseModel):
    """A live line item of another advertiser, as an advertiser's key sees it: numbered, no ids."""

    line_item_id: None = Field(default=None, description="Never shown to another advertiser: null.")
    competitor: str = Field(examples=["competitor 1"])
    auctions: int
    share: float = Field(description="Of those, the share the proposal ranks above it.")


class ForecastHistory(BaseModel):
    """What the forecast replays."""

    model_config = ConfigDict(populate_by_name=True)

    sampled_days: int = Field(description="Days of the window with a sampled request on these placements.")
    sampled_requests: int = Field(description="Sampled requests on these placements in the window (per placement).")
    sample_percent: float = Field(description="The share of all requests kept (`request_sample_percent`).")
    from_: date = Field(alias="from", description="The window replayed: its first and last local days.")
    to: date
    catalogue_version: int
    replayed_at: datetime


class ForecastOut(BaseModel):
    """A proposed line item's forecast; without history (`has_history` false) no figure is
    made up: `days` and `limits` are empty and `total` is null, and `method` says why."""

    has_history: bool
    method: str
    days: list[ForecastDay]
    total: ForecastTotal | None
    funnel: ForecastFunnel | None
    limits: list[ForecastLimit] = Field(description="What stops it buying more, largest loss first.")
    limited_by: list[Limit] = Field(
        description="What stops it buying more, largest loss first (the names of `limits`)."
    )
    ecpm: MoneyFromMicros | None = Field(
        description="Its eCPM (a CPC bid times the predicted click rate), the highest over its placements."
    )
    predicted_ctr: float | None
    competition: list[Competitor | AnonymousCompetitor] = Field(
        description="The live line items it meets most; another advertiser's are anonymised for an advertiser's key."
    )
    history: ForecastHistory
