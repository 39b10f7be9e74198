"""`shelfspace demo --data complete-journey`: the network built from real baskets, replayed.

In order: read the window's data (`sim/journey_window.py`), seed the network
(`sim/journey_network.py`), its promotion weeks (`sim/journey_promotions.py`) and its
segments (`sim/journey_audiences.py`), replay the baskets with ads on top
(`sim/journey_replay.py`), then print what happened: the replay's tally, the test
campaign's truth against its measurement (`sim/truth.py`, as the synthetic demo prints it)
and the segments' sizes. The command then serves the network as it serves the synthetic one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.console import Console
from sqlalchemy import Engine, select

from shelfspace.catalog.models import Campaign
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim import journey_data
from shelfspace.sim.demo_network import audience_sizes
from shelfspace.sim.journey_audiences import seed_segments, segment_plans
from shelfspace.sim.journey_network import JourneyNetwork, group_brands, seed_journey_network
from shelfspace.sim.journey_promotions import promotion_weeks
from shelfspace.sim.journey_replay import JourneyTally, TestEffect, replay_journey
from shelfspace.sim.journey_window import WINDOW_WEEKS, JourneyData, Window, default_window, load
from shelfspace.sim.progress import replay_progress
from shelfspace.sim.truth import TruthCheck, check_test_campaigns


@dataclass(frozen=True, slots=True)
class JourneyRun:
    """What the journey demo built and replayed, for the command and the tests."""

    data: JourneyData
    network: JourneyNetwork
    test_campaign_id: str
    replay: JourneyTally
    truth: list[TruthCheck]
    audiences: list[tuple[str, int]]
    seconds: dict[str, float]  # the phases' wall-clock times: read, seed, replay


def seed_journey(settings: Settings, engine: Engine, data: JourneyData) -> tuple[JourneyNetwork, str, int]:
    """Seed the network, its promotion weeks and its segments; returns the network, the
    test campaign's id and how many promotion weeks became campaigns."""
    brands = group_brands(data)
    anchor = data.moved(data.window.end)  # the window's end, a midnight: campaigns' dates count from it
    weeks = promotion_weeks(data, brands)
    with session_scope(make_sessionmaker(engine)) as db:
        network = seed_journey_network(
            db, data, brands, anchor, data.until, [(w.brand, w.plan(anchor), w.skus) for w in weeks]
        )
        seed_segments(db, segment_plans(data))
        test_id = db.scalars(select(Campaign.id).where(Campaign.is_test)).one()
    return network, test_id, len(weeks)


def run_journey_demo(
    settings: Settings,
    engine: Engine,
    operator_key: str,
    console: Console,
    window: Window | None = None,
    until: datetime | None = None,
    seed: int = 7,
) -> JourneyRun:
    """Build the network from the window (default: the last `WINDOW_WEEKS` weeks of
    `journey_window.DATA_WINDOW_END`) moved to end at `until` (default: now), replay it
    and print the summary. Raises `JourneyDataMissing` without the data package, and
    `DemoAlreadySeeded` on a database that holds a network."""
    if not journey_data.installed():
        raise journey_data.JourneyDataMissing()
    window = window or default_window(WINDOW_WEEKS)
    until = until or datetime.now(UTC)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    data = load(window, until)
    seconds["read"] = time.monotonic() - started
    console.print(
        f"read the Complete Journey's {window.first_day:%d %b} to {window.end - timedelta(days=1):%d %b %Y} ({window.days} days, moved to "
        f"end today): {len({line.basket_id for line in data.lines}):,} baskets of {len(data.households):,} households, "
        f"{len(data.products):,} products, {len(data.promotions):,} display and mailer rows "
        f"in {seconds['read']:.0f} s"
    )
    started = time.monotonic()
    network, test_id, weeks = seed_journey(settings, engine, data)
    seconds["seed"] = time.monotonic() - started
    console.print(
        f"seeded the network: {len(network.placement_ids)} placements, {network.products:,} products, "
        f"{len(network.advertiser_ids)} advertisers ({', '.join(b.name for b in network.brands)}), "
        f"{network.campaigns} campaigns ({weeks} of them display and mailer weeks), {network.line_items} line items, "
        f"{network.creatives} creatives in {seconds['seed']:.0f} s"
    )
    effect = TestEffect(test_id, network.test_brand.brand)
    started = time.monotonic()
    with replay_progress(console, f"replaying {window.days} days of baskets") as on_progress:
        replay = replay_journey(settings, engine, operator_key, data, effect, seed, on_progress)
    seconds["replay"] = time.monotonic() - started
    console.print(
        f"replayed {replay.baskets:,} baskets (${replay.paid_cents / 100:,.2f} paid) in {seconds['replay']:.0f} s: "
        f"{replay.tally.summary()}"
    )
    console.print(
        f"injected effect: {len(replay.exposed):,} households saw {network.test_brand.name}'s test ads; each of "
        f"their later baskets brought an extra order of its products with probability {effect.probability:.0%}: "
        f"{replay.extra_orders:,} extra orders"
    )
    truth = check_test_campaigns(settings, engine, replay.tally, until)
    for check in truth:
        console.print(f"test campaign {check.line()}")
    with session_scope(make_sessionmaker(engine)) as db:
        sizes = audience_sizes(db)
    console.print("audiences: " + ", ".join(f"{name} {size:,} households" for name, size in sizes))
    return JourneyRun(data, network, test_id, replay, truth, sizes, seconds)
