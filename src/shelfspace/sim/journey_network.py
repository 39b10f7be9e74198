"""Freshmart on real baskets: the demo network built from dunnhumby's Complete Journey.

The placements are the synthetic demo's, every channel (`demo_network.PLACEMENTS`). The
catalogue is the products bought in the replayed window, imported through the product
feed as the synthetic demo's are: a SKU per product id (`sku_of`), the data's department >
category > type as the category path (lower case, as the catalogue keeps paths; the titles
carry the readable, title-case names), and the window's typical paid unit price.

Brands: the data's manufacturers are anonymous ids, so products are branded `Maker <id>`,
and the retailer's private label (whatever its manufacturer id) is `Freshmart`, the store's
own brand. The advertisers are the twelve national manufacturers that sold the most in the
window, each named after the category where it sold most ("Maker 103 · Soft Drinks") and
claiming its `Maker <id>` brand, skipping makers whose main category no retail network sells
ads for (tobacco) or that are not product makers (fuel, coupons), and the data's catch-alls
for unbranded goods (`journey_window.CATCH_ALL_DEPARTMENTS`); and the private label, as the
retailer's own brand advertiser. The biggest of those national makers runs the demo's
test campaign (half held out); every other advertiser runs an always-on campaign:
sponsored products in search on its eight best sellers, and a banner on its main category's
pages. The in-store display and mailer history is added by `sim/journey_promotions.py`.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shelfspace.accounts.roles import SYSTEM
from shelfspace.catalog.enums import BillingMode, CapPeriod, Pacing, Pricing
from shelfspace.catalog.schemas import AdvertiserCreate
from shelfspace.catalog.services import advertisers
from shelfspace.sim.demo_brands import PROMOTED_SKUS, SEARCH, BrandPlan, CampaignPlan, LinePlan
from shelfspace.sim.demo_catalogue import STORE_BRAND
from shelfspace.sim.demo_network import (
    PLACEMENTS,
    SeededBrands,
    refuse_seeded,
    seed_campaign,
    seed_placements,
    seed_products,
)
from shelfspace.sim.journey_data import BrandKind, Line, Product
from shelfspace.sim.journey_window import JourneyData

SKU_PREFIX = "CJ-"
ADVERTISING_MAKERS = 12  # national manufacturers that buy ads: the window's biggest sellers
# Makers whose main business is here buy no ads: tobacco (no retail network sells its ads)
# and what is not a product maker's (fuel, coupons, the store's own supplies).
NOT_ADVERTISED_CATEGORIES = ("cigarettes", "cigars", "tobacco")
NOT_ADVERTISED_DEPARTMENTS = ("fuel", "kiosk-gas", "coupon", "misc-sales-trans", "cntrl-store-sup", "miscellaneous")
OWN_LABEL_ADVERTISER = f"{STORE_BRAND} own label"
STORE_DOMAIN = "freshmart.example"
UNKNOWN_DEPARTMENT = "Other"
DEFAULT_PRICE_CENTS = 100  # a product only ever bought free (or for nothing recorded)
TEST_HOLDOUT_PERCENT = 50


def sku_of(product_id: int) -> str:
    """The catalogue SKU of a Complete Journey product: `CJ-<product id>`."""
    return f"{SKU_PREFIX}{product_id}"


def maker_brand(manufacturer_id: int) -> str:
    """A national manufacturer's brand name (the data names manufacturers by number only)."""
    return f"Maker {manufacturer_id}"


def brand_of(product: Product) -> str:
    """The catalogue brand of a product: the store's own for the private label."""
    return STORE_BRAND if product.brand is BrandKind.PRIVATE else maker_brand(product.manufacturer_id)


def readable(label: str) -> str:
    """`SOFT DRINKS 12/18&15PK CAN CAR` → `Soft Drinks 12/18&15pk Can Car`."""
    return " ".join(word.capitalize() for word in label.split())


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "other"


def path_of(*levels: str | None) -> str:
    """The data's labels as a catalogue path: `("GROCERY", "SOFT DRINKS")` → `grocery/soft-drinks`."""
    return "/".join(_slug(level) for level in levels if level)


def category_path(product: Product, depth: int = 3) -> str:
    """`department/category/type` as catalogue path levels, e.g. `grocery/soft-drinks/soft-drinks-12-18-15pk-can-car`
    (the data's own slashes and signs become hyphens: a path's levels are the data's three)."""
    return path_of(*[product.department or UNKNOWN_DEPARTMENT, product.category, product.product_type][:depth])


def search_query(product: Product) -> str:
    """What a shopper types to find a product: its category's words, e.g. `soft drinks`."""
    return readable(product.category or product.department or UNKNOWN_DEPARTMENT).lower()


def title_of(product: Product) -> str:
    """`Maker 103 Soft Drinks 12/18&15pk Can Car, 12 oz`: brand, type, pack."""
    kind = readable(product.product_type or product.category or product.department or UNKNOWN_DEPARTMENT)
    pack = f", {product.package_size.lower()}" if product.package_size else ""
    return f"{brand_of(product)} {kind}{pack}"


def unit_prices(lines: Iterable[Line]) -> dict[int, Decimal]:
    """Each product's typical paid unit price in the window (the median of its lines)."""
    paid: defaultdict[int, list[float]] = defaultdict(list)
    for line in lines:
        if line.quantity > 0 and line.sales_cents > 0:
            paid[line.product_id].append(line.sales_cents / line.quantity)
    return {pid: Decimal(round(statistics.median(cents))) / 100 for pid, cents in paid.items()}


def feed(data: JourneyData) -> list[dict[str, Any]]:
    """The window's products as product feed rows (the shape `POST /v1/products/import` takes)."""
    prices = unit_prices(data.lines)
    return [
        {
            "sku": sku_of(pid),
            "title": title_of(product),
            "brand": brand_of(product),
            "category": category_path(product),
            "price": prices.get(pid, Decimal(DEFAULT_PRICE_CENTS) / 100),
            "available": True,
            "url": f"https://{STORE_DOMAIN}/p/{sku_of(pid).lower()}",
        }
        for pid, product in data.products.items()
    ]


@dataclass(frozen=True, slots=True)
class JourneyBrand:
    """An advertiser made from the data: its name, the catalogue brand it claims, its main
    category path (department/category) and its SKUs by the window's sales, best first."""

    name: str
    brand: str
    category: str
    skus: tuple[str, ...]
    sales_cents: int

    @property
    def domain(self) -> str:
        return STORE_DOMAIN if self.brand == STORE_BRAND else f"{_slug(self.brand)}.example"


def group_brands(data: JourneyData, makers: int = ADVERTISING_MAKERS) -> list[JourneyBrand]:
    """The advertisers, biggest national maker first (the test campaign's), the private label last."""
    sales: Counter[str] = Counter()
    by_category: defaultdict[str, Counter[tuple[str, str | None]]] = defaultdict(Counter)
    by_sku: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in data.lines:
        product = data.products[line.product_id]
        brand = brand_of(product)
        sales[brand] += line.sales_cents
        by_category[brand][(product.department, product.category)] += line.sales_cents
        by_sku[brand][sku_of(line.product_id)] += line.sales_cents

    def made(brand: str, name: str) -> JourneyBrand:
        department, category = by_category[brand].most_common(1)[0][0]
        skus = tuple(sku for sku, _ in sorted(by_sku[brand].items(), key=lambda kv: (-kv[1], kv[0])))
        return JourneyBrand(name, brand, path_of(department or UNKNOWN_DEPARTMENT, category), skus, sales[brand])

    no_brand = {STORE_BRAND, *(maker_brand(m) for m in data.catch_alls)}
    national: list[JourneyBrand] = []
    for brand, _ in sorted(sales.items(), key=lambda kv: (-kv[1], kv[0])):
        if brand in no_brand or len(national) >= makers:
            continue
        department, category = by_category[brand].most_common(1)[0][0]
        if _advertises(department, category):
            national.append(made(brand, f"{brand} · {readable(category or department or UNKNOWN_DEPARTMENT)}"))
    own = [made(STORE_BRAND, OWN_LABEL_ADVERTISER)] if sales[STORE_BRAND] else []
    return national + own


def _advertises(department: str | None, category: str | None) -> bool:
    """Whether a maker whose main sales are in this department and category buys ads here."""
    return _slug(department or "") not in NOT_ADVERTISED_DEPARTMENTS and not any(
        word in _slug(category or "") for word in NOT_ADVERTISED_CATEGORIES
    )


def brand_plan(brand: JourneyBrand, test: bool) -> BrandPlan:
    """What an advertiser buys. The test brand's one campaign reaches nearly every shopper
    (the home page and the app feed, uncapped by category) so most households enter its
    study; it runs no other campaign, so every sale its ads cause is the test's."""
    search = LinePlan(
        f"{brand.name}: best sellers in search",
        SEARCH,
        "0.45",
        Pricing.CPC,
        targeting={"categories": [brand.category]} if not test else {},
        promote_brand=True,
    )
    if test:
        campaign = CampaignPlan(
            name=f"{brand.name}: test",
            budget_total="20000",
            lines=(
                LinePlan("Home page and app feed", ("home-hero", "app-feed-native"), "6.50", cap=(4, CapPeriod.DAY)),
                search,
            ),
            budget_daily="900",
            holdout_percent=TEST_HOLDOUT_PERCENT,
            is_test=True,
            read_when_replayed=True,
        )
    else:
        campaign = CampaignPlan(
            name=f"{brand.name}: always on",
            budget_total="6000",
            lines=(
                search,
                LinePlan(
                    f"{brand.name}: category pages",
                    ("category-sidebar", "app-banner", "product-page-native"),
                    "3.20",
                    targeting={"categories": [brand.category.split("/")[0]]},
                    cap=(3, CapPeriod.DAY),
                ),
            ),
            budget_daily="400",
            pacing=Pacing.EVEN,
        )
    return BrandPlan(brand.name, brand.domain, brand.category, (campaign,))


@dataclass(frozen=True, slots=True)
class JourneyNetwork:
    """What was seeded, for the command to print and the tests to check."""

    placement_ids: list[str]
    advertiser_ids: dict[str, str]  # advertiser name -> id
    brands: list[JourneyBrand]
    test_brand: JourneyBrand
    products: int
    campaigns: int
    line_items: int
    creatives: int


def seed_journey_network(
    db: Session,
    data: JourneyData,
    brands: list[JourneyBrand],
    now: datetime,
    read_at: datetime,
    extra: Iterable[tuple[str, CampaignPlan, list[str]]] = (),
) -> JourneyNetwork:
    """Create the network in an empty database (refusing one that holds a network), with
    `brands` (`group_brands`) as its advertisers. `now` anchors the campaigns' dates (the
    window's end: its always-on campaigns began the day before the window); the test
    campaign is read at `read_at`. `extra`: more campaigns as (brand
    name, plan, the SKUs it promotes), e.g. the promotion weeks'."""
    refuse_seeded(db)
    by_id = seed_placements(db, PLACEMENTS)
    rows = feed(data)
    seed_products(db, rows)
    if not brands or brands[0].brand == STORE_BRAND:
        raise ValueError("the window sold nothing of a national maker: it is too short to build a network from")
    started = (now - data.first_instant).days + 1
    seeded = SeededBrands()
    ids: dict[str, str] = {}
    plans: dict[str, BrandPlan] = {}
    for n, brand in enumerate(brands):
        plan = brand_plan(brand, test=n == 0)
        plan = replace(plan, campaigns=tuple(replace(c, started_days_ago=started) for c in plan.campaigns))
        ids[brand.name] = _seed_advertiser(db, brand)
        plans[brand.name] = plan
        seeded.advertiser_ids.append(ids[brand.name])
        for campaign in plan.campaigns:
            seed_campaign(
                db, plan, campaign, ids[brand.name], list(brand.skus[:PROMOTED_SKUS]), by_id, now, read_at, seeded
            )
    for name, campaign, skus in extra:
        seed_campaign(db, plans[name], campaign, ids[name], skus, by_id, now, read_at, seeded)
    return JourneyNetwork(
        placement_ids=[p.id for p in PLACEMENTS],
        advertiser_ids=ids,
        brands=brands,
        test_brand=brands[0],
        products=len(rows),
        campaigns=seeded.campaigns,
        line_items=seeded.line_items,
        creatives=seeded.creatives,
    )


def _seed_advertiser(db: Session, brand: JourneyBrand) -> str:
    """The advertiser, claiming its catalogue brand (so its sales, its sponsored products and
    its lift studies are its own), on credit."""
    made = advertisers.create(
        db,
        SYSTEM,
        AdvertiserCreate(
            name=brand.name,
            domain=brand.domain,
            category=brand.category,
            brands=[brand.brand],
            billing_mode=BillingMode.CREDIT,
        ),
    )
    return made.id
