"""Read what may serve from the catalogue into the engine's plain `Inventory`.

The only place where the decision path touches SQL, and it runs in the background when
the catalogue changes, never per request. Live means: an active placement; a live line
item of a live campaign (not ended) of an active advertiser, with at least one approved,
unarchived creative attached; available, unarchived products.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from shelfspace.billing import ledger
from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus, PlacementStatus, ReviewStatus
from shelfspace.catalog.models import Advertiser, Campaign, Creative, LineItem, Placement, Product
from shelfspace.catalog.schemas import WEEKDAYS
from shelfspace.decisioning.inventory import (
    Daypart,
    FrequencyCap,
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    LiveProduct,
    Pacing,
    Pricing,
    Targeting,
)
from shelfspace.decisioning.text import phrase, product_words


def _daypart(spec: dict[str, Any]) -> Daypart:
    end = None if spec["end"] == "24:00" else time.fromisoformat(spec["end"])
    return Daypart(frozenset(WEEKDAYS.index(d) for d in spec["days"]), time.fromisoformat(spec["start"]), end)


def targeting_of(spec: dict[str, Any]) -> Targeting:
    return Targeting(
        keywords=frozenset(p for p in (phrase(k) for k in spec.get("keywords", [])) if p),
        categories=frozenset(spec.get("categories", [])),
        audiences=frozenset(spec.get("audiences", [])),
        countries=frozenset(spec.get("countries", [])),
        devices=frozenset(spec.get("devices", [])),
        dayparts=tuple(_daypart(d) for d in spec.get("dayparts", [])),
    )


def live_creative(c: Creative) -> LiveCreative:
    return LiveCreative(
        id=c.id,
        format=str(c.format),
        size=c.size,
        image_url=c.image_url,
        click_url=c.click_url,
        media_url=c.media_url,
        duration_seconds=c.duration_seconds,
        title=c.title,
        body=c.body,
        sku=c.sku,
        media_type=c.media_type,
        bitrate_kbps=c.bitrate_kbps,
        html=c.html,
    )


def load_inventory(db: Session, now: datetime) -> Inventory:
    placements = {
        p.id: LivePlacement(
            p.id,
            str(p.channel),
            str(p.format),
            tuple(p.sizes),
            p.floor_cpm_micros,
            p.max_ads,
            frozenset(p.blocked_categories),
        )
        for p in db.scalars(select(Placement).where(Placement.status == PlacementStatus.ACTIVE))
    }
    advertisers = {
        a.id: LiveAdvertiser(a.id, a.category, frozenset(a.competitors), a.domain)
        for a in db.scalars(select(Advertiser).where(Advertiser.status == AdvertiserStatus.ACTIVE))
    }
    funds = ledger.funds(db)
    campaigns = {
        c.id: LiveCampaign(
            c.id,
            c.advertiser_id,
            c.start,
            c.end,
            c.budget_total_micros,
            c.budget_daily_micros,
            Pacing(str(c.pacing)),
            c.holdout_percent,
            funds.get(c.advertiser_id),
        )
        for c in db.scalars(
            select(Campaign).where(
                Campaign.status == DeliveryStatus.LIVE,
                Campaign.advertiser_id.in_(advertisers),
                or_(Campaign.end.is_(None), Campaign.end > now),
            )
        )
    }
    creatives: dict[str, list[LiveCreative]] = {}
    for c in db.scalars(
        select(Creative)
        .where(
            Creative.status == ReviewStatus.APPROVED, Creative.archived_at.is_(None), Creative.line_item_id.is_not(None)
        )
        .order_by(Creative.id)
    ):
        creatives.setdefault(c.line_item_id or "", []).append(live_creative(c))
    line_items = tuple(
        LiveLineItem(
            id=li.id,
            campaign_id=li.campaign_id,
            advertiser_id=li.advertiser_id,
            pricing=Pricing(str(li.pricing)),
            bid_micros=li.bid_micros,
            placements=frozenset(li.placement_ids),
            targeting=targeting_of(li.targeting),
            frequency_cap=FrequencyCap(li.frequency_cap["count"], li.frequency_cap["period"])
            if li.frequency_cap
            else None,
            products=tuple(li.products),
            creatives=tuple(creatives[li.id]),
        )
        for li in db.scalars(
            select(LineItem)
            .options(selectinload(LineItem.placements))
            .where(LineItem.status == DeliveryStatus.LIVE, LineItem.campaign_id.in_(campaigns))
            .order_by(LineItem.id)
        )
        if li.id in creatives
    )
    products = {
        p.sku: LiveProduct(
            p.sku,
            p.title,
            p.brand,
            p.category,
            p.price_micros,
            p.image_url,
            p.url,
            product_words(p.title, p.brand, p.category),
        )
        for p in db.scalars(select(Product).where(Product.available.is_(True), Product.archived_at.is_(None)))
    }
    return Inventory(placements, advertisers, campaigns, line_items, products)
