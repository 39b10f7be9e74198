"""A large synthetic network and its traffic, for benchmarks: any number of line items.

The shape follows a busy retail network: twenty placements (banners, native, sponsored
products), most line items targeting a few keywords from a vocabulary of two thousand,
some a category or a country or a device, one in five paid per click, a third evenly
paced, one in five frequency-capped. Requests search one to three words, browse a
category and come from one of ten countries. Rows are written straight to the tables
(the services' checks would only slow a seed whose values are valid by construction).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shelfspace.catalog.enums import (
    AdFormat,
    AdvertiserStatus,
    Channel,
    DeliveryStatus,
    Pacing,
    PlacementStatus,
    Pricing,
    ReviewStatus,
)
from shelfspace.catalog.models import Advertiser, Campaign, Creative, LineItem, Placement, Product

VOCABULARY = [f"w{i}" for i in range(2000)]
CATEGORIES = [f"dept{d}/aisle{a}" for d in range(10) for a in range(5)]
COUNTRIES = ["VN", "GB", "US", "DE", "FR", "NL", "SG", "TH", "ID", "AU"]
DEVICES = ["desktop", "mobile", "tablet"]
PLACEMENTS: list[tuple[str, Channel, AdFormat]] = (
    [(f"banner-{i}", Channel.WEB, AdFormat.BANNER) for i in range(8)]
    + [(f"native-{i}", Channel.APP, AdFormat.NATIVE) for i in range(6)]
    + [(f"search-{i}", Channel.SEARCH, AdFormat.SPONSORED_PRODUCT) for i in range(6)]
)
PRODUCTS = 5000
LINE_ITEMS_PER_CAMPAIGN = 5


@dataclass(frozen=True, slots=True)
class SyntheticNetwork:
    line_items: int
    placements: list[str]


def _targeting(rng: random.Random) -> dict[str, Any]:
    targeting: dict[str, Any] = {
        "keywords": [],
        "categories": [],
        "audiences": [],
        "countries": [],
        "devices": [],
        "dayparts": [],
    }
    if rng.random() < 0.7:
        targeting["keywords"] = rng.sample(VOCABULARY, rng.randint(1, 5))
    if rng.random() < 0.3:
        targeting["categories"] = [
            rng.choice(CATEGORIES).split("/")[0] if rng.random() < 0.5 else rng.choice(CATEGORIES)
        ]
    if rng.random() < 0.3:
        targeting["countries"] = rng.sample(COUNTRIES, rng.randint(1, 3))
    if rng.random() < 0.2:
        targeting["devices"] = [rng.choice(DEVICES)]
    return targeting


def seed_synthetic_network(db: Session, line_items: int, now: datetime, seed: int = 1) -> SyntheticNetwork:
    rng = random.Random(seed)
    placements = {
        pid: Placement(
            id=pid,
            name=pid,
            channel=channel,
            format=fmt,
            sizes=["300x250"] if fmt is AdFormat.BANNER else [],
            floor_cpm_micros=500_000,
            max_ads=3 if fmt is AdFormat.SPONSORED_PRODUCT else 1,
            status=PlacementStatus.ACTIVE,
        )
        for pid, channel, fmt in PLACEMENTS
    }
    db.add_all(placements.values())
    db.add_all(
        Product(
            sku=f"P{i:05d}",
            title=f"{rng.choice(VOCABULARY)} {rng.choice(VOCABULARY)} item",
            brand=f"brand{i % 200}",
            category=rng.choice(CATEGORIES),
            price_micros=rng.randint(1, 100) * 10**6,
            available=True,
        )
        for i in range(PRODUCTS)
    )
    campaigns: list[Campaign] = []
    for c in range((line_items + LINE_ITEMS_PER_CAMPAIGN - 1) // LINE_ITEMS_PER_CAMPAIGN):
        if c % 2 == 0:
            db.add(
                Advertiser(
                    id=f"adv_syn{c // 2:06d}",
                    name=f"Brand {c // 2}",
                    domain=f"b{c // 2}.example",
                    status=AdvertiserStatus.ACTIVE,
                )
            )
        even = rng.random() < 0.33
        campaign = Campaign(
            id=f"cmp_syn{c:06d}",
            advertiser_id=f"adv_syn{c // 2:06d}",
            name=f"Campaign {c}",
            start=now - timedelta(days=1),
            end=now + timedelta(days=30),
            budget_total_micros=10**12,
            budget_daily_micros=10**10 if even else None,
            pacing=Pacing.EVEN if even else Pacing.ASAP,
            status=DeliveryStatus.LIVE,
            holdout_percent=0,
        )
        campaigns.append(campaign)
    db.add_all(campaigns)
    db.flush()
    creatives: list[Creative] = []  # added after their line items: no ORM relationship orders them
    for n in range(line_items):
        campaign = campaigns[n // LINE_ITEMS_PER_CAMPAIGN]
        chosen = [placements[pid] for pid in rng.sample(list(placements), rng.randint(1, 3))]
        cpc = rng.random() < 0.2 and all(p.format is not AdFormat.SPONSORED_PRODUCT for p in chosen)
        skus = [f"P{rng.randrange(PRODUCTS):05d}" for _ in range(5)]
        line_item = LineItem(
            id=f"li_syn{n:06d}",
            campaign_id=campaign.id,
            advertiser_id=campaign.advertiser_id,
            name=f"Line item {n}",
            pricing=Pricing.CPC if cpc else Pricing.CPM,
            bid_micros=rng.randint(50, 500) * 10_000 if cpc else rng.randint(60, 2000) * 10_000,
            targeting=_targeting(rng),
            frequency_cap={"count": 5, "period": "day"} if rng.random() < 0.2 else None,
            products=sorted(set(skus)),
            status=DeliveryStatus.LIVE,
        )
        line_item.placements = chosen
        db.add(line_item)
        formats = {p.format for p in chosen}
        for fmt in formats:
            if fmt is AdFormat.SPONSORED_PRODUCT:
                for sku in line_item.products:
                    creatives.append(
                        Creative(
                            id=f"crv_syn{n:06d}{sku}",
                            advertiser_id=campaign.advertiser_id,
                            line_item_id=line_item.id,
                            format=fmt,
                            sku=sku,
                            status=ReviewStatus.APPROVED,
                        )
                    )
            else:
                creatives.append(
                    Creative(
                        id=f"crv_syn{n:06d}{fmt.value[:3]}",
                        advertiser_id=campaign.advertiser_id,
                        line_item_id=line_item.id,
                        format=fmt,
                        size="300x250" if fmt is AdFormat.BANNER else None,
                        image_url="https://brand.example/ad.png",
                        click_url="https://brand.example/",
                        title=f"Ad {n}",
                        status=ReviewStatus.APPROVED,
                    )
                )
    db.flush()
    db.add_all(creatives)
    db.flush()  # the catalogue version moves with it (catalog.version's listener)
    return SyntheticNetwork(line_items, list(placements))


def synthetic_request(rng: random.Random) -> dict[str, Any]:
    """One decision request body as a page or app would send it."""
    placements = rng.sample([pid for pid, _, _ in PLACEMENTS], rng.randint(1, 2))
    return {
        "user": {"id": f"u{rng.randrange(100_000)}"},
        "placements": [{"id": pid, "count": 3 if pid.startswith("search") else 1} for pid in placements],
        "context": {
            "query": " ".join(rng.sample(VOCABULARY, rng.randint(1, 3))),
            "category": rng.choice(CATEGORIES),
            "country": rng.choice(COUNTRIES),
            "device": rng.choice(DEVICES),
        },
        "consent": {"targeting": True},
    }
