"""The demo's brands, described as data: each advertiser, the campaigns it runs and the
line items they buy, and which of its own creative uploads wait for review or were
refused. `sim/demo_network.py` seeds them through the catalogue services; kept apart so
that the seeding reads as code and the plan as a plan.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from shelfspace.catalog.enums import CapPeriod, DeliveryStatus, Pacing, Pricing


@dataclass(frozen=True, slots=True)
class LinePlan:
    """A line item a brand buys: where, at what bid, for whom, how often."""

    name: str
    placements: tuple[str, ...]
    bid: str
    pricing: Pricing = Pricing.CPM
    _: KW_ONLY
    targeting: dict[str, Any] = field(default_factory=dict)
    cap: tuple[int, CapPeriod] | None = None
    promote_brand: bool = False  # promote the advertiser's own SKUs (sponsored products)
    status: DeliveryStatus = DeliveryStatus.LIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignPlan:
    """A brand's campaign: its budgets, pacing, holdout, dates (relative to the seeding
    time) and line items."""

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
    """An advertiser on the network and the campaigns it runs."""

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
    BrandPlan(
        "Dairyland",
        "dairyland.example",
        "dairy",
        (
            CampaignPlan(
                name="Dairyland always-on search",
                budget_total="6000",
                lines=(
                    LinePlan(
                        "Milk and yoghurt in search",
                        SEARCH,
                        "0.45",
                        Pricing.CPC,
                        targeting={"keywords": ["milk", "yoghurt", "butter", "cheese"]},
                        promote_brand=True,
                    ),
                ),
                budget_daily="200",
            ),
            CampaignPlan(
                name="Cheddar season",
                budget_total="3000",
                lines=(
                    LinePlan(
                        "Cheese lovers, home hero",
                        ("home-hero",),
                        "5.50",
                        targeting={"categories": ["dairy/cheese"]},
                        cap=(3, CapPeriod.DAY),
                    ),
                ),
                holdout_percent=10,
            ),
        ),
    ),
    BrandPlan(
        "Golden Crust",
        "goldencrust.example",
        "bakery",
        (
            CampaignPlan(
                name="Weekend bakery",
                budget_total="2500",
                lines=(
                    LinePlan(
                        "Weekend mornings",
                        ("home-hero", "app-banner"),
                        "4.50",
                        targeting={"dayparts": [{"days": ["sat", "sun"], "start": "06:00", "end": "12:00"}]},
                        cap=(2, CapPeriod.DAY),
                    ),
                    LinePlan(
                        "Bread in search",
                        SEARCH,
                        "0.30",
                        Pricing.CPC,
                        targeting={"keywords": ["bread", "bagels", "croissant"]},
                        promote_brand=True,
                    ),
                ),
            ),
        ),
    ),
    BrandPlan(
        "Brightbean",
        "brightbean.example",
        "beverages/coffee",
        (
            CampaignPlan(
                name="Brightbean launch",
                budget_total="12000",
                lines=(
                    LinePlan("Coffee recipes pre-roll", ("recipes-preroll",), "14.00", cap=(1, CapPeriod.DAY)),
                    LinePlan(
                        "Coffee native in app",
                        ("app-feed-native", "product-page-native"),
                        "3.50",
                        targeting={"categories": ["beverages/coffee", "bakery"]},
                    ),
                    LinePlan(
                        "Coffee in search",
                        SEARCH,
                        "0.55",
                        Pricing.CPC,
                        targeting={"keywords": ["coffee", "espresso", "café"]},
                        promote_brand=True,
                    ),
                ),
                budget_daily="500",
                holdout_percent=50,
                is_test=True,  # a test: half held out, a case study on demand
                read_when_replayed=True,  # the demo opens on a test that has been read
                survey_decoys=("Morning Mill", "Roast & Co"),
            ),
        ),
    ),
    BrandPlan(
        "Fizzwell",
        "fizzwell.example",
        "beverages/soft-drinks",
        (
            CampaignPlan(
                name="Summer fizz",
                budget_total="8000",
                lines=(
                    LinePlan("Checkout screens", ("instore-screen",), "9.00"),
                    LinePlan(
                        "Soft drinks in search",
                        SEARCH,
                        "0.35",
                        Pricing.CPC,
                        targeting={"keywords": ["cola", "lemonade", "water"]},
                        promote_brand=True,
                    ),
                ),
                pacing=Pacing.ASAP,
            ),
        ),
        competitors=("Brightbean",),
    ),  # the operator keeps the two drinks brands apart
    BrandPlan(
        "Crunchtime",
        "crunchtime.example",
        "snacks",
        (
            CampaignPlan(
                name="Snack attack",
                budget_total="1500",
                lines=(
                    LinePlan(
                        "Snacks sidebar",
                        ("category-sidebar",),
                        "3.00",
                        targeting={"categories": ["snacks", "beverages"]},
                        cap=(5, CapPeriod.WEEK),
                    ),
                ),
                budget_daily="60",
            ),
        ),
    ),
    BrandPlan(
        "Sparkle Home",
        "sparklehome.example",
        "household",
        (
            CampaignPlan(
                name="Spring clean",
                budget_total="4000",
                lines=(
                    LinePlan("Cleaning newsletter", ("newsletter-banner",), "2.50"),
                    LinePlan(
                        "Cleaning in search",
                        SEARCH,
                        "0.40",
                        Pricing.CPC,
                        targeting={"keywords": ["dishwasher", "laundry"]},
                        promote_brand=True,
                    ),
                ),
                status=DeliveryStatus.PAUSED,
            ),
        ),
    ),
    BrandPlan(
        "Little Sprout",
        "littlesprout.example",
        "baby",
        (
            CampaignPlan(
                name="New parents",
                budget_total="5000",
                lines=(
                    LinePlan(
                        "Baby aisle, app",
                        ("app-feed-native", "app-banner"),
                        "3.20",
                        targeting={"categories": ["baby"]},
                        cap=(4, CapPeriod.WEEK),
                    ),
                    LinePlan(
                        "Nappies in search",
                        SEARCH,
                        "0.60",
                        Pricing.CPC,
                        targeting={"keywords": ["nappies", "wipes"]},
                        promote_brand=True,
                    ),
                ),
                holdout_percent=15,
            ),
        ),
    ),
    # A small brand trying the network with a few pounds: its campaign could spend ten
    # times more, and stops when the wallet is used up.
    BrandPlan(
        "Greenfield",
        "greenfield.example",
        "produce",
        (
            CampaignPlan(
                name="Greenfield fruit trial",
                budget_total="150",
                lines=(
                    LinePlan("Fresh this week, home hero", ("home-hero",), "6.80", cap=(2, CapPeriod.DAY)),
                    LinePlan(
                        "Fruit and veg in search",
                        SEARCH,
                        "0.35",
                        Pricing.CPC,
                        targeting={
                            "keywords": [
                                "apples",
                                "bananas",
                                "blueberries",
                                "spinach",
                                "tomatoes",
                                "avocados",
                                "carrots",
                                "potatoes",
                                "grapes",
                                "lemons",
                            ]
                        },
                        promote_brand=True,
                    ),
                    LinePlan(
                        "Fresh produce, sidebar",
                        ("category-sidebar",),
                        "3.20",
                        targeting={"categories": ["produce", "dairy", "bakery"]},
                        cap=(4, CapPeriod.DAY),
                    ),
                ),
                budget_daily="8",
                pacing=Pacing.ASAP,
            ),
        ),
        wallet="10",
    ),
    BrandPlan(
        "Happy Paws",
        "happypaws.example",
        "pet",
        (
            CampaignPlan(
                name="Pet food switch",
                budget_total="3500",
                lines=(
                    LinePlan(
                        "Pet owners, product pages", ("product-page-native",), "2.40", targeting={"categories": ["pet"]}
                    ),
                    LinePlan(
                        "Pet food in search",
                        SEARCH,
                        "0.50",
                        Pricing.CPC,
                        targeting={"keywords": ["dog food", "cat food", "litter"]},
                        promote_brand=True,
                        status=DeliveryStatus.PAUSED,
                    ),
                ),
            ),
        ),
    ),
    BrandPlan(
        "Trailhead",
        "trailhead.example",
        "outdoor",
        (
            CampaignPlan(
                name="Camping season",
                budget_total="2000",
                lines=(
                    LinePlan(
                        "Campers, home hero",
                        ("home-hero", "category-sidebar"),
                        "4.20",
                        targeting={"keywords": ["tent", "camping", "hiking"], "countries": ["GB", "IE"]},
                        cap=(3, CapPeriod.DAY),
                    ),
                ),
                started_days_ago=2,
                days_left=60,
            ),
        ),
    ),
    # Brands that sell nothing on the shelves still buy the shoppers' attention.
    BrandPlan(
        "Northwind Bank",
        "northwindbank.example",
        "finance/banking",
        (
            CampaignPlan(
                name="Cashback card",
                budget_total="15000",
                lines=(
                    LinePlan(
                        "Cashback card on TV",
                        ("ctv-preroll",),
                        "28.00",
                        targeting={"devices": ["ctv"]},
                        cap=(2, CapPeriod.WEEK),
                    ),
                    LinePlan("Cashback card, app banner", ("app-banner",), "0.80", Pricing.CPC, cap=(3, CapPeriod.DAY)),
                ),
                budget_daily="600",
            ),
        ),
        sells_in_store=False,
    ),
    BrandPlan(
        "Skyway Air",
        "skywayair.example",
        "travel/airlines",
        (
            CampaignPlan(
                name="Winter sun",
                budget_total="9000",
                lines=(
                    LinePlan(
                        "Winter sun, home hero",
                        ("home-hero",),
                        "6.00",
                        targeting={"countries": ["GB", "IE", "NL"]},
                        cap=(2, CapPeriod.DAY),
                    ),
                    LinePlan("Winter sun e-mail", ("newsletter-banner",), "2.20"),
                ),
                pacing=Pacing.ASAP,
                holdout_percent=10,
            ),
        ),
        sells_in_store=False,
    ),
    BrandPlan(
        "Shieldline Insurance",
        "shieldline.example",
        "finance/insurance",
        (
            CampaignPlan(
                name="Home insurance switch",
                budget_total="5000",
                lines=(
                    LinePlan("Home insurance, weekly e-mail", ("newsletter-banner",), "2.40"),
                    LinePlan(
                        "Home insurance, app feed", ("app-feed-native",), "0.70", Pricing.CPC, cap=(2, CapPeriod.WEEK)
                    ),
                ),
                budget_daily="150",
            ),
        ),
        sells_in_store=False,
    ),
    BrandPlan(
        "Streamly",
        "streamly.example",
        "media/streaming",
        (
            CampaignPlan(
                name="Streamly free month",
                budget_total="7000",
                lines=(
                    LinePlan("Free month on TV", ("ctv-preroll", "recipes-preroll"), "26.00", cap=(1, CapPeriod.DAY)),
                    LinePlan("Free month native", ("app-feed-native",), "0.65", Pricing.CPC),
                ),
                started_days_ago=0,
                days_left=45,
            ),
        ),
        sells_in_store=False,
    ),
)

# Creatives a brand uploads itself wait for the operator (the review queue is not empty).
AWAITING_REVIEW = ("Fizzwell", "Streamly")
REJECTED = ("Crunchtime", "the claim 'healthiest crisps in Britain' needs evidence; please change the copy")
