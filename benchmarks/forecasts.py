"""Forecasts: the baseline's replay and a forecast's answer over a 1% sample of a million
requests a day (issue 20: under a second).

A synthetic network (`shelfspace.sim.synthetic`, 1,000 line items over twenty placements,
loaded as the snapshot loader loads it) and fourteen days of sampled requests made as
`SampledRequest` objects directly: 10,000 a day (1% of 1,000,000; a quarter more at
weekends), their hours following the simulator's daily curve, each the body of
`synthetic_request` (one or two placements, a search of one to three words from the
network's vocabulary, a category, one of ten countries and three devices) read by the
decision route's own `to_request`; 90% from one of 10,000 sampled users (keyed hashes),
nine in ten of them with consent; the rest without a user id.

Measured, in-process:
(a) the baseline: every sampled request replayed through the engine (`baseline.build`),
    in seconds and per request, beside `Engine.decide` on the same requests and the
    same snapshot in the same run (the replay is a decision, plus what it records);
(b) forecasts of several proposals against that baseline (`replay.forecast`): a broad
    banner line item, a narrow keyword one, a frequency-capped one, a CPC one and
    sponsored products; p50, p90, p99 and max over `runs` runs each.
Measured, never asserted.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.table import Table

from shelfspace.config import Settings
from shelfspace.core.clock import SteppedClock
from shelfspace.counters.memory import MemoryCounters
from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import upgrade
from shelfspace.db.session import make_sessionmaker, session_scope
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
    Pacing,
    Pricing,
    Targeting,
)
from shelfspace.decisioning.text import phrase
from shelfspace.delivery.api import to_request
from shelfspace.delivery.schemas import DecisionIn
from shelfspace.delivery.snapshot_loader import load_inventory
from shelfspace.forecasting import baseline as baselines
from shelfspace.forecasting.replay import Proposal, forecast
from shelfspace.forecasting.sample import SampledRequest, user_hash
from shelfspace.sim.synthetic import VOCABULARY, seed_synthetic_network, synthetic_request
from shelfspace.sim.traffic import HOURLY_WEIGHTS, WEEKEND_FACTOR

TZ = ZoneInfo("UTC")
TODAY = date(2026, 11, 30)  # a Monday: the baseline is the fourteen days before
REQUESTS_PER_DAY = 1_000_000
SAMPLE_PERCENT = 1
SAMPLED_USERS = 10_000  # 1% of a million shoppers
KNOWN_USER_SHARE = 0.9
CONSENT_SHARE = 0.9
LINE_ITEMS = 1_000
KEY = b"benchmark-sample-key"


def _pseudonym(text: str) -> str:
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


def sampled_requests(per_day: int, seed: int = 20) -> list[SampledRequest]:
    """Fourteen days of sampled requests, in time order."""
    rng = random.Random(seed)
    users = [user_hash(_pseudonym, f"u{n}") for n in range(SAMPLED_USERS)]
    start, _ = baselines.window(TODAY, 14)
    found: list[SampledRequest] = []
    for n in range(14):
        day = start + timedelta(days=n)
        midnight = datetime.combine(day, datetime.min.time(), TZ)
        count = int(per_day * (WEEKEND_FACTOR if day.weekday() >= 5 else 1))
        for hour in rng.choices(range(24), weights=HOURLY_WEIGHTS, k=count):
            request = to_request(DecisionIn.model_validate(synthetic_request(rng)))
            known = rng.random() < KNOWN_USER_SHARE
            found.append(SampledRequest(midnight + timedelta(hours=hour, seconds=rng.uniform(0, 3599)), request.slots,
                                        request.context, known and rng.random() < CONSENT_SHARE,
                                        rng.choice(users) if known else None))
    found.sort(key=lambda r: r.at)
    return found


def _inventory(line_items: int) -> Inventory:
    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-forecasts-"))
    engine = make_engine(Settings(data_dir=data_dir, database_url=None, redis_url=None).sqlalchemy_url())
    upgrade(engine)
    now = datetime.combine(TODAY, datetime.min.time(), TZ)
    with session_scope(make_sessionmaker(engine)) as db:
        seed_synthetic_network(db, line_items, now - timedelta(days=14))
    with session_scope(make_sessionmaker(engine)) as db:
        inventory = load_inventory(db, now)
    engine.dispose()
    return inventory


def _proposal(name: str, placements: tuple[str, ...], bid: float, pricing: Pricing = Pricing.CPM,
              targeting: Targeting = Targeting(), cap: FrequencyCap | None = None,
              products: tuple[str, ...] = (), daily: float | None = 500.0) -> Proposal:
    start = datetime.combine(TODAY, datetime.min.time(), TZ)
    campaign = LiveCampaign(f"c-{name}", "adv-bench", start, start + timedelta(days=14), 100_000 * 1_000_000,
                            int(daily * 1_000_000) if daily else None, Pacing.EVEN, 0)
    if products:
        creatives = tuple(LiveCreative(f"cr-{name}-{sku}", "sponsored_product", sku=sku) for sku in products)
    else:
        formats = {p.split("-")[0]: "banner" if p.startswith("banner") else "native" for p in placements}
        creatives = tuple(LiveCreative(f"cr-{name}-{f}", fmt, size="300x250" if fmt == "banner" else None)
                          for f, fmt in formats.items())
    line_item = LiveLineItem("forecast", campaign.id, "adv-bench", pricing, int(bid * 1_000_000), frozenset(placements),
                             targeting, cap, products, creatives)
    return Proposal(line_item, campaign, LiveAdvertiser("adv-bench"))


def proposals(inventory: Inventory) -> dict[str, Proposal]:
    banners = tuple(f"banner-{i}" for i in range(4))
    skus = tuple(sorted(inventory.products)[:5])
    return {
        "broad: 4 banners, no targeting, CPM 5.00": _proposal("broad", banners, 5.0),
        "narrow: 2 keywords on 4 banners, CPM 8.00": _proposal(
            "narrow", banners, 8.0, targeting=Targeting(keywords=frozenset(phrase(w) for w in VOCABULARY[:2]))),
        "capped: 2 a day per user, 4 banners, CPM 6.00": _proposal("capped", banners, 6.0,
                                                                   cap=FrequencyCap(2, "day")),
        "CPC 0.60 on 6 native": _proposal("cpc", tuple(f"native-{i}" for i in range(6)), 0.6, Pricing.CPC),
        "sponsored products: 5 SKUs on 6 searches, CPC 0.40": _proposal(
            "sp", tuple(f"search-{i}" for i in range(6)), 0.4, Pricing.CPC, products=skus),
    }


@dataclass(frozen=True, slots=True)
class Timings:
    samples: list[float]  # seconds

    def q(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _timed(call: Callable[[], object], runs: int) -> Timings:
    call()  # warm
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return Timings(samples)


def forecast_benchmark(runs: int = 30, line_items: int = LINE_ITEMS,
                       per_day: int = REQUESTS_PER_DAY * SAMPLE_PERCENT // 100) -> list[Table]:
    made = time.perf_counter()
    inventory = _inventory(line_items)
    requests = sampled_requests(per_day)
    setup = time.perf_counter() - made
    built_at = datetime.combine(TODAY, datetime.min.time(), TZ)
    start, end = baselines.window(TODAY, 14)
    counters = MemoryCounters()
    counters.restore([])
    ctr = SmoothedCtr(counters)

    def build() -> baselines.Baseline:
        return baselines.build(inventory, requests, version=1, built_at=built_at, weight=100 / SAMPLE_PERCENT, tz=TZ,
                               counters=counters, ctr=ctr, segments_by_hash={}, start=start, end=end)

    builds = [0.0, 0.0]
    baseline = build()  # warm
    for n in range(2):
        started = time.perf_counter()
        baseline = build()
        builds[n] = time.perf_counter() - started
    # The engine alone on the same requests and the same (scaled) snapshot, fresh counters.
    since = datetime.combine(start, datetime.min.time(), TZ)
    scaled = baselines.scaled_inventory(inventory, 100 / SAMPLE_PERCENT, counters, TODAY, TZ, since)
    snapshot = compile_snapshot(scaled, 1, built_at, TZ)
    decide_counters = MemoryCounters()
    decide_counters.restore([])
    clock = SteppedClock(since)
    engine = Engine(decide_counters, clock, ctr=ctr, rng=random.Random(1))
    decisions = [r.decision_request() for r in requests]
    started = time.perf_counter()
    for sampled, request in zip(requests, decisions, strict=True):
        clock.advance_to(sampled.at)
        engine.decide(snapshot, request)
    decide = time.perf_counter() - started

    build_s = min(builds)
    per_build = build_s / len(requests) * 1e6
    per_decide = decide / len(requests) * 1e6
    head = Table(title=f"Forecast baseline: {line_items:,} line items, 14 days of a {SAMPLE_PERCENT}% sample of "
                       f"{REQUESTS_PER_DAY:,} requests a day ({len(requests):,} sampled requests, "
                       f"{baseline.requests:,} on the network's placements)")
    for column in ("step", "seconds", "µs per sampled request", "vs Engine.decide"):
        head.add_column(column, justify="left" if column == "step" else "right")
    head.add_row("baseline.build (replay through the engine, recording rankings)", f"{build_s:.2f}",
                 f"{per_build:.0f}", f"{per_build / per_decide:.2f}x")
    head.add_row("Engine.decide alone, same requests and snapshot", f"{decide:.2f}", f"{per_decide:.0f}", "1.00x")
    head.add_row("setup: network seeded and loaded, requests made", f"{setup:.1f}", "", "")

    table = Table(title=f"Forecasts against that baseline, {runs} runs each (ms)")
    for column in ("proposal", "p50", "p90", "p99", "max", "impressions", "slots on its placements"):
        table.add_column(column, justify="left" if column == "proposal" else "right")
    for name, proposal in proposals(inventory).items():
        answer = forecast(baseline, proposal, TODAY, ctr.predict)
        timings = _timed(lambda p=proposal: forecast(baseline, p, TODAY, ctr.predict), runs)  # type: ignore[misc]
        table.add_row(name, *(f"{timings.q(p) * 1000:.0f}" for p in (0.5, 0.9, 0.99)),
                      f"{max(timings.samples) * 1000:.0f}",
                      f"{answer.impressions:,}" if answer else "-", f"{answer.funnel.requests:,}" if answer else "-")
    return [head, table]


def main() -> None:
    from rich.console import Console

    console = Console(width=150)
    for table in forecast_benchmark():
        console.print(table)


if __name__ == "__main__":
    main()
