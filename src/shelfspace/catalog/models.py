"""The catalogue's tables. Money columns hold integer micros and say so in their names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shelfspace.catalog.enums import (
    AdFormat,
    AdvertiserStatus,
    BillingMode,
    Channel,
    DeliveryStatus,
    Pacing,
    PlacementStatus,
    Pricing,
    ReviewStatus,
)
from shelfspace.db.base import Base, Timestamps


class Placement(Timestamps, Base):
    """A place on the operator's channels where ads show; its id is the operator's slug."""

    __tablename__ = "placements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel]
    format: Mapped[AdFormat]
    sizes: Mapped[list[str]]
    floor_cpm_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    max_ads: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[PlacementStatus] = mapped_column(default=PlacementStatus.ACTIVE)
    # Advertisers in these categories (or below them) never show here: the operator's rule.
    blocked_categories: Mapped[list[str]] = mapped_column(default=list)


class Advertiser(Timestamps, Base):
    __tablename__ = "advertisers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(253))
    status: Mapped[AdvertiserStatus] = mapped_column(default=AdvertiserStatus.ACTIVE)
    # What the brand sells, as a category path; placements may block a category.
    category: Mapped[str | None] = mapped_column(String(300))
    # Advertiser ids never shown on the same page answer (competitive separation).
    competitors: Mapped[list[str]] = mapped_column(default=list)
    # The catalogue brands this advertiser owns: their sales are its halo sales.
    brands: Mapped[list[str]] = mapped_column(default=list)
    # Prepaid: delivery stops when the wallet (the ledger's balance) is used up. Credit:
    # when the balance reaches minus the limit; no limit (None) never stops delivery.
    billing_mode: Mapped[BillingMode] = mapped_column(default=BillingMode.CREDIT)
    credit_limit_micros: Mapped[int | None] = mapped_column(BigInteger)
    # A reseller may promote any brand's products; others only their own brands'
    # (catalog/promotable.py). The operator's to grant.
    reseller: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Campaign(Timestamps, Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    budget_total_micros: Mapped[int] = mapped_column(BigInteger)
    budget_daily_micros: Mapped[int | None] = mapped_column(BigInteger)
    pacing: Mapped[Pacing] = mapped_column(default=Pacing.EVEN)
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.LIVE)
    holdout_percent: Mapped[int] = mapped_column(Integer, default=0)
    # A test campaign: run with a holdout, and turned into a case study when it ends.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    # When its lift is read: fixed when the test is set up (services/campaigns.py read_date).
    lift_read_at: Mapped[datetime | None]


line_item_placements = Table(
    "line_item_placements",
    Base.metadata,
    Column("line_item_id", ForeignKey("line_items.id", ondelete="CASCADE"), primary_key=True),
    Column("placement_id", ForeignKey("placements.id"), primary_key=True, index=True),
)


class LineItem(Timestamps, Base):
    """What to buy (placements, targeting) at what price, inside a campaign's budget."""

    __tablename__ = "line_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Denormalised from the campaign so tenancy filters need no join; never changes.
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pricing: Mapped[Pricing]
    bid_micros: Mapped[int] = mapped_column(BigInteger)
    targeting: Mapped[dict[str, Any]]
    frequency_cap: Mapped[dict[str, Any] | None]
    products: Mapped[list[str]]
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.LIVE)

    placements: Mapped[list[Placement]] = relationship(
        secondary=line_item_placements, lazy="raise", order_by=Placement.id
    )

    @property
    def placement_ids(self) -> list[str]:
        return [p.id for p in self.placements]


class Creative(Timestamps, Base):
    """The ad itself. Reviewed by the operator before it can serve."""

    __tablename__ = "creatives"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    line_item_id: Mapped[str | None] = mapped_column(ForeignKey("line_items.id"), index=True)
    format: Mapped[AdFormat]
    size: Mapped[str | None] = mapped_column(String(20))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    click_url: Mapped[str | None] = mapped_column(String(2048))
    media_url: Mapped[str | None] = mapped_column(String(2048))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    html: Mapped[str | None] = mapped_column(Text)  # banner: HTML5 markup, shown in a sandboxed frame
    media_type: Mapped[str | None] = mapped_column(String(100))  # video: the file's MIME type
    bitrate_kbps: Mapped[int | None] = mapped_column(Integer)  # video: for players picking a file
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ReviewStatus] = mapped_column(default=ReviewStatus.PENDING)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    # The creative this one was sent in place of (then archived): catalog/services/creatives.py replace.
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("creatives.id"))


class CampaignDraft(Timestamps, Base):
    """A campaign wizard a brand saved to finish later: the form's fields as typed, nothing
    validated or booked (dashboard/brand/drafts.py)."""

    __tablename__ = "campaign_drafts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]]
    saved_by: Mapped[str | None] = mapped_column(String(40))  # the dashboard user's id


class Product(Timestamps, Base):
    """One item of the operator's catalogue, keyed by the operator's SKU."""

    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200), index=True)
    category: Mapped[str | None] = mapped_column(String(300), index=True)
    price_micros: Mapped[int | None] = mapped_column(BigInteger)
    available: Mapped[bool] = mapped_column(default=True)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    url: Mapped[str | None] = mapped_column(String(2048))
    archived_at: Mapped[datetime | None]


class CatalogueState(Base):
    """One row that counts catalogue changes, so the decision snapshot knows when to rebuild."""

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime]
