"""Freshmart, the demo network: a supermarket selling its shoppers' attention to brands.

Everything is made through the same services the management API calls, as the system
principal (and, for creatives waiting for review, as the brand itself), so the demo can
never hold an object the API would refuse. It seeds the catalogue only; traffic comes
from the simulator. The brands and what they buy are data, in `sim/demo_brands.py`;
here are Freshmart's placements and segments and the seeding, one function per kind of
thing (placements, products, brands, audiences) so that another network can reuse them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import simplejson
from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import SYSTEM, Principal, Role
from shelfspace.audiences import service as audiences
from shelfspace.audiences.models import Audience, AudienceSize
from shelfspace.audiences.schemas import AudienceCreate
from shelfspace.billing import accounts
from shelfspace.billing.schemas import TopUpIn
from shelfspace.catalog.enums import AdFormat, BillingMode, Channel, ReviewStatus
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
from shelfspace.core.errors import Conflict
from shelfspace.measurement import brand_lift
from shelfspace.measurement.brand_lift import LiftMetric, StudyCreate
from shelfspace.notifications.reviews import creative_reviewed
from shelfspace.sim.demo_brands import (
    AWAITING_REVIEW,
    BRANDS,
    PROMOTED_SKUS,
    REJECTED,
    BrandPlan,
    CampaignPlan,
    LinePlan,
)
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


@dataclass(slots=True)
class SeededBrands:
    """What `seed_brands` made: the advertisers in the order of the plans, and how many
    campaigns, line items and creatives."""

    advertiser_ids: list[str] = field(default_factory=list)
    campaigns: int = 0
    line_items: int = 0
    creatives: int = 0


def _placement(
    id: str,
    name: str,
    channel: Channel,
    fmt: AdFormat,
    floor: str,
    sizes: tuple[str, ...] = (),
    max_ads: int = 1,
    blocked: tuple[str, ...] = (),
) -> PlacementCreate:
    return PlacementCreate(
        id=id,
        name=name,
        channel=channel,
        format=fmt,
        sizes=list(sizes),
        floor_cpm=Decimal(floor),
        max_ads=max_ads,
        blocked_categories=list(blocked),
    )


PLACEMENTS: tuple[PlacementCreate, ...] = (
    _placement("home-hero", "Home page hero", Channel.WEB, AdFormat.BANNER, "4.00", ("1200x400", "970x250", "300x250")),
    _placement(
        "category-sidebar", "Category page sidebar", Channel.WEB, AdFormat.BANNER, "2.50", ("300x600", "300x250")
    ),
    _placement("product-page-native", "Product page, more like this", Channel.WEB, AdFormat.NATIVE, "2.00"),
    _placement(
        "search-sponsored",
        "Search results, sponsored products",
        Channel.SEARCH,
        AdFormat.SPONSORED_PRODUCT,
        "1.50",
        max_ads=4,
    ),
    _placement("app-feed-native", "App home feed", Channel.APP, AdFormat.NATIVE, "3.00", max_ads=2),
    _placement("app-banner", "App bottom banner", Channel.APP, AdFormat.BANNER, "1.50", ("320x50", "320x100")),
    _placement(
        "app-sponsored", "App search, sponsored products", Channel.APP, AdFormat.SPONSORED_PRODUCT, "1.50", max_ads=2
    ),
    # Freshmart's own recipe videos carry no ads for other streaming services.
    _placement(
        "recipes-preroll",
        "Recipe videos, pre-roll",
        Channel.VIDEO,
        AdFormat.VIDEO,
        "12.00",
        ("1280x720",),
        blocked=("media/streaming",),
    ),
    _placement("ctv-preroll", "Freshmart TV, pre-roll", Channel.CTV, AdFormat.VIDEO, "25.00", ("1920x1080",)),
    _placement("newsletter-banner", "Weekly offers e-mail", Channel.EMAIL, AdFormat.BANNER, "2.00", ("600x200",)),
    _placement("instore-screen", "Checkout screens", Channel.INSTORE, AdFormat.VIDEO, "8.00", ("1920x1080",)),
)

BANNER_ASPECT_PREFERENCE = ("300x250", "320x50", "600x200", "1200x400", "300x600", "970x250", "320x100")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def _banner_size(placement_sizes: list[set[str]]) -> str:
    """A size every banner placement of the line item takes, else the first one's."""
    common = set.intersection(*placement_sizes)
    pool = common or placement_sizes[0]
    return next((s for s in BANNER_ASPECT_PREFERENCE if s in pool), sorted(pool)[0])


def _creatives_for(
    brand: BrandPlan,
    line: LinePlan,
    line_item_id: str,
    advertiser_id: str,
    by_id: Mapping[str, PlacementCreate],
    skus: list[str],
) -> list[CreativeCreate]:
    site = f"https://{brand.domain}"
    landing = f"{site}/{_slug(line.name)}"
    formats = {by_id[p].format for p in line.placements}
    made: list[CreativeCreate] = []
    common: dict[str, Any] = {"advertiser_id": advertiser_id, "line_item_id": line_item_id}
    if AdFormat.BANNER in formats:
        size = _banner_size([set(by_id[p].sizes) for p in line.placements if by_id[p].format is AdFormat.BANNER])
        made.append(
            CreativeCreate(
                format=AdFormat.BANNER,
                size=size,
                click_url=landing,
                image_url=f"{site}/ads/{_slug(line.name)}-{size}.png",
                **common,
            )
        )
    if AdFormat.NATIVE in formats:
        made.append(
            CreativeCreate(
                format=AdFormat.NATIVE,
                title=line.name,
                click_url=landing,
                body=f"{brand.name}: {line.name.lower()}. Only at Freshmart.",
                image_url=f"{site}/ads/{_slug(line.name)}-native.jpg",
                **common,
            )
        )
    if AdFormat.VIDEO in formats:
        made.append(
            CreativeCreate(
                format=AdFormat.VIDEO,
                media_url=f"{site}/ads/{_slug(line.name)}.mp4",
                duration_seconds=15 if brand.sells_in_store else 30,
                click_url=landing,
                **common,
            )
        )
    if AdFormat.SPONSORED_PRODUCT in formats:
        made.extend(CreativeCreate(format=AdFormat.SPONSORED_PRODUCT, sku=sku, **common) for sku in skus)
    return made


# The network's own segments, offered to every brand: (name, IAB Audience Taxonomy 1.1 id, rule).
AUDIENCES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "Coffee drinkers",
        "377",
        {
            "any": [
                {"event": "purchase", "category": "beverages/coffee", "within_days": 30},
                {"event": "view", "category": "beverages/coffee", "within_days": 14, "min_count": 2},
            ]
        },
    ),
    ("Big baskets", "606", {"event": "purchase", "within_days": 30, "min_spend": 40}),
    (
        "Browsed snacks, bought none",
        "368",
        {
            "all": [
                {"event": "view", "category": "snacks", "within_days": 7},
                {"not": {"event": "purchase", "category": "snacks", "within_days": 7}},
            ]
        },
    ),
)


def audience_sizes(db: Session) -> list[tuple[str, int]]:
    """Each segment's name and its last counted size, for the demo's summary."""
    rows = db.execute(
        select(Audience.name, AudienceSize.size)
        .join(AudienceSize, AudienceSize.audience_id == Audience.id)
        .order_by(Audience.created_at)
    )
    return [(name, size) for name, size in rows]


def seed_demo_network(
    db: Session, now: datetime, tz: ZoneInfo = ZoneInfo("UTC"), read_at: datetime | None = None
) -> DemoNetwork:
    """Create the Freshmart network in an empty database; refuse one that holds a network.
    The test campaign's lift is read at `read_at`, where the replayed history will end
    (default: `now`)."""
    refuse_seeded(db)
    by_id = seed_placements(db, PLACEMENTS)
    feed = products()
    seed_products(db, feed)
    brands = seed_brands(db, BRANDS, by_id, now, tz, read_at or now, awaiting_review=AWAITING_REVIEW, rejected=REJECTED)
    seed_audiences(db, AUDIENCES)
    return DemoNetwork(
        placement_ids=[p.id for p in PLACEMENTS],
        advertiser_ids=brands.advertiser_ids,
        products=len(feed),
        campaigns=brands.campaigns,
        line_items=brands.line_items,
        creatives=brands.creatives,
    )


def refuse_seeded(db: Session) -> None:
    """A demo seeds an empty database only: one with placements or advertisers is refused."""
    if db.scalar(select(Placement.id).limit(1)) or db.scalar(select(Advertiser.id).limit(1)):
        raise DemoAlreadySeeded("this database already holds placements or advertisers; the demo seeds an empty one")


def seed_placements(db: Session, plan: Sequence[PlacementCreate]) -> dict[str, PlacementCreate]:
    """Create the network's placements; returns them by id (the brands' creatives fit them)."""
    by_id = {p.id: p for p in plan}
    for placement in plan:
        placements.create(db, SYSTEM, placement)
    return by_id


def seed_products(db: Session, feed: list[dict[str, Any]]) -> None:
    """Import the shop's products through the product feed, refusing the feed whole when
    any row does not validate (a demo catalogue that does not is a bug)."""
    result = import_feed(
        db, SYSTEM, simplejson.dumps({"products": feed}, use_decimal=True).encode(), "application/json", OnError.REJECT
    )
    if not result.written:
        raise AssertionError(f"the demo catalogue does not validate: {result.rejected[:3]}")


def seed_audiences(db: Session, plan: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Create the network's own segments: (name, IAB Audience Taxonomy id, rule)."""
    for name, iab_segment, rule in plan:
        audiences.create(db, SYSTEM, AudienceCreate(name=name, iab_segment=iab_segment, rule=rule))


def seed_brands(
    db: Session,
    plan: Iterable[BrandPlan],
    placements_by_id: Mapping[str, PlacementCreate],
    now: datetime,
    tz: ZoneInfo,
    read_at: datetime,
    awaiting_review: Collection[str] = (),
    rejected: tuple[str, str] | None = None,
) -> SeededBrands:
    """Create each brand in turn (a brand's competitors are brands listed before it): the
    advertiser and its wallet, its campaigns with their line items and creatives, and the
    creative it uploaded itself when it is among `awaiting_review` or is `rejected`'s
    brand (rejected with that note). A test campaign's lift is read at `read_at`."""
    seeded = SeededBrands()
    id_of: dict[str, str] = {}
    for brand in plan:
        advertiser_id = _seed_advertiser(db, brand, [id_of[rival] for rival in brand.competitors], now, tz)
        seeded.advertiser_ids.append(advertiser_id)
        id_of[brand.name] = advertiser_id
        skus = skus_of(brand.name)[:PROMOTED_SKUS] if brand.sells_in_store else []
        bought: list[tuple[LinePlan, str]] = []
        for campaign_plan in brand.campaigns:
            bought += seed_campaign(
                db, brand, campaign_plan, advertiser_id, skus, placements_by_id, now, read_at, seeded
            )
        seeded.creatives += _brand_uploads(
            db, brand, advertiser_id, bought, placements_by_id, awaiting_review, rejected
        )
    return seeded


def _seed_advertiser(db: Session, brand: BrandPlan, competitors: list[str], now: datetime, tz: ZoneInfo) -> str:
    """The brand's advertiser; a prepaid one tops its wallet up when its first campaign starts."""
    advertiser = advertisers.create(
        db,
        SYSTEM,
        AdvertiserCreate(
            name=brand.name,
            domain=brand.domain,
            category=brand.category,
            competitors=competitors,
            billing_mode=BillingMode.PREPAID if brand.wallet else BillingMode.CREDIT,
        ),
    )
    if brand.wallet:
        paid_at = now - timedelta(days=max(plan.started_days_ago for plan in brand.campaigns))
        accounts.top_up(
            db,
            SYSTEM,
            advertiser.id,
            TopUpIn(amount=Decimal(brand.wallet), reference=f"Bank transfer {brand_code(brand.name)[:8]}-001"),
            paid_at,
            tz,
        )
    return advertiser.id


def seed_campaign(
    db: Session,
    brand: BrandPlan,
    plan: CampaignPlan,
    advertiser_id: str,
    skus: list[str],
    placements_by_id: Mapping[str, PlacementCreate],
    now: datetime,
    read_at: datetime,
    seeded: SeededBrands,
) -> list[tuple[LinePlan, str]]:
    """One campaign, its brand lift study if it asks one, its line items and their
    creatives (counted into `seeded`); returns each line item's plan and id."""
    start = now - timedelta(days=plan.started_days_ago)
    campaign = campaigns.create(
        db,
        SYSTEM,
        CampaignCreate(
            advertiser_id=advertiser_id,
            name=plan.name,
            start=start,
            end=now + timedelta(days=plan.days_left) if plan.days_left is not None else None,
            budget_total=Decimal(plan.budget_total),
            budget_daily=Decimal(plan.budget_daily) if plan.budget_daily else None,
            pacing=plan.pacing,
            status=plan.status,
            holdout_percent=plan.holdout_percent,
            is_test=plan.is_test,
            lift_read_at=read_at if plan.read_when_replayed else None,
        ),
    )
    seeded.campaigns += 1
    if plan.survey_decoys:
        brand_lift.create(
            db,
            SYSTEM,
            StudyCreate(
                campaign_id=campaign.id,
                metric=LiftMetric.AWARENESS,
                question=f"Which of these {brand.category.split('/')[-1]} brands have you heard of?",
                answers=[plan.survey_decoys[0], brand.name, *plan.survey_decoys[1:]],
                correct_answer=brand.name,
            ),
        )
    bought: list[tuple[LinePlan, str]] = []
    for line in plan.lines:
        line_item = line_items.create(
            db,
            SYSTEM,
            LineItemCreate(
                campaign_id=campaign.id,
                name=line.name,
                pricing=line.pricing,
                bid=Decimal(line.bid),
                placements=list(line.placements),
                targeting=Targeting.model_validate(line.targeting),
                frequency_cap=FrequencyCap(count=line.cap[0], period=line.cap[1]) if line.cap else None,
                products=skus if line.promote_brand else [],
                status=line.status,
            ),
            audiences=audiences.check_targeting,  # the app's own check (its Runtime's audience_check)
        )
        seeded.line_items += 1
        bought.append((line, line_item.id))
        for creative in _creatives_for(brand, line, line_item.id, advertiser_id, placements_by_id, skus):
            creatives.create(db, SYSTEM, creative)
            seeded.creatives += 1
    return bought


def _brand_uploads(
    db: Session,
    brand: BrandPlan,
    advertiser_id: str,
    bought: list[tuple[LinePlan, str]],
    by_id: Mapping[str, PlacementCreate],
    awaiting_review: Collection[str],
    rejected: tuple[str, str] | None,
) -> int:
    """A new creative the brand uploaded itself: pending, or rejected with the operator's reason."""
    note = rejected[1] if rejected is not None and brand.name == rejected[0] else None
    if brand.name not in awaiting_review and note is None:
        return 0
    itself = Principal(actor=f"demo:{brand.domain}", role=Role.ADVERTISER, advertiser_id=advertiser_id)
    fresh = next(
        spec
        for line, line_item_id in bought
        for spec in _creatives_for(brand, line, line_item_id, advertiser_id, by_id, [])
        if spec.format is not AdFormat.SPONSORED_PRODUCT
    )
    if fresh.format is AdFormat.NATIVE:
        fresh = fresh.model_copy(update={"title": f"New: {fresh.title}"})
    creative = creatives.create(db, itself, fresh)
    if note is not None:
        rejection = CreativeUpdate(status=ReviewStatus.REJECTED, review_note=note)
        # Told to the brand as the console's review tells it: the demo's bell shows the rejection.
        creatives.update(db, SYSTEM, creative.id, rejection, on_review=creative_reviewed)
    return 1
