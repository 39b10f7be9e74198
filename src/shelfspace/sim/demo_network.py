"""Freshmart, the demo network: a supermarket selling its shoppers' attention to brands.

Everything is made through the same services the management API calls, as the system
principal (and, for creatives waiting for review, as the brand itself), so the demo can
never hold an object the API would refuse. It seeds the catalogue only; traffic comes
from the simulator.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import simplejson
from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import SYSTEM, Principal, Role
from shelfspace.billing import accounts
from shelfspace.billing.schemas import TopUpIn
from shelfspace.catalog.enums import (
    AdFormat,
    BillingMode,
    CapPeriod,
    Channel,
    DeliveryStatus,
    Pacing,
    Pricing,
    ReviewStatus,
)
from shelfspace.catalog.models import Advertiser, Placement
from shelfspace.catalog.schemas import (
    AdvertiserCreate,
    CampaignCreate,
    CreativeCreate,
    CreativeUpdate,
    FrequencyCap,
    LineItemCreate,
    PlacementCreate,
    Targeting,
)
from shelfspace.catalog.services import advertisers, campaigns, creatives, line_items, placements
from shelfspace.catalog.services.product_feed import OnError, import_feed
from shelfspace.audiences import service as audiences
from shelfspace.audiences.models import Audience, AudienceSize
from shelfspace.audiences.schemas import AudienceCreate
from shelfspace.core.errors import Conflict
from shelfspace.measurement import brand_lift
from shelfspace.measurement.brand_lift import LiftMetric, StudyCreate
from shelfspace.sim.demo_catalogue import brand_code, products, skus_of


class DemoAlreadySeeded(Conflict):
    """The database already holds a network; the demo never mixes into one."""


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    """What was seeded, for the command to print and the tests to check."""

    placement_ids: list[str]
    advertiser_ids: list[str]
    products: int
    campaigns: int
    line_items: int
    creatives: int


def _placement(id: str, name: str, channel: Channel, fmt: AdFormat, floor: str, sizes: tuple[str, ...] = (),
               max_ads: int = 1, blocked: tuple[str, ...] = ()) -> PlacementCreate:
    return PlacementCreate(id=id, name=name, channel=channel, format=fmt, sizes=list(sizes),
                           floor_cpm=Decimal(floor), max_ads=max_ads, blocked_categories=list(blocked))


PLACEMENTS: tuple[PlacementCreate, ...] = (
    _placement("home-hero", "Home page hero", Channel.WEB, AdFormat.BANNER, "4.00", ("1200x400", "970x250", "300x250")),
    _placement("category-sidebar", "Category page sidebar", Channel.WEB, AdFormat.BANNER, "2.50", ("300x600", "300x250")),
    _placement("product-page-native", "Product page, more like this", Channel.WEB, AdFormat.NATIVE, "2.00"),
    _placement("search-sponsored", "Search results, sponsored products", Channel.SEARCH, AdFormat.SPONSORED_PRODUCT,
               "1.50", max_ads=4),
    _placement("app-feed-native", "App home feed", Channel.APP, AdFormat.NATIVE, "3.00", max_ads=2),
    _placement("app-banner", "App bottom banner", Channel.APP, AdFormat.BANNER, "1.50", ("320x50", "320x100")),
    _placement("app-sponsored", "App search, sponsored products", Channel.APP, AdFormat.SPONSORED_PRODUCT, "1.50",
               max_ads=2),
    # Freshmart's own recipe videos carry no ads for other streaming services.
    _placement("recipes-preroll", "Recipe videos, pre-roll", Channel.VIDEO, AdFormat.VIDEO, "12.00", ("1280x720",),
               blocked=("media/streaming",)),
    _placement("ctv-preroll", "Freshmart TV, pre-roll", Channel.CTV, AdFormat.VIDEO, "25.00", ("1920x1080",)),
    _placement("newsletter-banner", "Weekly offers e-mail", Channel.EMAIL, AdFormat.BANNER, "2.00", ("600x200",)),
    _placement("instore-screen", "Checkout screens", Channel.INSTORE, AdFormat.VIDEO, "8.00", ("1920x1080",)),
)


@dataclass(frozen=True, slots=True)
class LinePlan:
    name: str
    placements: tuple[str, ...]
    bid: str
    pricing: Pricing = Pricing.CPM
    _: KW_ONLY
    targeting: dict[str, Any] = field(default_factory=dict)
    cap: tuple[int, CapPeriod] | None = None
    promote_brand: bool = False  # promote the advertiser's own SKUs (sponsored products)
    status: DeliveryStatus = DeliveryStatus.LIVE


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    name: str
    budget_total: str
    lines: tuple[LinePlan, ...]
    budget_daily: str | None = None
    pacing: Pacing = Pacing.EVEN
    holdout_percent: int = 0
    is_test: bool = False  # a test campaign: measured against its holdout, written up as a case study
    read_when_replayed: bool = False  # its lift is read when the replayed history ends (else the day after its end)
    # A brand lift question for the campaign: the brand among these made-up names.
    survey_decoys: tuple[str, ...] = ()
    status: DeliveryStatus = DeliveryStatus.LIVE
    started_days_ago: int = 8  # before the week of simulated history, so all of it delivers
    days_left: int | None = 30


@dataclass(frozen=True, slots=True)
class BrandPlan:
    name: str
    domain: str
    category: str
    campaigns: tuple[CampaignPlan, ...]
    sells_in_store: bool = True  # brands without shelf products have no SKUs to promote
    competitors: tuple[str, ...] = ()  # brand names listed earlier, never on the same page
    # Prepaid: the wallet it tops up by bank transfer when its first campaign starts.
    # Brands without one are on credit, invoiced monthly.
    wallet: str | None = None


SEARCH = ("search-sponsored", "app-sponsored")
PROMOTED_SKUS = 8  # a brand's search line items promote its first eight products

BRANDS: tuple[BrandPlan, ...] = (
    BrandPlan("Dairyland", "dairyland.example", "dairy", (
        CampaignPlan("Dairyland always-on search", "6000", (
            LinePlan("Milk and yoghurt in search", SEARCH, "0.45", Pricing.CPC,
                     targeting={"keywords": ["milk", "yoghurt", "butter", "cheese"]},
                     promote_brand=True),
        ), budget_daily="200"),
        CampaignPlan("Cheddar season", "3000", (
            LinePlan("Cheese lovers, home hero", ("home-hero",), "5.50", targeting={"categories": ["dairy/cheese"]},
                     cap=(3, CapPeriod.DAY)),
        ), holdout_percent=10),
    )),
    BrandPlan("Golden Crust", "goldencrust.example", "bakery", (
        CampaignPlan("Weekend bakery", "2500", (
            LinePlan("Weekend mornings", ("home-hero", "app-banner"), "4.50",
                     targeting={"dayparts": [{"days": ["sat", "sun"], "start": "06:00", "end": "12:00"}]}, cap=(2, CapPeriod.DAY)),
            LinePlan("Bread in search", SEARCH, "0.30", Pricing.CPC, targeting={"keywords": ["bread", "bagels", "croissant"]},
                     promote_brand=True),
        )),
    )),
    BrandPlan("Brightbean", "brightbean.example", "beverages/coffee", (
        CampaignPlan("Brightbean launch", "12000", (
            LinePlan("Coffee recipes pre-roll", ("recipes-preroll",), "14.00", cap=(1, CapPeriod.DAY)),
            LinePlan("Coffee native in app", ("app-feed-native", "product-page-native"), "3.50",
                     targeting={"categories": ["beverages/coffee", "bakery"]}),
            LinePlan("Coffee in search", SEARCH, "0.55", Pricing.CPC, targeting={"keywords": ["coffee", "espresso", "café"]},
                     promote_brand=True),
        ), budget_daily="500", holdout_percent=50, is_test=True,  # a test: half held out, a case study on demand
            read_when_replayed=True,  # the demo opens on a test that has been read
            survey_decoys=("Morning Mill", "Roast & Co")),
    )),
    BrandPlan("Fizzwell", "fizzwell.example", "beverages/soft-drinks", (
        CampaignPlan("Summer fizz", "8000", (
            LinePlan("Checkout screens", ("instore-screen",), "9.00"),
            LinePlan("Soft drinks in search", SEARCH, "0.35", Pricing.CPC, targeting={"keywords": ["cola", "lemonade", "water"]},
                     promote_brand=True),
        ), pacing=Pacing.ASAP),
    ), competitors=("Brightbean",)),  # the operator keeps the two drinks brands apart
    BrandPlan("Crunchtime", "crunchtime.example", "snacks", (
        CampaignPlan("Snack attack", "1500", (
            LinePlan("Snacks sidebar", ("category-sidebar",), "3.00", targeting={"categories": ["snacks", "beverages"]},
                     cap=(5, CapPeriod.WEEK)),
        ), budget_daily="60"),
    )),
    BrandPlan("Sparkle Home", "sparklehome.example", "household", (
        CampaignPlan("Spring clean", "4000", (
            LinePlan("Cleaning newsletter", ("newsletter-banner",), "2.50"),
            LinePlan("Cleaning in search", SEARCH, "0.40", Pricing.CPC, targeting={"keywords": ["dishwasher", "laundry"]},
                     promote_brand=True),
        ), status=DeliveryStatus.PAUSED),
    )),
    BrandPlan("Little Sprout", "littlesprout.example", "baby", (
        CampaignPlan("New parents", "5000", (
            LinePlan("Baby aisle, app", ("app-feed-native", "app-banner"), "3.20", targeting={"categories": ["baby"]},
                     cap=(4, CapPeriod.WEEK)),
            LinePlan("Nappies in search", SEARCH, "0.60", Pricing.CPC, targeting={"keywords": ["nappies", "wipes"]},
                     promote_brand=True),
        ), holdout_percent=15),
    )),
    # A small brand trying the network with a few pounds: its campaign could spend ten
    # times more, and stops when the wallet is used up.
    BrandPlan("Greenfield", "greenfield.example", "produce", (
        CampaignPlan("Greenfield fruit trial", "150", (
            LinePlan("Fresh this week, home hero", ("home-hero",), "6.80", cap=(2, CapPeriod.DAY)),
            LinePlan("Fruit and veg in search", SEARCH, "0.35", Pricing.CPC,
                     targeting={"keywords": ["apples", "bananas", "blueberries", "spinach", "tomatoes", "avocados",
                                          "carrots", "potatoes", "grapes", "lemons"]}, promote_brand=True),
            LinePlan("Fresh produce, sidebar", ("category-sidebar",), "3.20",
                     targeting={"categories": ["produce", "dairy", "bakery"]}, cap=(4, CapPeriod.DAY)),
        ), budget_daily="8", pacing=Pacing.ASAP),
    ), wallet="10"),
    BrandPlan("Happy Paws", "happypaws.example", "pet", (
        CampaignPlan("Pet food switch", "3500", (
            LinePlan("Pet owners, product pages", ("product-page-native",), "2.40", targeting={"categories": ["pet"]}),
            LinePlan("Pet food in search", SEARCH, "0.50", Pricing.CPC, targeting={"keywords": ["dog food", "cat food", "litter"]},
                     promote_brand=True, status=DeliveryStatus.PAUSED),
        )),
    )),
    BrandPlan("Trailhead", "trailhead.example", "outdoor", (
        CampaignPlan("Camping season", "2000", (
            LinePlan("Campers, home hero", ("home-hero", "category-sidebar"), "4.20",
                     targeting={"keywords": ["tent", "camping", "hiking"], "countries": ["GB", "IE"]}, cap=(3, CapPeriod.DAY)),
        ), started_days_ago=2, days_left=60),
    )),
    # Brands that sell nothing on the shelves still buy the shoppers' attention.
    BrandPlan("Northwind Bank", "northwindbank.example", "finance/banking", (
        CampaignPlan("Cashback card", "15000", (
            LinePlan("Cashback card on TV", ("ctv-preroll",), "28.00", targeting={"devices": ["ctv"]}, cap=(2, CapPeriod.WEEK)),
            LinePlan("Cashback card, app banner", ("app-banner",), "0.80", Pricing.CPC, cap=(3, CapPeriod.DAY)),
        ), budget_daily="600"),
    ), sells_in_store=False),
    BrandPlan("Skyway Air", "skywayair.example", "travel/airlines", (
        CampaignPlan("Winter sun", "9000", (
            LinePlan("Winter sun, home hero", ("home-hero",), "6.00", targeting={"countries": ["GB", "IE", "NL"]},
                     cap=(2, CapPeriod.DAY)),
            LinePlan("Winter sun e-mail", ("newsletter-banner",), "2.20"),
        ), pacing=Pacing.ASAP, holdout_percent=10),
    ), sells_in_store=False),
    BrandPlan("Shieldline Insurance", "shieldline.example", "finance/insurance", (
        CampaignPlan("Home insurance switch", "5000", (
            LinePlan("Home insurance, weekly e-mail", ("newsletter-banner",), "2.40"),
            LinePlan("Home insurance, app feed", ("app-feed-native",), "0.70", Pricing.CPC, cap=(2, CapPeriod.WEEK)),
        ), budget_daily="150"),
    ), sells_in_store=False),
    BrandPlan("Streamly", "streamly.example", "media/streaming", (
        CampaignPlan("Streamly free month", "7000", (
            LinePlan("Free month on TV", ("ctv-preroll", "recipes-preroll"), "26.00", cap=(1, CapPeriod.DAY)),
            LinePlan("Free month native", ("app-feed-native",), "0.65", Pricing.CPC),
        ), started_days_ago=0, days_left=45),
    ), sells_in_store=False),
)

# Creatives a brand uploads itself wait for the operator (the review queue is not empty).
AWAITING_REVIEW = ("Fizzwell", "Streamly")
REJECTED = ("Crunchtime", "the claim 'healthiest crisps in Britain' needs evidence; please change the copy")

BANNER_ASPECT_PREFERENCE = ("300x250", "320x50", "600x200", "1200x400", "300x600", "970x250", "320x100")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def _banner_size(placement_sizes: list[set[str]]) -> str:
    """A size every banner placement of the line item takes, else the first one's."""
    common = set.intersection(*placement_sizes)
    pool = common or placement_sizes[0]
    return next((s for s in BANNER_ASPECT_PREFERENCE if s in pool), sorted(pool)[0])


def _creatives_for(brand: BrandPlan, line: LinePlan, line_item_id: str, advertiser_id: str,
                   by_id: dict[str, PlacementCreate], skus: list[str]) -> list[CreativeCreate]:
    site = f"https://{brand.domain}"
    landing = f"{site}/{_slug(line.name)}"
    formats = {by_id[p].format for p in line.placements}
    made: list[CreativeCreate] = []
    common: dict[str, Any] = {"advertiser_id": advertiser_id, "line_item_id": line_item_id}
    if AdFormat.BANNER in formats:
        size = _banner_size([set(by_id[p].sizes) for p in line.placements if by_id[p].format is AdFormat.BANNER])
        made.append(CreativeCreate(format=AdFormat.BANNER, size=size, click_url=landing,
                                   image_url=f"{site}/ads/{_slug(line.name)}-{size}.png", **common))
    if AdFormat.NATIVE in formats:
        made.append(CreativeCreate(format=AdFormat.NATIVE, title=line.name, click_url=landing,
                                   body=f"{brand.name}: {line.name.lower()}. Only at Freshmart.",
                                   image_url=f"{site}/ads/{_slug(line.name)}-native.jpg", **common))
    if AdFormat.VIDEO in formats:
        made.append(CreativeCreate(format=AdFormat.VIDEO, media_url=f"{site}/ads/{_slug(line.name)}.mp4",
                                   duration_seconds=15 if brand.sells_in_store else 30, click_url=landing, **common))
    if AdFormat.SPONSORED_PRODUCT in formats:
        made.extend(CreativeCreate(format=AdFormat.SPONSORED_PRODUCT, sku=sku, **common) for sku in skus)
    return made


# The network's own segments, offered to every brand: (name, IAB Audience Taxonomy 1.1 id, rule).
AUDIENCES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Coffee drinkers", "377", {"any": [{"event": "purchase", "category": "beverages/coffee", "within_days": 30},
                                        {"event": "view", "category": "beverages/coffee", "within_days": 14,
                                         "min_count": 2}]}),
    ("Big baskets", "606", {"event": "purchase", "within_days": 30, "min_spend": 40}),
    ("Browsed snacks, bought none", "368", {"all": [{"event": "view", "category": "snacks", "within_days": 7},
                                                    {"not": {"event": "purchase", "category": "snacks",
                                                             "within_days": 7}}]}),
)


def audience_sizes(db: Session) -> list[tuple[str, int]]:
    """Each segment's name and its last counted size, for the demo's summary."""
    rows = db.execute(select(Audience.name, AudienceSize.size).join(AudienceSize, AudienceSize.audience_id == Audience.id)
                      .order_by(Audience.created_at))
    return [(name, size) for name, size in rows]


def seed_demo_network(db: Session, now: datetime, tz: ZoneInfo = ZoneInfo("UTC"),
                      read_at: datetime | None = None) -> DemoNetwork:
    """Create the Freshmart network in an empty database; refuse one that holds a network.
    The test campaign's lift is read at `read_at`, where the replayed history will end
    (default: `now`)."""
    if db.scalar(select(Placement.id).limit(1)) or db.scalar(select(Advertiser.id).limit(1)):
        raise DemoAlreadySeeded("this database already holds placements or advertisers; the demo seeds an empty one")
    by_id = {p.id: p for p in PLACEMENTS}
    for placement in PLACEMENTS:
        placements.create(db, SYSTEM, placement)
    feed = products()
    result = import_feed(db, SYSTEM, simplejson.dumps({"products": feed}, use_decimal=True).encode(),
                         "application/json", OnError.REJECT)
    if not result.written:
        raise AssertionError(f"the demo catalogue does not validate: {result.rejected[:3]}")
    advertiser_ids: list[str] = []
    id_of: dict[str, str] = {}
    counts = {"campaigns": 0, "line_items": 0, "creatives": 0}
    for brand in BRANDS:
        advertiser = advertisers.create(db, SYSTEM, AdvertiserCreate(
            name=brand.name, domain=brand.domain, category=brand.category,
            competitors=[id_of[rival] for rival in brand.competitors],
            billing_mode=BillingMode.PREPAID if brand.wallet else BillingMode.CREDIT,
        ))
        if brand.wallet:
            paid_at = now - timedelta(days=max(plan.started_days_ago for plan in brand.campaigns))
            accounts.top_up(db, SYSTEM, advertiser.id, TopUpIn(
                amount=Decimal(brand.wallet), reference=f"Bank transfer {brand_code(brand.name)[:8]}-001"), paid_at, tz)
        advertiser_ids.append(advertiser.id)
        id_of[brand.name] = advertiser.id
        skus = skus_of(brand.name)[:PROMOTED_SKUS] if brand.sells_in_store else []
        bought: list[tuple[LinePlan, str]] = []
        for plan in brand.campaigns:
            start = now - timedelta(days=plan.started_days_ago)
            campaign = campaigns.create(db, SYSTEM, CampaignCreate(
                advertiser_id=advertiser.id, name=plan.name,
                start=start,
                end=now + timedelta(days=plan.days_left) if plan.days_left is not None else None,
                budget_total=Decimal(plan.budget_total),
                budget_daily=Decimal(plan.budget_daily) if plan.budget_daily else None,
                pacing=plan.pacing, status=plan.status, holdout_percent=plan.holdout_percent, is_test=plan.is_test,
                lift_read_at=(read_at or now) if plan.read_when_replayed else None,
            ))
            counts["campaigns"] += 1
            if plan.survey_decoys:
                brand_lift.create(db, SYSTEM, StudyCreate(
                    campaign_id=campaign.id, metric=LiftMetric.AWARENESS,
                    question=f"Which of these {brand.category.split('/')[-1]} brands have you heard of?",
                    answers=[plan.survey_decoys[0], brand.name, *plan.survey_decoys[1:]], correct_answer=brand.name))
            for line in plan.lines:
                line_item = line_items.create(db, SYSTEM, LineItemCreate(
                    campaign_id=campaign.id, name=line.name, pricing=line.pricing, bid=Decimal(line.bid),
                    placements=list(line.placements), targeting=Targeting.model_validate(line.targeting),
                    frequency_cap=FrequencyCap(count=line.cap[0], period=line.cap[1]) if line.cap else None,
                    products=skus if line.promote_brand else [], status=line.status,
                ))
                counts["line_items"] += 1
                bought.append((line, line_item.id))
                for creative in _creatives_for(brand, line, line_item.id, advertiser.id, by_id, skus):
                    creatives.create(db, SYSTEM, creative)
                    counts["creatives"] += 1
        counts["creatives"] += _brand_uploads(db, brand, advertiser.id, bought, by_id)
    for name, iab_segment, rule in AUDIENCES:
        audiences.create(db, SYSTEM, AudienceCreate(name=name, iab_segment=iab_segment, rule=rule))
    return DemoNetwork(
        placement_ids=[p.id for p in PLACEMENTS], advertiser_ids=advertiser_ids, products=len(feed), **counts
    )


def _brand_uploads(db: Session, brand: BrandPlan, advertiser_id: str, bought: list[tuple[LinePlan, str]],
                   by_id: dict[str, PlacementCreate]) -> int:
    """A new creative the brand uploaded itself: pending, or rejected with the operator's reason."""
    if brand.name not in AWAITING_REVIEW and brand.name != REJECTED[0]:
        return 0
    itself = Principal(actor=f"demo:{brand.domain}", role=Role.ADVERTISER, advertiser_id=advertiser_id)
    fresh = next(
        spec for line, line_item_id in bought
        for spec in _creatives_for(brand, line, line_item_id, advertiser_id, by_id, [])
        if spec.format is not AdFormat.SPONSORED_PRODUCT
    )
    if fresh.format is AdFormat.NATIVE:
        fresh = fresh.model_copy(update={"title": f"New: {fresh.title}"})
    creative = creatives.create(db, itself, fresh)
    if brand.name == REJECTED[0]:
        creatives.update(db, SYSTEM, creative.id, CreativeUpdate(status=ReviewStatus.REJECTED, review_note=REJECTED[1]))
    return 1
