"""Even pacing over a simulated day: ten campaigns end within 5% of their daily budgets,
and none ever goes over, while traffic swells in the evening and dies down at night."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import RESERVATION_SECONDS, BudgetLimits, Hold
from shelfspace.decisioning.engine import Engine, EngineSettings
from shelfspace.decisioning.index import compile_snapshot
from shelfspace.decisioning.inventory import (
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    Pacing,
    Pricing,
)
from shelfspace.decisioning.request import DecisionRequest, SlotRequest
from tests.decisioning.golden import FixedClock

DAY = datetime(2026, 12, 1, tzinfo=UTC)
# Share of the day's requests in each hour: quiet at night, a lunch bump, an evening peak.
HOURLY_TRAFFIC = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 9, 11, 12, 10, 6, 3]
REQUESTS = 24_000
RENDER_RATE = 0.9  # the share of served ads whose impression arrives (the rest expire)


def request_times(rng: random.Random) -> list[datetime]:
    hours = rng.choices(range(24), weights=HOURLY_TRAFFIC, k=REQUESTS)
    return sorted(DAY + timedelta(hours=h, seconds=rng.uniform(0, 3600)) for h in hours)


def test_ten_even_campaigns_spend_their_daily_budgets_within_five_percent() -> None:
    rng = random.Random(2026)
    placement = LivePlacement("feed", "web", "native", (), 2_000_000, 10)
    campaigns = {
        f"c{i}": LiveCampaign(
            f"c{i}",
            f"a{i}",
            DAY - timedelta(days=3),
            DAY + timedelta(days=30),
            1_000_000_000,
            (10 + 2 * i) * 1_000_000,
            Pacing.EVEN,
            0,
        )
        for i in range(10)
    }
    line_items = tuple(
        LiveLineItem(
            id=f"li{i}",
            campaign_id=f"c{i}",
            advertiser_id=f"a{i}",
            pricing=Pricing.CPM,
            bid_micros=(3 + i) * 1_000_000,
            placements=frozenset({"feed"}),
            creatives=(LiveCreative(id=f"cr{i}", format="native", title="Ad"),),
        )
        for i in range(10)
    )
    inventory = Inventory(
        {"feed": placement}, {f"a{i}": LiveAdvertiser(f"a{i}") for i in range(10)}, campaigns, line_items, {}
    )
    snapshot = compile_snapshot(inventory, 1, DAY, ZoneInfo("UTC"))
    counters = MemoryCounters()
    clock = FixedClock(DAY)
    engine = Engine(counters, clock, rng=random.Random(7), settings=EngineSettings(pacing_interval_seconds=60))
    request = DecisionRequest(slots=(SlotRequest("feed", 10),))
    noon: dict[str, int] = {}
    nominal = {cid: 0 for cid in campaigns}
    charged = {cid: 0 for cid in campaigns}

    for moment in request_times(rng):
        if moment.hour >= 12 and not noon:
            noon = {cid: counters.budget_use(cid, DAY.date().isoformat()).spent_day for cid in campaigns}
        clock.current = moment
        counters.release_expired(moment.timestamp())
        for ad in engine.decide(snapshot, request).ads["feed"]:
            if rng.random() > RENDER_RATE:
                continue  # never rendered: its reservation expires
            campaign = ad.candidate.campaign
            limits = BudgetLimits(
                campaign.id, ad.budget_day, campaign.budget_total_micros, campaign.budget_daily_micros
            )
            cost = ad.price_micros // 1000
            nominal[campaign.id] += cost
            held = Hold(
                ad.ad_id, campaign.id, ad.budget_day, ad.reserved_micros, moment.timestamp() + RESERVATION_SECONDS
            )
            charged[campaign.id] += counters.settle(held, limits, cost)

    for cid, campaign in campaigns.items():
        daily = campaign.budget_daily_micros or 0
        spent = counters.budget_use(cid, DAY.date().isoformat()).spent_day
        assert spent <= daily, f"{cid} overspent: {spent} > {daily}"
        assert charged[cid] == nominal[cid], f"{cid}: an impression was served that the budget could not pay for"
        assert spent >= 0.95 * daily, f"{cid} underspent: {spent / daily:.1%} of its daily budget"
        # Even, not merely complete: half the day has gone by noon, give or take.
        assert 0.35 <= noon[cid] / daily <= 0.65, f"{cid} had spent {noon[cid] / daily:.0%} by noon"
