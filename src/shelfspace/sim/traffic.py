"""Simulated shoppers browsing the shop, seeing ads and buying, through the public HTTP API only.

A discrete-event simulation: every action (a page asking for ads, an impression, a view,
a click, an order) has a time and waits in a heap, so the server always sees time move
forward, whether that time is simulated (a week of history replayed in seconds on a
`SteppedClock`) or real (live traffic, which waits for the wall clock). Every request
goes through the same routes a real page, app or order system would call.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx

from shelfspace.catalog.enums import AdFormat, Channel, Device
from shelfspace.client import ApiError, Shelfspace, api
from shelfspace.sim.shop_view import ShopPlacement, ShopProduct, ShopView
from shelfspace.sim.shoppers import (
    BUY_AFTER_CLICK,
    BUY_AFTER_VIEW,
    CLICK_RATE,
    INTEREST_LIFT,
    ORGANIC_BASKET,
    PAGES_PER_VISIT,
    PICKS_BRAND,
    PICKS_BRAND_AFTER_AD,
    SURVEY_ASK_RATE,
    VIEWABLE_RATE,
    Shopper,
    Surface,
)

# Visits by local hour: quiet at night, a lunch bump, busiest in the evening.
HOURLY_WEIGHTS = (
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.2,
    3,
    3.2,
    3.4,
    3.8,
    4.4,
    4,
    3.6,
    3.4,
    3.6,
    4.2,
    5.4,
    6.2,
    6,
    4.8,
    3.2,
    1.8,
)
# Visits by weekday, Monday first: a quiet start of the week, busier from Friday. Weekdays
# differ, so a forecast that replays the wrong weekday shows in the backtest
# (docs/forecasting.md).
WEEKDAY_FACTORS = (0.9, 0.95, 1.0, 1.0, 1.1, 1.25, 1.25)
EVENT_BATCH = 200  # first-party events are posted in batches, as an order system would
INSTORE_PER_HOUR = 12  # checkout screen plays between 8:00 and 22:00, nobody identified
EMAIL_OPEN_RATE = 0.06  # of shoppers, per day


class Action(StrEnum):
    PAGE = "page"
    IMPRESSION = "impression"
    VIEWABLE = "viewable"
    CLICK = "click"
    ORDER = "order"


class Outcome(StrEnum):
    DECISIONS = "decisions"
    ADS = "ads_served"
    IMPRESSIONS = "impressions"
    VIEWABLE = "viewable"
    CLICKS = "clicks"
    ORDERS = "orders"
    AD_ORDERS = "orders_after_ads"
    BEHAVIOUR = "behaviour_events"
    SURVEY_ANSWERS = "survey_answers"
    ERRORS = "errors"


@dataclass(slots=True)
class Tally:
    counts: Counter[Outcome] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # "POST /v1/decisions 422" -> n
    # The simulator's own truth for lift studies: orders it placed because of a campaign's
    # ad (after a view or a click), by campaign id. Without the ad they would not exist.
    caused: Counter[str] = field(default_factory=Counter)
    brand_answers: Counter[str] = field(default_factory=Counter)  # brand lift study -> answers given

    @property
    def ctr(self) -> float:
        impressions = self.counts[Outcome.IMPRESSIONS]
        return self.counts[Outcome.CLICKS] / impressions if impressions else 0.0

    def summary(self) -> str:
        """One line; errors are always shown, with the commonest kinds when there are any."""
        parts = [f"{o.value.replace('_', ' ')} {self.counts[o]:,}" for o in Outcome]
        parts.insert(list(Outcome).index(Outcome.CLICKS) + 1, f"CTR {self.ctr:.2%}")
        line = ", ".join(parts)
        if self.errors:
            line += " (" + ", ".join(f"{k} x{v}" for k, v in self.errors.most_common(5)) + ")"
        return line


@dataclass(frozen=True, slots=True)
class Page:
    placements: tuple[ShopPlacement, ...]
    category: str | None = None
    query: str | None = None
    product: ShopProduct | None = None


class Traffic:
    """Runs shoppers against one server. `wait` is how time passes: the stepped clock's
    `advance_to` for history, a sleep for live traffic."""

    def __init__(
        self,
        shelfspace: Shelfspace,
        shop: ShopView,
        shoppers: list[Shopper],
        rng: random.Random,
        wait: Callable[[datetime], None],
        run_id: str = "sim",
    ) -> None:
        self.shelfspace, self.shop, self.shoppers, self.rng, self.wait = shelfspace, shop, shoppers, rng, wait
        # Reactions to ads (views, clicks, sales after them) draw from their own source, so
        # what the server answers never changes which pages the planned visits open.
        self.react = random.Random(rng.random())
        self.tally = Tally()
        self._heap: list[tuple[datetime, int, Action, tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._ids = itertools.count()
        self._run = run_id
        self._orders: list[dict[str, Any]] = []
        self._seen_brands: dict[str, set[str]] = {}  # user id -> brand names of ads they saw
        self._behaviour: list[dict[str, Any]] = []

    # --- scheduling ------------------------------------------------------------------------

    def _at(self, when: datetime, action: Action, *payload: Any) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), action, payload))

    def plan_day(self, day_start: datetime, visits: int) -> None:
        """Visits of one day (their times follow the daily curve), e-mail opens and in-store plays."""
        total = int(visits * WEEKDAY_FACTORS[day_start.weekday()])
        hours = self.rng.choices(range(24), weights=HOURLY_WEIGHTS, k=total)
        for hour in hours:
            start = day_start + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600))
            self._plan_visit(self.rng.choice(self.shoppers), start)
        for placement in self.shop.placements_where(Channel.EMAIL):
            for shopper in self.shoppers:
                if self.rng.random() < EMAIL_OPEN_RATE:
                    when = day_start + timedelta(hours=self.rng.uniform(7, 22))
                    self._at(when, Action.PAGE, shopper, Page((placement,)))
        for placement in self.shop.placements_where(Channel.INSTORE):
            for hour in range(8, 22):
                for _ in range(INSTORE_PER_HOUR):
                    self._at(
                        day_start + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600)),
                        Action.PAGE,
                        None,
                        Page((placement,)),
                    )

    def plan_window(self, start: datetime, end: datetime, visits: float) -> None:
        """Live traffic: about `visits` visits (a Poisson count) at random times in [start, end)."""
        seconds = (end - start).total_seconds()
        count = 0
        t = self.rng.expovariate(visits / seconds) if visits > 0 else seconds
        while t < seconds:
            count += 1
            self._plan_visit(self.rng.choice(self.shoppers), start + timedelta(seconds=t))
            t += self.rng.expovariate(visits / seconds)

    def _plan_visit(self, shopper: Shopper, start: datetime) -> None:
        when = start
        for _ in range(self.rng.choice(PAGES_PER_VISIT)):
            page = self._page_for(shopper)
            if page is not None:
                self._at(when, Action.PAGE, shopper, page)
            when += timedelta(seconds=self.rng.uniform(15, 90))
        if self.rng.random() < ORGANIC_BASKET:
            basket = self._basket(shopper, self.rng)
            if basket:
                self._at(when + timedelta(minutes=self.rng.uniform(2, 15)), Action.ORDER, shopper, tuple(basket), None)

    def _basket(self, shopper: Shopper, rng: random.Random) -> list[ShopProduct]:
        pool = [p for c in shopper.interests for p in self.shop.by_category.get(c, [])] or self.shop.products
        return rng.sample(pool, k=min(len(pool), rng.choice((1, 2, 3, 4)))) if pool else []

    def _page_for(self, shopper: Shopper) -> Page | None:
        """What the shopper opens next: a search, a category, a product, the home page, a video."""
        shop, rng = self.shop, self.rng
        category = rng.choice(shopper.interests)
        liked = shop.by_category.get(category) or shop.products
        if shopper.device is Device.CTV:
            return self._one_of(shop.placements_where(Channel.CTV))
        channel = Channel.APP if shopper.surface is Surface.APP else Channel.WEB
        roll = rng.random()
        if roll < 0.38 and liked:
            product = rng.choice(liked)
            searches = [
                p
                for p in shop.placements
                if p.format is AdFormat.SPONSORED_PRODUCT and (p.channel is Channel.APP) == (channel is Channel.APP)
            ]
            if searches:
                return Page((rng.choice(searches),), category=product.category, query=product.keyword)
        if roll < 0.08 + 0.38:
            return self._one_of(shop.placements_where(Channel.VIDEO))
        browse = [p for p in shop.placements_where(channel) if p.format is not AdFormat.SPONSORED_PRODUCT]
        if not browse:
            return None
        shown = rng.choice(liked) if liked else None
        picked = tuple(rng.sample(browse, k=min(len(browse), rng.choice((1, 1, 2)))))
        return Page(picked, category=shown.category if shown else None, product=shown)

    def _one_of(self, placements: list[ShopPlacement]) -> Page | None:
        return Page((self.rng.choice(placements),)) if placements else None

    # --- running -----------------------------------------------------------------------------

    def run_until(self, end: datetime) -> None:
        """Carry out every planned action before `end`, in time order."""
        while self._heap and self._heap[0][0] < end:
            when, _, action, payload = heapq.heappop(self._heap)
            self.wait(when)
            self._do(when, action, payload)
        self.flush_events()

    def _do(self, when: datetime, action: Action, payload: tuple[Any, ...]) -> None:
        if action is Action.PAGE:
            self._page(when, *payload)
        elif action is Action.IMPRESSION:
            self._impression(when, *payload)
        elif action is Action.VIEWABLE:
            self._track(payload[1]["tracking"]["viewable"], payload[0], Outcome.VIEWABLE, (200, 204))
        elif action is Action.CLICK:
            self._click(when, *payload)
        elif action is Action.ORDER:
            self._order(when, *payload)

    def _error(self, what: str, status: int | str) -> None:
        """Every answer the simulator did not expect is counted by route and status, never hidden."""
        self.tally.counts[Outcome.ERRORS] += 1
        self.tally.errors[f"{what} {status}"] += 1

    def _page(self, when: datetime, shopper: Shopper | None, page: Page) -> None:
        context: dict[str, Any] = {}
        if page.query:
            context |= {"query": page.query, "keywords": [page.query]}
        if page.category:
            context["category"] = page.category
        if page.product:
            context["skus"] = [page.product.sku]
        if shopper is not None:
            context |= {"device": shopper.device.value, "country": shopper.country}
            self._behaviour_event(when, shopper, page)
        call = api.decide(
            {p.id: p.max_ads for p in page.placements},
            user_id=shopper.user_id if shopper else None,
            consent=shopper.consent if shopper else False,
            context=context,
        )
        try:
            answer = self.shelfspace.send(call)
        except ApiError as error:
            self._error("POST /v1/decisions", error.status)
            return
        except httpx.TransportError as error:
            self._error("POST /v1/decisions", unanswered(error))
            return
        self.tally.counts[Outcome.DECISIONS] += 1
        if shopper is not None and self.react.random() < SURVEY_ASK_RATE:
            self._survey(shopper)
        for ads in answer["decisions"].values():
            for ad in ads:
                self.tally.counts[Outcome.ADS] += 1
                # Most rendered ads load; some pages are left before the ad does.
                if self.react.random() < 0.93:
                    self._at(
                        when + timedelta(milliseconds=self.react.uniform(200, 900)), Action.IMPRESSION, shopper, ad
                    )

    def _survey(self, shopper: Shopper) -> None:
        """A brand lift question, if the server has one for this shopper: the shopper picks
        the brand more often after seeing its ad (`PICKS_BRAND_AFTER_AD`), else another answer."""
        try:
            question = self.shelfspace.send(api.survey(shopper.user_id))
        except (ApiError, httpx.TransportError) as error:
            self._error("GET /v1/surveys", error.status if isinstance(error, ApiError) else unanswered(error))
            return
        if not question:
            return
        seen = self._seen_brands.get(shopper.user_id, set())
        answers = question["answers"]
        brands = [n for n, a in enumerate(answers) if a["text"] in self.shop.all_brand_names]
        if not brands:
            return
        brand = brands[0]
        likely = PICKS_BRAND_AFTER_AD if answers[brand]["text"] in seen else PICKS_BRAND
        others = [n for n in range(len(answers)) if n != brand]
        picked = brand if self.react.random() < likely or not others else self.react.choice(others)
        if self._track(answers[picked]["url"], shopper, Outcome.SURVEY_ANSWERS, (204,)):
            self.tally.brand_answers[question["study_id"]] += 1

    def _behaviour_event(self, when: datetime, shopper: Shopper, page: Page) -> None:
        event: dict[str, Any] = {
            "id": f"{self._run}-b{next(self._ids)}",
            "user_id": shopper.user_id,
            "time": when.isoformat(),
        }
        if page.query:
            self._behaviour.append(event | {"type": "search", "query": page.query})
        elif page.product:
            self._behaviour.append(event | {"type": "view", "sku": page.product.sku, "category": page.product.category})
        else:
            return
        if len(self._behaviour) >= EVENT_BATCH:
            self.flush_events()

    def _ua(self, shopper: Shopper | None) -> str:
        return (
            shopper.user_agent
            if shopper
            else "Mozilla/5.0 (Linux; Android 11; InStoreScreen) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
        )

    def _track(self, url: str, shopper: Shopper | None, outcome: Outcome, ok: tuple[int, ...]) -> bool:
        try:
            status: int | str = self.shelfspace.track(url, user_agent=self._ua(shopper))
        except httpx.TransportError as error:
            status = unanswered(error)
        if status not in ok:
            self._error(f"GET /track/{outcome.value}", status)
            return False
        self.tally.counts[outcome] += 1
        return True

    def _likes(self, shopper: Shopper, ad: dict[str, Any]) -> bool:
        product = ad.get("product")
        category = product.get("category") if product else self.shop.category_of_advertiser.get(ad["advertiser_id"])
        return shopper.likes(category)

    def _impression(self, when: datetime, shopper: Shopper | None, ad: dict[str, Any]) -> None:
        if not self._track(ad["tracking"]["impression"], shopper, Outcome.IMPRESSIONS, (200, 204)):
            return
        ad_format = AdFormat(ad["format"])
        if shopper is not None:
            self._seen_brands.setdefault(shopper.user_id, set()).update(
                self.shop.brands_of_advertiser.get(ad["advertiser_id"], ())
            )
        if self.react.random() < VIEWABLE_RATE[ad_format]:
            self._at(when + timedelta(seconds=self.react.uniform(1, 3)), Action.VIEWABLE, shopper, ad)
        if shopper is None:
            return
        lift = INTEREST_LIFT if self._likes(shopper, ad) else 1.0
        if self.react.random() < CLICK_RATE[ad_format] * lift:
            self._at(when + timedelta(seconds=self.react.uniform(2, 25)), Action.CLICK, shopper, ad)
        elif self.react.random() < BUY_AFTER_VIEW * lift:
            wanted = self._promoted(ad)
            if wanted:
                self._at(
                    when + timedelta(hours=self.react.uniform(0.5, 20)),
                    Action.ORDER,
                    shopper,
                    tuple(wanted),
                    ad["campaign_id"],
                )

    def _promoted(self, ad: dict[str, Any]) -> list[ShopProduct]:
        """What an ad sells: its product, else something of the advertiser's brands."""
        if ad.get("sku") and ad["sku"] in self.shop.by_sku:
            return [self.shop.by_sku[ad["sku"]]]
        pool = [
            p
            for brand in self.shop.brands_of_advertiser.get(ad["advertiser_id"], ())
            for p in self.shop.by_brand.get(brand, [])
        ]
        return [self.react.choice(pool)] if pool else []

    def _click(self, when: datetime, shopper: Shopper, ad: dict[str, Any]) -> None:
        if not self._track(ad["tracking"]["click"], shopper, Outcome.CLICKS, (302,)):
            return
        if self.react.random() < BUY_AFTER_CLICK[AdFormat(ad["format"])]:
            wanted = self._promoted(ad)
            if wanted:
                extra = self._basket(shopper, self.react) if self.react.random() < 0.4 else []
                self._at(
                    when + timedelta(minutes=self.react.uniform(2, 40)),
                    Action.ORDER,
                    shopper,
                    tuple(wanted + extra),
                    ad["campaign_id"],
                )

    def _order(
        self, when: datetime, shopper: Shopper, products: tuple[ShopProduct, ...], caused_by: str | None
    ) -> None:
        """`caused_by`: the campaign whose ad made the shopper buy; None for an organic basket."""
        order_id = f"{self._run}-o{next(self._ids)}"
        items = [
            {"sku": p.sku, "quantity": self.react.choice((1, 1, 1, 2, 3)), "price": str(p.price)} for p in products
        ]
        # The order is the purchase: audiences count an order's items as purchases, so the
        # shop sends no `purchase` behaviour events for it (they would count each item twice).
        self._orders.append({"id": order_id, "user_id": shopper.user_id, "time": when.isoformat(), "items": items})
        self.tally.counts[Outcome.ORDERS] += 1
        if caused_by is not None:
            self.tally.counts[Outcome.AD_ORDERS] += 1
            self.tally.caused[caused_by] += 1
        if len(self._orders) >= EVENT_BATCH:
            self.flush_events()

    def flush_events(self) -> None:
        for build, path, batch, outcome in (
            (api.conversions, "/v1/events/conversions", self._orders, None),
            (api.behaviour, "/v1/events/behaviour", self._behaviour, Outcome.BEHAVIOUR),
        ):
            if not batch:
                continue
            try:
                answer = self.shelfspace.send(build(batch))
            except ApiError as error:
                self._error(f"POST {path}", error.status)
            except httpx.TransportError as error:
                self._error(f"POST {path}", unanswered(error))
            else:
                rejected = answer.get("rejected", [])
                for problem in rejected:
                    self._error(f"POST {path} rejected: {problem.get('reason', '')[:60]}", 202)
                if outcome is not None:
                    self.tally.counts[outcome] += len(batch) - len(rejected)
            batch.clear()


def unanswered(error: httpx.TransportError) -> str:
    """No status to count: the server did not answer (down, restarting, too slow)."""
    return f"unanswered ({type(error).__name__})"


def utc_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def sleep_until(when: datetime) -> None:
    """Live traffic: wait for the wall clock."""
    delay = (when - datetime.now(UTC)).total_seconds()
    if delay > 0:
        time.sleep(delay)
