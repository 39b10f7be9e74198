"""The inventory forecast on a baseline built by hand (test_replay.py's fourteen days of a
shop's sampled requests, a 10% sample): what each day replays, what is sold and left, and
which campaigns will under-deliver, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.ctr import SmoothedCtr
from shelfspace.decisioning.inventory import (
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    Pacing,
    Pricing,
    Targeting,
)
from shelfspace.decisioning.request import SlotRequest
from shelfspace.decisioning.text import phrase
from shelfspace.forecasting import baseline as baselines
from shelfspace.forecasting.inventory_forecast import (
    CampaignOutlook,
    InventoryForecast,
    Spending,
    Verdict,
    Why,
    forecast_inventory,
    live_spending,
)
from shelfspace.forecasting.sample import SampledRequest
from tests.forecasting.test_replay import END, START, TODAY, TZ, WEIGHT, sampled_requests

HERO = LivePlacement("hero", "web", "banner", ("970x250",), 1_000_000, 1)
SIDE = LivePlacement("side", "web", "banner", ("970x250",), 500_000, 2)  # two ads a request
NONE_SPENT = Spending({}, {}, {})
UNITS = 1_000_000
ANYONE = Targeting()


def predict(creative: str, placement: str, ad_format: str) -> float:
    return 0.002


def campaign(
    cid: str,
    advertiser: str,
    *,
    daily: float | None = None,
    total: float = 1_000_000,
    end_in_days: int | None = None,
    funds: float | None = None,
) -> LiveCampaign:
    end = (
        None if end_in_days is None else datetime.combine(TODAY + timedelta(days=end_in_days), datetime.min.time(), TZ)
    )
    return LiveCampaign(
        cid,
        advertiser,
        datetime(2026, 1, 1, tzinfo=UTC),
        end,
        int(total * UNITS),
        None if daily is None else int(daily * UNITS),
        Pacing.ASAP,
        0,
        None if funds is None else int(funds * UNITS),
    )


def line_item(
    lid: str,
    c: LiveCampaign,
    bid: float,
    placements: frozenset[str] = frozenset({"hero"}),
    targeting: Targeting = ANYONE,
) -> LiveLineItem:
    return LiveLineItem(
        id=lid,
        campaign_id=c.id,
        advertiser_id=c.advertiser_id,
        pricing=Pricing.CPM,
        bid_micros=int(bid * UNITS),
        placements=placements,
        targeting=targeting,
        frequency_cap=None,
        products=(),
        creatives=(LiveCreative(id=f"cr-{lid}", format="banner", size="970x250"),),
    )


def network(
    campaigns: list[tuple[LiveCampaign, float, Targeting]], placements: tuple[LivePlacement, ...] = (HERO,)
) -> Inventory:
    """Each campaign with one line item at its bid and targeting, on every placement."""
    on = frozenset(p.id for p in placements)
    return Inventory(
        placements={p.id: p for p in placements},
        advertisers={c.advertiser_id: LiveAdvertiser(c.advertiser_id) for c, _, _ in campaigns},
        campaigns={c.id: c for c, _, _ in campaigns},
        line_items=tuple(line_item(f"li-{c.id}", c, bid, on, t) for c, bid, t in campaigns),
        products={},
    )


def build(inventory: Inventory, requests: list[SampledRequest]) -> baselines.Baseline:
    counters = MemoryCounters()
    counters.restore([])
    return baselines.build(
        inventory,
        requests,
        version=1,
        built_at=datetime.combine(TODAY, datetime.min.time(), TZ),
        weight=WEIGHT,
        tz=TZ,
        counters=counters,
        ctr=SmoothedCtr(counters),
        segments_by_hash={},
        start=START,
        end=END,
    )


def run(
    inventory: Inventory, spending: Spending = NONE_SPENT, days: int = 30, requests: list[SampledRequest] | None = None
) -> tuple[InventoryForecast, baselines.Baseline]:
    base = build(inventory, sampled_requests() if requests is None else requests)
    return forecast_inventory(base, TODAY, days, spending, predict), base


TENTS = Targeting(keywords=frozenset({phrase("tents")}))  # one request in five


def outlook(found: InventoryForecast, cid: str) -> CampaignOutlook:
    return next(c for c in found.campaigns if c.campaign_id == cid)


def test_each_day_replays_its_weekday_and_sells_what_the_campaigns_took_never_more_than_its_slots() -> None:
    """Three campaigns compete for both placements (the side one shows two ads a request);
    no budget binds, so each day sells exactly what the campaigns took on the sampled day."""
    inv = network(
        [
            (campaign("c-a", "a"), 3.0, Targeting()),
            (campaign("c-b", "b"), 4.0, TENTS),
            (campaign("c-c", "c"), 2.0, Targeting(devices=frozenset({"mobile"}))),
        ],
        (HERO, SIDE),
    )
    both = [replace(r, slots=(SlotRequest("hero"), SlotRequest("side", 2))) for r in sampled_requests()]
    found, base = run(inv, requests=both)
    assert [p.placement_id for p in found.placements] == ["hero", "side"]
    assert found.sampled_days == [START + timedelta(days=n) for n in range(14)]
    for placement in found.placements:
        days = placement.days
        assert [d.day for d in days] == [TODAY + timedelta(days=n) for n in range(30)]
        # Each weekday in turn replays the first week's day, then the second's, then the first's.
        assert days[0].sampled_day == START + timedelta(days=(TODAY - START).days % 7)
        assert days[7].sampled_day == days[0].sampled_day + timedelta(days=7)
        assert days[14].sampled_day == days[0].sampled_day
        for d in days:
            assert d.sampled_day is not None and d.sampled_day.weekday() == d.day.weekday()
            sampled = base.placements[(d.sampled_day, placement.placement_id)]
            assert d.requests == round(sampled.requests * WEIGHT)
            assert d.slots == round(sampled.slots * WEIGHT)
            assert d.sold == round(sum(sampled.impressions.values()) * WEIGHT)
            assert 0 < d.sold <= d.slots and d.left == d.slots - d.sold
        assert placement.sold == sum(b.impressions for b in placement.buyers)
    hero, side = found.placements
    assert hero.fill == 1.0  # c-a bids on every request
    assert side.slots == 2 * side.requests and side.fill is not None and 0.5 < side.fill < 1  # a second advertiser
    shares = {b.campaign_id: b.share for b in hero.buyers}
    assert shares["c-a"] > shares["c-b"] > 0 and shares["c-c"] == 0  # outbid on the hero's one slot
    assert sum(shares.values()) == pytest.approx(hero.sold / hero.slots)


def test_a_campaign_whose_flight_ends_in_five_days_sells_nothing_after() -> None:
    inv = network([(campaign("c-a", "a", end_in_days=5), 3.0, Targeting())])
    found, _ = run(inv)
    [hero] = found.placements
    assert all(d.sold > 0 for d in hero.days[:5])
    assert all(d.sold == 0 and d.left == d.slots > 0 for d in hero.days[5:])
    a = outlook(found, "c-a")
    assert (a.flight_days, a.open_ended) == (5, False)
    assert hero.buyers[0].impressions == sum(d.sold for d in hero.days)


def test_a_campaign_with_a_low_bid_will_under_deliver_and_says_bid() -> None:
    inv = network(
        [
            (campaign("c-a", "a"), 3.0, Targeting()),
            (campaign("c-b", "b"), 4.0, TENTS),
            (campaign("c-low", "low", daily=100), 1.5, Targeting()),
        ]
    )
    found, _ = run(inv)
    low = outlook(found, "c-low")
    assert low.verdict is Verdict.UNDER_DELIVERS and low.why is Why.BID
    assert low.projected_micros == 0 and low.to_spend_micros == 30 * 100 * UNITS
    assert low.shortfall_micros == low.to_spend_micros
    assert low.funnel is not None and low.funnel.requests == low.funnel.matched == low.funnel.above_floor > 0
    assert low.funnel.priced_in == 0 == low.funnel.served
    assert "rank above it in 100.0% of the auctions" in low.message
    shortfalls = [c.shortfall_micros for c in found.campaigns]
    assert shortfalls == sorted(shortfalls, reverse=True)  # those that will under-deliver first, the largest first
    [hero] = found.placements
    assert {b.campaign_id: b.impressions for b in hero.buyers}["c-low"] == 0


def test_narrow_targeting_says_targeting_and_a_daily_budget_spent_every_day_is_on_track() -> None:
    inv = network([(campaign("c-a", "a", daily=1.0), 3.0, Targeting()), (campaign("c-b", "b", daily=1000), 4.0, TENTS)])
    found, base = run(inv)
    a, b = outlook(found, "c-a"), outlook(found, "c-b")
    assert a.verdict is Verdict.ON_TRACK and a.why is Why.BUDGET and a.funnel is None
    assert a.to_spend_micros == 30 * UNITS and a.projected_micros >= 0.99 * a.to_spend_micros
    for day in base.sampled_days(["hero"]):  # its daily budget (scaled to the sample) spent every sampled day
        assert base.placements[(day, "hero")].spend_micros["c-a"] * WEIGHT >= 0.99 * UNITS
    assert b.verdict is Verdict.UNDER_DELIVERS and b.why is Why.TARGETING
    assert b.funnel is not None and b.funnel.matched / b.funnel.requests == pytest.approx(0.2, abs=0.03)
    assert "targeting matches 2" in b.message  # about 20%


def test_what_is_left_of_the_budget_ends_the_sales_and_funds_shared_by_the_advertiser_say_funds() -> None:
    """c-a has 10.00 left of 20.00 and 2.00 a day: five days. c-f spends 2.00 a day too but
    its advertiser has 5.00 of funds left."""
    inv = network(
        [
            (campaign("c-a", "a", daily=2.0, total=20), 3.0, Targeting()),
            (campaign("c-f", "f", daily=2.0, funds=50), 3.5, Targeting()),
        ]
    )
    found, _ = run(inv, Spending({"c-a": 10 * UNITS}, {}, {"f": 5 * UNITS}))
    a, f = outlook(found, "c-a"), outlook(found, "c-f")
    assert a.budget_left_micros == 10 * UNITS and a.to_spend_micros == 10 * UNITS
    assert a.verdict is Verdict.ON_TRACK and a.projected_micros == pytest.approx(10 * UNITS, rel=0.01)
    [hero] = found.placements
    sold_by_a = [d.sold for d in hero.days]
    assert f.verdict is Verdict.UNDER_DELIVERS and f.why is Why.FUNDS and f.projected_micros == 5 * UNITS
    assert "funds (5.00 left" in f.message
    # Both buy about a day's budget a day while they can: c-f three days (5.00 at 2.00 a
    # day), c-a five; then nothing is sold.
    assert all(s > 0 for s in sold_by_a[:5]) and all(s == 0 for s in sold_by_a[6:])
    assert hero.days[0].sold > hero.days[4].sold


def test_no_history_forecasts_nothing_and_says_so() -> None:
    inv = network([(campaign("c-a", "a", daily=5.0), 3.0, Targeting())])
    found, _ = run(inv, requests=[])
    assert (
        found.sampled_days == [] and found.history_note is not None and "No request was sampled" in found.history_note
    )
    [hero] = found.placements
    assert len(hero.days) == 30 and all(
        (d.requests, d.slots, d.sold, d.sampled_day) == (0, 0, 0, None) for d in hero.days
    )
    a = outlook(found, "c-a")
    assert a.verdict is Verdict.UNDER_DELIVERS and a.why is Why.INVENTORY and "No request was sampled" in a.message


def test_a_campaign_without_a_servable_line_item_has_nothing_to_serve() -> None:
    inv = network([(campaign("c-a", "a"), 3.0, Targeting())])
    idle = campaign("c-idle", "a", daily=10.0)
    inv = replace(inv, campaigns=inv.campaigns | {"c-idle": idle})
    found, _ = run(inv, days=7)
    assert all(len(p.days) == 7 for p in found.placements)
    idle_outlook = outlook(found, "c-idle")
    assert idle_outlook.why is Why.NOTHING_TO_SERVE and idle_outlook.placements == ()
    assert idle_outlook.to_spend_micros == 30 * 10 * UNITS  # its open-ended flight: 30 days, whatever is shown


def test_live_spending_reads_the_counters() -> None:
    inv = network([(campaign("c-a", "a", funds=100), 3.0, Targeting())])
    counters = MemoryCounters()
    counters.restore(
        [("c-a", (TODAY - timedelta(days=1)).isoformat(), 4 * UNITS), ("c-a", TODAY.isoformat(), UNITS)],
        [("a", 30 * UNITS)],
    )
    spending = live_spending(counters, inv, TODAY)
    assert spending.spent_total == {"c-a": 5 * UNITS} and spending.spent_today == {"c-a": UNITS}
    assert spending.funds_left == {"a": 70 * UNITS}


def test_today_only_has_what_is_left_of_its_daily_budget() -> None:
    inv = network([(campaign("c-a", "a", daily=1.0), 3.0, Targeting())])
    base = build(inv, sampled_requests())
    whole = forecast_inventory(base, TODAY, 3, NONE_SPENT, predict)
    spent = forecast_inventory(base, TODAY, 3, Spending({"c-a": UNITS // 2}, {"c-a": UNITS // 2}, {}), predict)
    assert whole.placements[0].days[0].sold == pytest.approx(2 * spent.placements[0].days[0].sold, rel=0.02)
    assert whole.placements[0].days[1].sold == spent.placements[0].days[1].sold
    assert outlook(spent, "c-a").to_spend_micros == outlook(whole, "c-a").to_spend_micros - UNITS // 2
