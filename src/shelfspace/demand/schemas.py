"""API shapes of `/v1/demand-partners` and of a partner's report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.fields import Domain, Name, Slug, WebUrl
from shelfspace.catalog.schemas import _Filters
from shelfspace.core.inputs import InputModel
from shelfspace.core.jsonbody import ExactDecimal
from shelfspace.core.money import Money, MoneyFromMicros
from shelfspace.demand.models import DEFAULT_TIMEOUT_MS

MAX_TIMEOUT_MS = 1000
MAX_NOTICE_DOMAINS = 20


class PartnerCreate(InputModel):
    name: Name
    endpoint: WebUrl = Field(description="Where OpenRTB 2.6 bid requests are POSTed (http or https).")
    timeout_ms: int = Field(
        default=DEFAULT_TIMEOUT_MS,
        ge=1,
        le=MAX_TIMEOUT_MS,
        description="How long Shelfspace waits for a bid; a later answer is dropped.",
    )
    floor_cpm: Money = Field(
        default=Decimal(0),
        description="Its own floor; a slot's floor is the larger of this and the placement's `floor_cpm`.",
    )
    placements: list[Slug] = Field(
        default_factory=list, max_length=200, description="Placement ids it may bid on; empty: every placement."
    )
    notice_domains: list[Domain] = Field(
        default_factory=list,
        max_length=MAX_NOTICE_DOMAINS,
        description="Hosts its win (`nurl`) and billing (`burl`) notices may go "
        "to, each with the names under it; empty: the endpoint's host. "
        "A notice elsewhere is never called.",
    )
    status: DeliveryStatus = DeliveryStatus.LIVE


class PartnerUpdate(InputModel):
    name: Name | None = None
    endpoint: WebUrl | None = None
    timeout_ms: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_MS)
    floor_cpm: Money | None = None
    placements: list[Slug] | None = Field(default=None, max_length=200)
    notice_domains: list[Domain] | None = Field(default=None, max_length=MAX_NOTICE_DOMAINS)
    status: DeliveryStatus | None = None


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    endpoint: str
    timeout_ms: int
    floor_cpm: MoneyFromMicros = Field(validation_alias="floor_cpm_micros")
    placements: list[str]
    notice_domains: list[str]
    status: DeliveryStatus
    created_at: datetime
    updated_at: datetime


class PartnerFilters(_Filters):
    status: DeliveryStatus | None = None


class ReportRow(BaseModel):
    """One day and placement. `bid_requests`, `bids`, `wins` and `timeouts` are counted in
    this process's memory since it started (`counted_since`); impressions and revenue come
    from the durable event log."""

    day: date
    placement_id: str
    impressions: int
    revenue: ExactDecimal = Field(description="The sum of clearing prices / 1000, in the network currency.")
    ecpm: ExactDecimal | None = Field(description="revenue / impressions * 1000; null without impressions.")
    bid_requests: int
    bids: int
    wins: int
    timeouts: int


class PartnerReport(BaseModel):
    partner_id: str
    currency: str
    start: date
    end: date
    counted_since: datetime = Field(description="Since when this process counts bid requests, bids, wins and timeouts.")
    rows: list[ReportRow]
