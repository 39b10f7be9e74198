"""The forecast's replay against the engine itself: a proposal forecast over sampled
requests wins what the engine, with the proposal live, gives it on the same requests; and
every targeting setting, bid and cap moves the numbers."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shelfspace.core.clock import SteppedClock
from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.ctr import SmoothedCtr
from shelfspace.decisioning.engine import Engine
from shelfspace.decisioning.index import compile_snapshot
from shelfspace.decisioning.inventory import (
    FrequencyCap,
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
from shelfspace.decisioning.request import Context, SlotRequest
from shelfspace.decisioning.text import phrase
from shelfspace.forecasting import baseline as baselines
from shelfspace.forecasting.replay import forecast
from shelfspace.forecasting.replay_types import Limit, Proposal
from shelfspace.forecasting.sample import SampledRequest

TZ = ZoneInfo("UTC")
TODAY = date(2026, 11, 30)  # a Monday: the window is the fourteen days before
START, END = baselines.window(TODAY, 14)
WEIGHT = 10.0  # a 10% sample
HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 8, 9, 8, 7, 7, 8, 9, 10, 10, 8, 5, 3, 2]
KEYWORDS = ["tents", "stoves", "boots", "milk", "bread"]
ANYONE = Targeting()
HERO = LivePlacement("hero", "web", "banner", ("970x250",), 1_000_000, 1)


def sampled_requests(seed: int = 1, per_day: int = 600) -> list[SampledRequest]:
    """Fourteen days of a shop's sampled requests: busier at weekends and in the evening."""
    rng = random.Random(seed)
    found = []
    for n in range(14):
        day = START + timedelta(days=n)
        count = int(per_day * (1.4 if day.weekday() >= 5 else 1))
        for _ in range(count):
            hour = rng.choices(range(24), HOURS)[0]
            at = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=hour, seconds=rng.uniform(0, 3599))
            context = Context(
                keywords=(rng.choice(KEYWORDS),),
                device=rng.choice(["mobile", "desktop", "tablet"]),
                country=rng.choice(["VN", "VN", "VN", "IE"]),
            )
            user = f"h{rng.randrange(400)}"
            found.append(SampledRequest(at, (SlotRequest("hero"),), context, rng.random() < 0.9, user))
    return sorted(found, key=lambda r: r.at)


def campaign(cid: str, advertiser: str, daily: int | None = None, pacing: Pacing = Pacing.ASAP) -> LiveCampaign:
    return LiveCampaign(cid, advertiser, datetime(2026, 1, 1, tzinfo=UTC), None, 10**12, daily, pacing, 0)


def line_item(
    lid: str, cid: str, advertiser: str, bid: float, targeting: Targeting = ANYONE, cap: FrequencyCap | None = None
) -> LiveLineItem:
    return LiveLineItem(
        id=lid,
        campaign_id=cid,
        advertiser_id=advertiser,
        pricing=Pricing.CPM,
        bid_micros=int(bid * 1_000_000),
        placements=frozenset({"hero"}),
        targeting=targeting,
        frequency_cap=cap,
        products=(),
        creatives=(LiveCreative(id=f"cr-{lid}", format="banner", size="970x250"),),
    )


def inventory() -> Inventory:
    """Two rivals: one everywhere at 3.00, one on tent searches at 4.00."""
    return Inventory(
        placements={"hero": HERO},
        advertisers={a: LiveAdvertiser(a) for a in ("rival-a", "rival-b", "brand")},
        campaigns={"c-a": campaign("c-a", "rival-a"), "c-b": campaign("c-b", "rival-b")},
        line_items=(
            line_item("li-a", "c-a", "rival-a", 3.0),
            line_item("li-b", "c-b", "rival-b", 4.0, Targeting(keywords=frozenset({phrase("tents")}))),
        ),
        products={},
    )


def build_baseline(
    requests: list[SampledRequest], inv: Inventory | None = None, segments: dict[str, frozenset[str]] | None = None
) -> baselines.Baseline:
    counters = MemoryCounters()
    counters.restore([])
    return baselines.build(
        inv or inventory(),
        requests,
        version=1,
        built_at=datetime.combine(TODAY, datetime.min.time(), TZ),
        weight=WEIGHT,
        tz=TZ,
        counters=counters,
        ctr=SmoothedCtr(counters),
        segments_by_hash=segments or {},
        start=START,
        end=END,
    )


def proposal(
    bid: float,
    daily: float | None = None,
    pacing: Pacing = Pacing.ASAP,
    targeting: Targeting = ANYONE,
    cap: FrequencyCap | None = None,
) -> Proposal:
    days = 14
    live = campaign("c-new", "brand", int(daily * 1_000_000) if daily else None, pacing)
    live = replace(
        live,
        start=datetime.combine(TODAY, datetime.min.time(), TZ),
        end=datetime.combine(TODAY + timedelta(days=days), datetime.min.time(), TZ),
    )
    return Proposal(line_item("forecast", "c-new", "brand", bid, targeting, cap), live, LiveAdvertiser("brand"))


def predict(creative: str, placement: str, ad_format: str) -> float:
    return 0.002


def engine_replay(requests: list[SampledRequest], proposed: Proposal) -> int:
    """The proposal live beside the others, every sampled request through the real engine
    (budgets scaled to the sample as the baseline scales them): its ads."""
    inv = inventory()
    opened = replace(
        proposed.campaign,
        start=datetime.combine(START, datetime.min.time(), TZ),
        end=None,
        budget_total_micros=baselines.NEVER_BINDS,
        budget_daily_micros=int(proposed.campaign.budget_daily_micros / WEIGHT)
        if proposed.campaign.budget_daily_micros
        else None,
    )
    inv = replace(inv, campaigns=inv.campaigns | {"c-new": opened}, line_items=(*inv.line_items, proposed.line_item))
    snapshot = compile_snapshot(inv, 1, datetime.combine(START, datetime.min.time(), TZ), TZ)
    clock = SteppedClock(datetime.combine(START, datetime.min.time(), TZ))
    counters = MemoryCounters()
    counters.restore([])
    engine = Engine(counters, clock, ctr=SmoothedCtr(counters), rng=random.Random(3))
    won = 0
    for sampled in requests:
        clock.advance_to(sampled.at)
        decision = engine.decide(snapshot, sampled.decision_request())
        for ad in decision.ads["hero"]:
            limits = inv.campaigns[ad.candidate.campaign.id].limits(ad.budget_day)
            counters.settle(None, limits, ad.reserved_micros)
            counters.release_expired(sampled.at.timestamp() + 10**6)
            won += ad.candidate.id == "forecast"
    return won


@pytest.mark.parametrize("bid, daily", [(3.5, None), (5.0, None), (3.5, 2.0), (5.0, 3.0)])
def test_the_forecast_wins_what_the_engine_gives_the_proposal_on_the_same_requests(
    bid: float, daily: float | None
) -> None:
    requests = sampled_requests()
    proposed = proposal(bid, daily)
    found = forecast(build_baseline(requests), proposed, TODAY, predict)
    assert found is not None
    # Fourteen flight days replay the fourteen sampled days once each.
    assert sorted(d.sampled_day for d in found.days) == [START + timedelta(days=n) for n in range(14)]
    truth = engine_replay(requests, proposed) * WEIGHT
    print(f"figures: bid {bid}, daily {daily}: forecast {found.impressions}, engine {truth:.0f}")
    assert found.impressions == pytest.approx(truth, rel=0.03)


def test_targeting_bid_and_cap_each_move_the_forecast() -> None:
    requests = sampled_requests()
    base = build_baseline(requests)
    open_ = forecast(base, proposal(3.5), TODAY, predict)
    assert open_ is not None and open_.impressions > 0
    narrower = {
        "country": Targeting(countries=frozenset({"IE"})),
        "device": Targeting(devices=frozenset({"tablet"})),
        "keyword": Targeting(keywords=frozenset({phrase("stoves")})),
    }
    for name, targeting in narrower.items():
        found = forecast(base, proposal(3.5, targeting=targeting), TODAY, predict)
        assert found is not None and 0 < found.impressions < open_.impressions * 0.5, name
        assert found.limits[0].limit is Limit.TARGETING, name
    nobody = forecast(
        base, proposal(3.5, targeting=Targeting(keywords=frozenset({phrase("unicorns")}))), TODAY, predict
    )
    assert nobody is not None and nobody.impressions == 0 and nobody.limits[0].limit is Limit.TARGETING
    assert "keywords match 0.0%" in nobody.limits[0].message
    capped = forecast(base, proposal(3.5, cap=FrequencyCap(1, "day")), TODAY, predict)
    assert capped is not None and capped.impressions < open_.impressions
    assert all(d.impressions <= d.reach for d in capped.days)  # one a day per person
    low = forecast(base, proposal(2.0), TODAY, predict)
    assert low is not None and low.impressions == 0 and low.limits[0].limit is Limit.BID
    assert "would win three in four" in low.limits[0].message
    high = forecast(base, proposal(5.0), TODAY, predict)
    assert high is not None and high.impressions > open_.impressions
    rivals = {r.line_item_id: r.won_share for r in high.rivals}
    assert rivals == {"li-a": 1.0, "li-b": 1.0}
    rivals = {r.line_item_id: r.won_share for r in open_.rivals}
    assert rivals["li-b"] == 0.0 and rivals["li-a"] == 1.0
    funded = forecast(base, proposal(5.0, daily=1.0), TODAY, predict)
    assert funded is not None and funded.limits[0].limit is Limit.BUDGET
    assert all(d.spend_micros <= 1_000_000 * 1.01 for d in funded.days)


def test_even_pacing_spends_the_day_across_the_day_as_the_engine_does() -> None:
    """The engine's controller and the forecast's even share differ in how, not how much."""
    requests = sampled_requests()
    proposed = proposal(5.0, 3.0, Pacing.EVEN)
    found = forecast(build_baseline(requests), proposed, TODAY, predict)
    assert found is not None
    truth = engine_replay(requests, proposed) * WEIGHT
    print(f"figures: even pacing: forecast {found.impressions}, engine {truth:.0f}")
    assert found.impressions == pytest.approx(truth, rel=0.1)
    assert found.limits[0].limit is Limit.BUDGET


def test_an_audience_reaches_only_its_members_who_consented() -> None:
    requests = sampled_requests()
    members = {f"h{n}": frozenset({"aud-campers"}) for n in range(40)}  # 40 of the 400 hashed users
    found = forecast(
        build_baseline(requests, segments=members),
        proposal(5.0, targeting=Targeting(audiences=frozenset({"aud-campers"}))),
        TODAY,
        predict,
    )
    assert found is not None
    served_to = {r.user_hash for r in requests if r.user_hash in members and r.consent}
    expected = sum(1 for r in requests if r.user_hash in members and r.consent) * WEIGHT
    assert found.impressions == pytest.approx(expected, rel=0.001)
    assert found.reach == pytest.approx(len(served_to) * WEIGHT)
    assert found.limits[0].limit is Limit.TARGETING and "your audiences match" in found.limits[0].message


def test_a_test_campaigns_held_out_users_are_shown_nothing() -> None:
    requests = sampled_requests()
    open_ = forecast(build_baseline(requests), proposal(5.0), TODAY, predict)
    tested = proposal(5.0)
    tested = replace(tested, campaign=replace(tested.campaign, holdout_percent=50))
    found = forecast(build_baseline(requests), tested, TODAY, predict)
    assert open_ is not None and found is not None
    known = sum(1 for r in requests if r.user_hash) * WEIGHT  # every request has a user: about half held out
    assert found.funnel.held_out == pytest.approx(known / 2, rel=0.15)
    assert found.impressions == open_.impressions - found.funnel.held_out
    assert found.limits[0].limit is Limit.HOLDOUT and "holds out" in found.limits[0].message


def test_a_rival_out_of_funds_bids_on_nothing() -> None:
    """An advertiser whose wallet is empty serves nothing live: nor in the baseline."""
    requests = sampled_requests()
    inv = inventory()
    broke = replace(inv, campaigns=inv.campaigns | {"c-a": replace(inv.campaigns["c-a"], funds_micros=5_000_000)})
    counters = MemoryCounters()
    counters.restore([], accounts=[("rival-a", 5_000_000)])  # all of it charged already
    built = baselines.build(
        broke,
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
    assert all(b.line_item_id != "li-a" for slots in built.slots.values() for s in slots for b in s.bids)
    found = forecast(built, proposal(2.0), TODAY, predict)
    assert found is not None and found.impressions > 0  # the slots li-a took are free now


def test_a_tie_in_ecpm_goes_where_the_engine_sends_it() -> None:
    """Two rivals bidding alike everywhere (a rate card): the engine gives every slot to the
    older line item (`auction.rank_key`). Each replaying itself wins what it won live; a new
    proposal at the same bid is the newest line item and loses every tie."""
    requests = sampled_requests()
    inv = inventory()
    twins = replace(
        inv,
        advertisers=inv.advertisers | {"rival-c": LiveAdvertiser("rival-c")},
        campaigns=inv.campaigns | {"c-c": campaign("c-c", "rival-c")},
        line_items=(line_item("li-a", "c-a", "rival-a", 3.0), line_item("li-c", "c-c", "rival-c", 3.0)),
    )
    built = build_baseline(requests, twins)
    live = {cid: sum(day.impressions.get(cid, 0) for day in built.placements.values()) for cid in ("c-a", "c-c")}
    assert live["c-a"] > 0 and live["c-c"] == 0

    def itself(lid: str) -> int:
        li = next(li for li in twins.line_items if li.id == lid)
        again = Proposal(li, twins.campaigns[li.campaign_id], twins.advertisers[li.advertiser_id], replaces=lid)
        fortnight = replace(again.campaign, end=datetime.combine(TODAY + timedelta(days=14), datetime.min.time(), TZ))
        found = forecast(built, replace(again, campaign=fortnight), TODAY, predict)  # each sampled day once
        assert found is not None
        return found.funnel.won  # scaled to all requests

    assert itself("li-a") == sum(len(slots) for slots in built.slots.values()) * WEIGHT == live["c-a"] * WEIGHT
    assert itself("li-c") == 0
    newest = forecast(built, proposal(3.0), TODAY, predict)
    assert newest is not None and newest.funnel.won == 0
