"""The Complete Journey's baskets replayed through the real HTTP path, with ads on top.

Households are the shoppers (`user_of`: `household-<id>`). Each real basket is a visit at
its moved time: the shop's home page (the app's feed on the app), a search for the kind of
the basket's dearest product (its category's words, on that category's results page), and
a view of its second dearest product (the first when it has one): behaviour events, as a
shop would send; then, at the basket's own time, the order, an item per line at what the
household paid (`order_items`). The synthetic traffic's e-mail opens and in-store screen
plays come each day as in the synthetic demo; the synthetic traffic's click model
(`sim/traffic.py`, `sim/shoppers.py`) answers every ad, and its sales after a view or a
click are orders on top of the real ones, caused by the ad's campaign.

The known effect, for the test campaign: once a household has seen one of its ads, each of
its later baskets brings, with probability `EXTRA_PURCHASE_PROBABILITY`, an extra order of
one of the test brand's products (its price, one of it). Those orders, like the click
model's, are the campaign's true incremental purchases (`Tally.caused`), which
`sim/truth.py` sets beside the lift study's interval. Only households in the treatment
arm see its ads, so only they buy more: the holdout is the counterfactual.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from shelfspace.catalog.enums import Device
from shelfspace.client import Shelfspace
from shelfspace.config import Settings
from shelfspace.runtime import runtime_of
from shelfspace.sim.clock import SteppedClock
from shelfspace.sim.journey_data import Household, Line
from shelfspace.sim.journey_network import category_path, search_query, sku_of
from shelfspace.sim.journey_window import JourneyData
from shelfspace.sim.runs import ServerChores, run_days, send_identities, served
from shelfspace.sim.shop_view import ShopPlacement, ShopView, discover
from shelfspace.sim.shoppers import CONSENT_RATE, USER_AGENTS, Shopper, Surface
from shelfspace.sim.traffic import EVENT_BATCH, Action, Outcome, Page, Tally, Traffic

EXTRA_PURCHASE_PROBABILITY = 0.2  # the injected effect: a basket after seeing the test ad brings an extra order
VISIT_LEAD_MINUTES = (4.0, 25.0)  # the visit's pages come this long before the basket
SECONDS_BETWEEN_PAGES = (15.0, 90.0)
INTERESTS = 3  # a household's interests: its three biggest departments in the window
COUNTRY = "US"  # the Complete Journey's retailer is American
# Devices by the head of household's age band (older households shop more from a desktop);
# households without demographics get the middle row.
DEVICES_BY_AGE: dict[str, tuple[tuple[Device, float], ...]] = {
    "19-24": ((Device.MOBILE, 0.8), (Device.DESKTOP, 0.12), (Device.TABLET, 0.08)),
    "25-34": ((Device.MOBILE, 0.72), (Device.DESKTOP, 0.2), (Device.TABLET, 0.08)),
    "35-44": ((Device.MOBILE, 0.6), (Device.DESKTOP, 0.3), (Device.TABLET, 0.1)),
    "45-54": ((Device.MOBILE, 0.5), (Device.DESKTOP, 0.38), (Device.TABLET, 0.12)),
    "55-64": ((Device.MOBILE, 0.38), (Device.DESKTOP, 0.47), (Device.TABLET, 0.15)),
    "65+": ((Device.MOBILE, 0.25), (Device.DESKTOP, 0.55), (Device.TABLET, 0.2)),
}
UNKNOWN_AGE = "45-54"
APP_SHARE_OF_MOBILE = 0.55
BASKET_ORDER = "-basket-"  # in the id of a real basket's order: `<run>-basket-<basket id>`


def user_of(household_id: int) -> str:
    """The network's user id of a Complete Journey household."""
    return f"household-{household_id:04d}"


def order_items(lines: list[Line]) -> list[dict[str, Any]]:
    """A basket's lines as order items at what was paid: the line's quantity at its unit
    price when the paid cents divide evenly, else one item at the line's paid total (the
    data records weights and fuel as large quantities); a line of no quantity is one item."""
    items = []
    for line in lines:
        quantity = line.quantity if line.quantity > 0 and line.sales_cents % line.quantity == 0 else 1
        cents = line.sales_cents // quantity
        items.append(
            {"sku": sku_of(line.product_id), "quantity": quantity, "price": f"{cents // 100}.{cents % 100:02d}"}
        )
    return items


def make_households(data: JourneyData, seed: int) -> list[Shopper]:
    """Each household as a shopper: interests from what it bought, a device drawn by its age
    band, consent as often as the synthetic shoppers give it. Drawn from the household id
    and the seed, so the same household is the same shopper in every window."""
    departments: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for line in data.lines:
        departments[line.household_id][category_path(data.products[line.product_id], depth=1)] += line.sales_cents
    shoppers = []
    for household_id, household in sorted(data.households.items()):
        rng = random.Random(f"{seed}-{household_id}")
        weighted = DEVICES_BY_AGE[_age(household)]
        device = rng.choices([d for d, _ in weighted], weights=[w for _, w in weighted])[0]
        surface = Surface.APP if device is Device.MOBILE and rng.random() < APP_SHARE_OF_MOBILE else Surface.WEB
        shoppers.append(
            Shopper(
                user_id=user_of(household_id),
                interests=tuple(d for d, _ in departments[household_id].most_common(INTERESTS)) or ("grocery",),
                device=device,
                country=COUNTRY,
                consent=rng.random() < CONSENT_RATE,
                surface=surface,
                user_agent=rng.choice(USER_AGENTS[device]),
            )
        )
    return shoppers


def _age(household: Household) -> str:
    return household.age if household.age in DEVICES_BY_AGE else UNKNOWN_AGE


@dataclass(frozen=True, slots=True)
class Basket:
    household_id: int
    basket_id: int
    at: datetime
    lines: list[Line]


def baskets_of(lines: list[Line]) -> list[Basket]:
    """The lines grouped into baskets, in time order."""
    grouped: dict[int, list[Line]] = {}
    for line in lines:
        grouped.setdefault(line.basket_id, []).append(line)
    return sorted(
        (Basket(ls[0].household_id, basket_id, min(line.at for line in ls), ls) for basket_id, ls in grouped.items()),
        key=lambda b: (b.at, b.basket_id),
    )


@dataclass(frozen=True, slots=True)
class TestEffect:
    """The injected effect: the test campaign, its brand, and the extra purchase's probability."""

    campaign_id: str
    brand: str  # the catalogue brand whose products the extra orders buy
    probability: float = EXTRA_PURCHASE_PROBABILITY


@dataclass(slots=True)
class JourneyTally:
    """What the replay sent: the traffic's tally, and what was added to the data's baskets."""

    tally: Tally
    baskets: int = 0
    paid_cents: int = 0  # the real baskets' orders, as sent
    extra_orders: int = 0  # the injected effect's orders
    exposed: set[str] = field(default_factory=set)  # households that saw the test campaign's ads
    # (user, SKU, cents paid) of every item of the orders on top of the data's
    simulated_items: list[tuple[str, str, int]] = field(default_factory=list)


class JourneyTraffic(Traffic):
    """The synthetic traffic's machinery (time-ordered actions over HTTP, its click model)
    with real baskets for visits."""

    def __init__(
        self,
        shelfspace: Shelfspace,
        shop: ShopView,
        shoppers: list[Shopper],
        rng: random.Random,
        wait: Callable[[datetime], None],
        data: JourneyData,
        effect: TestEffect | None,
        run_id: str,
    ) -> None:
        super().__init__(shelfspace, shop, shoppers, rng, wait, run_id=run_id)
        self.data, self.effect = data, effect
        self.by_user = {s.user_id: s for s in shoppers}
        self.journey = JourneyTally(self.tally)

    def plan_baskets(self, baskets: list[Basket]) -> None:
        for basket in baskets:
            shopper = self.by_user[user_of(basket.household_id)]
            dearest = sorted(basket.lines, key=lambda line: (-line.sales_cents, line.product_id))
            searched = self.data.products[dearest[0].product_id]
            viewed = self.shop.by_sku.get(sku_of(dearest[min(1, len(dearest) - 1)].product_id))
            when = basket.at - timedelta(minutes=self.rng.uniform(*VISIT_LEAD_MINUTES))
            app = shopper.surface is Surface.APP
            pages = [
                Page(self._where("app-feed-native" if app else "home-hero")),
                Page(
                    self._where("app-sponsored" if app else "search-sponsored"),
                    category=category_path(searched),
                    query=search_query(searched),
                ),
            ]
            if viewed is not None:
                browse = ("app-banner",) if app else ("product-page-native", "category-sidebar")
                pages.append(Page(self._where(*browse), category=viewed.category, product=viewed))
            for page in pages:
                if page.placements:
                    self._at(when, Action.PAGE, shopper, page)
                when += timedelta(seconds=self.rng.uniform(*SECONDS_BETWEEN_PAGES))
            self._at(basket.at, Action.ORDER, shopper, basket, None)

    def _where(self, *ids: str) -> tuple[ShopPlacement, ...]:
        return tuple(p for p in self.shop.placements if p.id in ids)

    def _do(self, when: datetime, action: Action, payload: tuple[Any, ...]) -> None:
        if action is Action.ORDER and isinstance(payload[1], Basket):
            self._real_basket(when, payload[0], payload[1])
        else:
            super()._do(when, action, payload)

    def _real_basket(self, when: datetime, shopper: Shopper, basket: Basket) -> None:
        """The real basket as an order; then, for a household that saw the test campaign's
        ad, maybe the injected extra purchase."""
        items = order_items(basket.lines)
        self._orders.append(
            {
                "id": f"{self._run}-basket-{basket.basket_id}",
                "user_id": shopper.user_id,
                "time": when.isoformat(),
                "items": items,
            }
        )
        self.tally.counts[Outcome.ORDERS] += 1
        self.journey.baskets += 1
        self.journey.paid_cents += sum(line.sales_cents for line in basket.lines)
        effect = self.effect
        if effect is not None and shopper.user_id in self.journey.exposed and self.react.random() < effect.probability:
            pool = self.shop.by_brand.get(effect.brand, [])
            if pool:
                extra = self.react.choice(pool)
                self.journey.extra_orders += 1
                self._order(when + timedelta(seconds=1), shopper, (extra,), effect.campaign_id)
        if len(self._orders) >= EVENT_BATCH:
            self.flush_events()

    def flush_events(self) -> None:
        """Send the batched events; the items of orders the simulator added (the click
        model's, the injected effect's) are kept apart first, so audience sizes can be
        checked against the data's own baskets."""
        for order in self._orders:
            if BASKET_ORDER not in order["id"]:
                for item in order["items"]:
                    cents = round(Decimal(item["price"]) * 100) * item["quantity"]
                    self.journey.simulated_items.append((order["user_id"], item["sku"], cents))
        super().flush_events()

    def _impression(self, when: datetime, shopper: Shopper | None, ad: dict[str, Any]) -> None:
        seen = self.tally.counts[Outcome.IMPRESSIONS]
        super()._impression(when, shopper, ad)
        counted = self.tally.counts[Outcome.IMPRESSIONS] > seen
        if counted and shopper is not None and self.effect is not None and ad["campaign_id"] == self.effect.campaign_id:
            self.journey.exposed.add(shopper.user_id)


class JourneyChores(ServerChores):
    """The synthetic replay's chores, the snapshot rebuilt once a simulated day rather than
    every hour: a catalogue of tens of thousands of products takes seconds to compile, it
    does not change during a replay, the engine checks campaigns' dates on each decision,
    and the promotion weeks' campaigns begin and end at midnight."""

    REBUILD_EVERY = timedelta(days=1)


def replay_journey(
    settings: Settings,
    engine: Engine,
    operator_key: str,
    data: JourneyData,
    effect: TestEffect | None,
    seed: int = 7,
    on_progress: Callable[[float, Tally], None] | None = None,
    on_day: Callable[[FastAPI, datetime], None] | None = None,
) -> JourneyTally:
    """Replay the window's days up to `data.until` through the real app served over HTTP on
    a loopback port, on a stepped clock (as `sim/runs.py` replay_history does the synthetic
    week); returns once the rollups hold it all. `on_day` as replay_history's: called at the
    start of each day, the clock on its first instant and the days before rolled up, before
    any of its traffic is planned (the journey backtest, `sim/journey_backtest.py`,
    forecasts the day there from what came before it only)."""
    from shelfspace.app import create_app

    first_day, until = data.first_instant, data.until
    clock = SteppedClock(first_day)
    rng = random.Random(seed)
    app = create_app(settings, engine, clock=clock, rng=random.Random(seed + 1))
    by_day: defaultdict[int, list[Basket]] = defaultdict(list)
    for basket in baskets_of(data.lines):
        by_day[(basket.at - first_day).days].append(basket)
    with served(app) as base_url, Shelfspace(base_url, operator_key, timeout=30) as client:
        rt = runtime_of(app)
        assert rt.rollup_runner is not None  # embedded: this process rolls up its own log
        rt.rollup_runner.stop()
        rt.snapshots.stop()
        chores = JourneyChores(clock, rt.snapshots, first_day, rt.audience_refresher.refresh)
        shop = discover(client)
        shoppers = make_households(data, seed)
        send_identities(client, shoppers)
        traffic = JourneyTraffic(client, shop, shoppers, rng, chores.advance_to, data, effect, f"journey-{seed}")
        starts = [first_day + timedelta(days=day) for day in range((until - first_day).days + 1)]

        def plan(day: int, start: datetime) -> None:
            traffic.plan_day(start, 0)  # no synthetic visits: the e-mail opens and in-store plays
            traffic.plan_baskets(by_day.get(day, []))

        run_days(app, traffic, chores, [s for s in starts if s < until], until, plan, on_day, on_progress)
    return traffic.journey
