"""The shapes of `POST /v1/decisions` (../shared/api.md, "Decisions")."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from shelfspace.catalog.enums import AdFormat, Device, Pricing
from shelfspace.catalog.fields import Category, Country, Keyword, Sku, Slug, WebUrl
from shelfspace.core.inputs import InputModel
from shelfspace.core.jsonbody import ExactDecimal
from shelfspace.decisioning.reasons import Reason


class UserIn(InputModel):
    id: (
        Annotated[str, Field(min_length=1, max_length=200, description="The operator's own, stable user id.")] | None
    ) = None


class PlacementAsk(InputModel):
    id: Slug
    count: int = Field(default=1, ge=1, le=50, description="Ads wanted; at most the placement's `max_ads` are given.")


class ContextIn(InputModel):
    url: WebUrl | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    category: Category | None = Field(default=None, description="The page's category, e.g. `outdoor/camping`.")
    query: Annotated[str, Field(max_length=500)] | None = Field(default=None, description="The shopper's search.")
    skus: list[Sku] = Field(default_factory=list, max_length=200, description="Products on the page or in the cart.")
    device: Device | None = None
    country: Country | None = None


class ConsentIn(InputModel):
    targeting: bool = Field(default=False, description="May the user's own data (audiences, caps) be used?")
    tcf: Annotated[str, Field(min_length=1, max_length=4000)] | None = Field(
        default=None, description="An IAB TCF v2 consent string; when sent, it must also grant purposes 1, 3 and 4."
    )


class DecisionIn(InputModel):
    user: UserIn = Field(default_factory=UserIn)
    placements: list[PlacementAsk] = Field(min_length=1, max_length=20)
    context: ContextIn = Field(default_factory=ContextIn)
    consent: ConsentIn = Field(default_factory=ConsentIn)
    debug: bool = Field(default=False, description="Operator key only: add `explain`.")

    @field_validator("placements")
    @classmethod
    def _once_each(cls, asks: list[PlacementAsk]) -> list[PlacementAsk]:
        ids = [a.id for a in asks]
        if len(set(ids)) != len(ids):
            raise ValueError("a placement is asked for twice; use `count` for more ads")
        return asks


class CreativeOut(BaseModel):
    size: str | None = None
    image_url: str | None = None
    title: str | None = None
    body: str | None = None
    media_url: str | None = None
    duration_seconds: int | None = None
    click_url: str | None = None
    html: str | None = Field(
        default=None,
        description="HTML5 banner markup: show it in a sandboxed iframe "
        "(the publisher tag does), `%%CLICK_URL%%` being the click URL.",
    )


class ProductOut(BaseModel):
    sku: str
    title: str
    brand: str | None
    category: str | None
    price: ExactDecimal | None
    image_url: str | None
    url: str | None


class AdSource(StrEnum):
    """Who filled the slot: one of the network's own campaigns, or an OpenRTB demand partner."""

    SHELFSPACE = "shelfspace"
    DEMAND_PARTNER = "demand_partner"


class AdOut(BaseModel):
    ad_id: str = Field(description="Unique per served ad: the key every event of this ad is counted by.")
    advertiser_id: str | None = Field(description="Null for a demand partner's ad.")
    campaign_id: str | None = Field(description="Null for a demand partner's ad.")
    line_item_id: str | None = Field(description="Null for a demand partner's ad.")
    creative_id: str | None = Field(description="Null for a demand partner's ad.")
    format: AdFormat
    creative: CreativeOut
    sku: str | None
    product: ProductOut | None = Field(description="The promoted product, for sponsored products.")
    price: ExactDecimal = Field(description="Per thousand impressions (cpm) or per click (cpc).")
    pricing: Pricing
    tracking: TrackingOut
    source: AdSource = Field(
        default=AdSource.SHELFSPACE,
        description="`demand_partner`: an OpenRTB partner's "
        "winning bid for a slot no campaign took; `creative.html` is its markup.",
    )
    demand_partner_id: str | None = Field(default=None, description="The demand partner whose bid filled the slot.")


class TrackingOut(BaseModel):
    """Signed URLs: call each once when it happens. A forged or altered URL counts nothing."""

    impression: str = Field(description="When the ad begins to render. 204, or a GIF with `?img=1`.")
    viewable: str | None = Field(
        default=None,
        description="When 50% of it has been in view for 1 s (2 s for video). "
        "Null for a demand partner's ad (its markup tracks itself).",
    )
    click: str | None = Field(
        default=None,
        description="The ad's link: counts the click, then 302 to the landing page. Null for a demand partner's ad.",
    )


class ExplainOut(BaseModel):
    placement_id: str
    line_item_id: str
    advertiser_id: str
    ecpm: ExactDecimal | None
    won: bool
    reason: Reason | None = Field(description="Why it did not win; null for winners.")


class DecisionOut(BaseModel):
    request_id: str
    decisions: dict[str, list[AdOut]]
    explain: list[ExplainOut] | None = None
