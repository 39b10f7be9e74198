"""API shapes of the catalogue: what comes in (Create, Update) and what goes out (Out).

Update shapes have every field optional; only the fields a PATCH names change, and a
field set to null is cleared where the field may be empty.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from shelfspace.catalog.campaign_state import StateCode, StateReason
from shelfspace.catalog.enums import (
    AdFormat,
    AdvertiserStatus,
    BillingMode,
    CapPeriod,
    Channel,
    DeliveryStatus,
    Device,
    Pacing,
    PlacementStatus,
    Pricing,
    ReviewStatus,
)
from shelfspace.catalog.fields import (
    Category,
    Country,
    Domain,
    Keyword,
    Name,
    Size,
    Sku,
    Slug,
    UtcDatetime,
    WebUrl,
)
from shelfspace.core.inputs import InputModel
from shelfspace.core.money import Money, MoneyFromMicros, PositiveMoney

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Text = Annotated[str, Field(max_length=5000)]
ShortList = Annotated[list[str], Field(max_length=1000)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- placements -------------------------------------------------------------------------


class PlacementCreate(InputModel):
    id: Slug
    name: Name
    channel: Channel
    format: AdFormat
    sizes: list[Size] = Field(default_factory=list, max_length=20)
    floor_cpm: Money = Field(default=Decimal(0), description="Minimum price per thousand impressions.")
    max_ads: int = Field(default=1, ge=1, le=50, description="Most ads shown at once (slots).")
    blocked_categories: list[Category] = Field(
        default_factory=list,
        max_length=200,
        description="Advertisers in these categories (or below them) never show here.",
    )


class PlacementUpdate(InputModel):
    name: Name | None = None
    sizes: list[Size] | None = Field(default=None, max_length=20)
    floor_cpm: Money | None = None
    max_ads: int | None = Field(default=None, ge=1, le=50)
    status: PlacementStatus | None = None
    blocked_categories: list[Category] | None = Field(default=None, max_length=200)


class PlacementOut(_Out):
    id: str
    name: str
    channel: Channel
    format: AdFormat
    sizes: list[str]
    floor_cpm: MoneyFromMicros = Field(validation_alias="floor_cpm_micros")
    max_ads: int
    status: PlacementStatus
    blocked_categories: list[str]
    created_at: datetime
    updated_at: datetime


# --- advertisers ------------------------------------------------------------------------


Competitors = Annotated[
    list[Annotated[str, Field(max_length=40)]],
    Field(max_length=100, description="Operator only: advertiser ids never shown on the same page."),
]


Brands = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]],
    Field(max_length=50, description="Catalogue brands it owns (products' `brand`); its name when empty."),
]


RESELLER_HELP = (
    "Operator only. A reseller may promote any product in the catalogue as sponsored products; "
    "other advertisers only their own brands' products (those whose `brand` is one of `brands`, "
    "or the advertiser's name when `brands` is empty)."
)
BILLING_MODE_HELP = (
    "`prepaid`: delivery stops when the wallet is used up; `credit`: invoiced monthly, and "
    "delivery stops when the balance reaches minus `credit_limit` (no limit when null)."
)


class AdvertiserCreate(InputModel):
    name: Name
    domain: Domain
    status: AdvertiserStatus = AdvertiserStatus.ACTIVE
    category: Category | None = Field(default=None, description="What the brand sells, e.g. finance/banking.")
    competitors: Competitors = Field(default_factory=list)
    brands: Brands = Field(default_factory=list)
    billing_mode: BillingMode = Field(default=BillingMode.CREDIT, description=BILLING_MODE_HELP)
    credit_limit: Money | None = Field(default=None, description="On credit: how far the balance may go below zero.")
    reseller: bool = Field(default=False, description=RESELLER_HELP)


class AdvertiserUpdate(InputModel):
    name: Name | None = None
    domain: Domain | None = None
    status: AdvertiserStatus | None = None
    category: Category | None = None
    competitors: Competitors | None = None
    brands: Brands | None = None
    billing_mode: BillingMode | None = Field(default=None, description=BILLING_MODE_HELP)
    credit_limit: Money | None = Field(
        default=None, description="On credit: how far the balance may go below zero; null for no limit."
    )
    reseller: bool | None = Field(default=None, description=RESELLER_HELP)


class AdvertiserOut(_Out):
    id: str
    name: str
    domain: str
    status: AdvertiserStatus
    category: str | None
    competitors: list[str]
    brands: list[str]
    billing_mode: BillingMode
    credit_limit: MoneyFromMicros | None = Field(validation_alias="credit_limit_micros")
    reseller: bool = Field(default=False, description=RESELLER_HELP)
    created_at: datetime
    updated_at: datetime


# --- campaigns --------------------------------------------------------------------------


class CampaignCreate(InputModel):
    advertiser_id: str | None = Field(
        default=None, max_length=40, description="Required with an operator key; an advertiser key's own by default."
    )
    name: Name
    start: UtcDatetime
    end: UtcDatetime | None = Field(default=None, description="Open-ended when absent.")
    budget_total: PositiveMoney
    budget_daily: PositiveMoney | None = None
    pacing: Pacing = Pacing.EVEN
    status: DeliveryStatus = DeliveryStatus.LIVE
    holdout_percent: int = Field(
        default=0,
        ge=0,
        le=50,
        description=(
            "Users held out to measure lift. A test campaign holds out 20% unless told otherwise, and at least 1%."
        ),
    )
    is_test: bool = Field(
        default=False,
        description="A test campaign: measured against a holdout, written up as a case study when it ends.",
    )
    lift_read_at: UtcDatetime | None = Field(
        default=None,
        description=(
            "A test campaign's read date: its lift is read once, with the purchases up to then, and shown before it as "
            "interim counts without a verdict. The day after the end unless given; for an open-ended test, 29 days "
            "after the start. Fixed when the test is set up."
        ),
    )


class CampaignUpdate(InputModel):
    name: Name | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    budget_total: PositiveMoney | None = None
    budget_daily: PositiveMoney | None = None
    pacing: Pacing | None = None
    status: DeliveryStatus | None = None
    holdout_percent: int | None = Field(default=None, ge=0, le=50)
    is_test: bool | None = None
    lift_read_at: UtcDatetime | None = Field(
        default=None, description=("Moves the read date while the campaign has not started; fixed from its start.")
    )


class CampaignStateOut(_Out):
    """What the campaign is right now, decided from its dates, line items, creatives,
    budgets and its advertiser's funds (catalog/campaign_state.py). Read-only."""

    code: StateCode = Field(
        description="`draft`, `in_review`, `creative_rejected`, `scheduled`, `live`, "
        "`limited_by_budget`, `out_of_funds`, `paused` or `ended`."
    )
    reason: StateReason = Field(description="Why, more finely (e.g. `daily_budget_spent`, `wallet_empty`).")
    message: str = Field(
        description='The state in plain words, e.g. "The prepaid funds are used up: delivery '
        'stopped on 3 Dec between 14:00 and 15:00."'
    )
    action: str | None = Field(description="What the advertiser can do about it, if anything.")


class CampaignOut(_Out):
    id: str
    advertiser_id: str
    name: str
    start: datetime
    end: datetime | None
    budget_total: MoneyFromMicros = Field(validation_alias="budget_total_micros")
    budget_daily: MoneyFromMicros | None = Field(validation_alias="budget_daily_micros")
    pacing: Pacing
    status: DeliveryStatus
    holdout_percent: int
    is_test: bool
    lift_read_at: datetime | None
    created_at: datetime
    updated_at: datetime
    state: CampaignStateOut = Field(
        description=(
            "Read-only: what the campaign is now. `status` is what was asked (`live`, `paused`, `archived`); `state` "
            "is what happens: a `live` campaign may be `scheduled`, `in_review` or `out_of_funds`."
        )
    )


# --- line items -------------------------------------------------------------------------


class Daypart(InputModel):
    """Hours of the week in the network's time zone: `start` included, `end` excluded."""

    days: list[str] = Field(min_length=1, max_length=7, examples=[["mon", "tue"]])
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["12:30"])

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"days must be among {', '.join(WEEKDAYS)}; got {bad}")
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} must be a time HH:MM between 00:00 and 24:00")
        return value

    @model_validator(mode="after")
    def _order(self) -> Daypart:
        if self.end <= self.start:
            raise ValueError("end must be after start (split a daypart that crosses midnight in two)")
        return self


class Targeting(InputModel):
    """Every list narrows delivery; an empty list means no restriction on that dimension."""

    keywords: list[Keyword] = Field(default_factory=list, max_length=1000)
    categories: list[Category] = Field(default_factory=list, max_length=200)
    audiences: list[str] = Field(default_factory=list, max_length=50)
    countries: list[Country] = Field(default_factory=list, max_length=250)
    devices: list[Device] = Field(default_factory=list, max_length=5)
    dayparts: list[Daypart] = Field(default_factory=list, max_length=50)


class FrequencyCap(InputModel):
    count: int = Field(ge=1, le=1000, description="Most impressions per user per period.")
    period: CapPeriod


class LineItemCreate(InputModel):
    campaign_id: str = Field(max_length=40)
    name: Name
    pricing: Pricing = Pricing.CPM
    bid: PositiveMoney = Field(description="Per thousand impressions (cpm) or per click (cpc).")
    placements: list[Slug] = Field(min_length=1, max_length=200)
    targeting: Targeting = Field(default_factory=Targeting)
    frequency_cap: FrequencyCap | None = None
    products: list[Sku] = Field(default_factory=list, max_length=1000, description="SKUs to promote.")
    status: DeliveryStatus = DeliveryStatus.LIVE


class LineItemUpdate(InputModel):
    name: Name | None = None
    pricing: Pricing | None = None
    bid: PositiveMoney | None = None
    placements: list[Slug] | None = Field(default=None, min_length=1, max_length=200)
    targeting: Targeting | None = None
    frequency_cap: FrequencyCap | None = None
    products: list[Sku] | None = Field(default=None, max_length=1000)
    status: DeliveryStatus | None = None


class LineItemOut(_Out):
    id: str
    campaign_id: str
    advertiser_id: str
    name: str
    pricing: Pricing
    bid: MoneyFromMicros = Field(validation_alias="bid_micros")
    placements: list[str] = Field(validation_alias="placement_ids")
    targeting: Targeting
    frequency_cap: FrequencyCap | None
    products: list[str]
    status: DeliveryStatus
    created_at: datetime
    updated_at: datetime


# --- creatives --------------------------------------------------------------------------


class CreativeContent(InputModel):
    """What an advertiser may change; a change sends the creative back to review."""

    size: Size | None = None
    image_url: WebUrl | None = None
    click_url: WebUrl | None = None
    media_url: WebUrl | None = Field(default=None, description="The video file (video format).")
    duration_seconds: int | None = Field(default=None, ge=1, le=600)
    html: Annotated[str, Field(min_length=1, max_length=100_000)] | None = Field(
        default=None,
        description="A banner as HTML5 markup instead of an image; it runs in a sandboxed frame, "
        "and `%%CLICK_URL%%` in it becomes the ad's click URL.",
    )
    media_type: Annotated[str, Field(pattern=r"^(video|application)/[A-Za-z0-9.+-]+$", max_length=100)] | None = Field(
        default=None, description="The video file's MIME type, e.g. video/mp4; by default read from the URL."
    )
    bitrate_kbps: int | None = Field(default=None, ge=50, le=100_000, description="The video file's bitrate.")
    title: Annotated[str, Field(max_length=200)] | None = None
    body: Text | None = None
    sku: Sku | None = None


class CreativeCreate(CreativeContent):
    advertiser_id: str | None = Field(
        default=None, max_length=40, description="Required with an operator key; an advertiser key's own by default."
    )
    line_item_id: str | None = Field(default=None, max_length=40)
    format: AdFormat


class CreativeUpdate(CreativeContent):
    line_item_id: str | None = Field(default=None, max_length=40)
    status: ReviewStatus | None = Field(default=None, description="Operator only: the review.")
    review_note: Text | None = Field(default=None, description="Required when rejecting.")


class CreativeOut(_Out):
    id: str
    advertiser_id: str
    line_item_id: str | None
    format: AdFormat
    size: str | None
    image_url: str | None
    click_url: str | None
    media_url: str | None
    duration_seconds: int | None
    html: str | None
    media_type: str | None
    bitrate_kbps: int | None
    title: str | None
    body: str | None
    sku: str | None
    status: ReviewStatus
    review_note: str | None
    reviewed_at: datetime | None
    archived_at: datetime | None
    replaces_id: str | None = Field(default=None, description="The creative this one replaced (then archived).")
    created_at: datetime
    updated_at: datetime


# --- products ---------------------------------------------------------------------------


class ProductIn(InputModel):
    sku: Sku
    title: Annotated[str, Field(min_length=1, max_length=300)]
    brand: Annotated[str, Field(max_length=200)] | None = None
    category: Category | None = None
    price: Money | None = None
    available: bool = True
    image_url: WebUrl | None = None
    url: WebUrl | None = None


class ProductUpdate(InputModel):
    title: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    brand: Annotated[str, Field(max_length=200)] | None = None
    category: Category | None = None
    price: Money | None = None
    available: bool | None = None
    image_url: WebUrl | None = None
    url: WebUrl | None = None


class ProductOut(_Out):
    sku: str
    title: str
    brand: str | None
    category: str | None
    price: MoneyFromMicros | None = Field(validation_alias="price_micros")
    available: bool
    image_url: str | None
    url: str | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ImportProblem(BaseModel):
    line: int = Field(description="CSV: the file's line (header is 1). JSON: position in `products`, from 1.")
    field: str
    reason: str


class ImportResult(BaseModel):
    received: int
    imported: int = Field(description="Rows written (created or updated).")
    created: int
    updated: int
    rejected: list[ImportProblem]
    written: bool = Field(description="False when `on_error=reject` refused the whole feed.")


# --- list filters (query parameters) ----------------------------------------------------


class _Filters(InputModel):
    """Query parameters of a list; they share the query string with `limit` and `cursor`."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    include_archived: bool = Field(default=False, description="Also list archived objects.")


class PlacementFilters(_Filters):
    channel: Channel | None = None
    format: AdFormat | None = None


class AdvertiserFilters(_Filters):
    status: AdvertiserStatus | None = None


class CampaignFilters(_Filters):
    advertiser_id: str | None = Field(default=None, max_length=40)
    status: DeliveryStatus | None = None


class LineItemFilters(_Filters):
    campaign_id: str | None = Field(default=None, max_length=40)
    advertiser_id: str | None = Field(default=None, max_length=40)
    status: DeliveryStatus | None = None


class CreativeFilters(_Filters):
    advertiser_id: str | None = Field(default=None, max_length=40)
    line_item_id: str | None = Field(default=None, max_length=40)
    status: ReviewStatus | None = Field(default=None, description="`pending` lists the review queue.")


class ProductFilters(_Filters):
    category: str | None = Field(default=None, max_length=300, description="This category and below.")
    brand: str | None = Field(default=None, max_length=200)
    available: bool | None = None
