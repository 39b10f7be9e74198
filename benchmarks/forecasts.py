"""Forecasts: the baseline's replay and a forecast's answer over a 1% sample of a million
requests a day (issue 20: under a second).

A synthetic network (`shelfspace.sim.synthetic`, 1,000 line items over twenty placements,
loaded as the snapshot loader loads it) and fourteen days of sampled requests made as
`SampledRequest` objects directly: 10,000 a day (1% of 1,000,000; more or fewer by
weekday and hour as the simulator's shoppers come), each the body of `synthetic_request`
(one or two placements, a search of one to three words from the network's vocabulary, a
category, one of ten countries and three devices) read by the decision route's own
`to_request`; 90% from one of 10,000 sampled users (keyed hashes),
nine in ten of them with consent; the rest without a user id.

Measured, in-process:
(a) the baseline: every sampled request replayed through the engine (`baseline.build`),
    in seconds and per request, beside `Engine.decide` on the same requests and the same
    snapshot in the same run (the replay is a decision, plus what it records); then as the
    app builds it (`Forecaster.baseline`: the requests read back from `sampled_requests`,
    where they were written as the decision route's log writes them, the replay, the
    baseline kept out of garbage collections);
(b) forecasts of several proposals against that baseline (`Forecaster.forecast_proposal`,
    what `POST /v1/forecasts` runs once the proposal is validated): a broad banner line
    item, a narrow keyword one, a frequency-capped one, a CPC one and sponsored products;
    p50, p90, p99 and max over `runs` runs each.
Every request's context differs (words drawn from 2,000): the worst case for a forecast's
per-context cache of targeting.
Measured, never asserted.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.audiences.membership import AudienceIndex
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
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.replay_types import Proposal
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import RequestSampler, SampledRequest, user_hash
from shelfspace.sim.synthetic import VOCABULARY, seed_synthetic_network, synthetic_request
from shelfspace.sim.traffic import HOURLY_WEIGHTS, WEEKDAY_FACTORS

TZ = ZoneInfo("UTC")
ANYONE = Targeting()
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
        count = int(per_day * WEEKDAY_FACTORS[day.weekday()])
        for hour in rng.choices(range(24), weights=HOURLY_WEIGHTS, k=count):
            request = to_request(DecisionIn.model_validate(synthetic_request(rng)))
            known = rng.random() < KNOWN_USER_SHARE
            found.append(
                SampledRequest(
                    midnight + timedelta(hours=hour, seconds=rng.uniform(0, 3599)),
                    request.slots,
                    request.context,
                    known and rng.random() < CONSENT_SHARE,
                    rng.choice(users) if known else None,
                )
            )
    found.sort(key=lambda r: r.at)
    return found


def _network(line_items: int) -> tuple[sessionmaker[Session], Inventory]:
    """The synthetic network in a fresh SQLite database, and its live inventory today."""
    data_dir = Path(tempfile.mkdtemp(prefix="shelfspace-forecasts-"))
    engine = make_engine(Settings(data_dir=data_dir, database_url=None, redis_url=None).sqlalchemy_url())
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.combine(TODAY, datetime.min.time(), TZ)
    with session_scope(sessions) as db:
        seed_synthetic_network(db, line_items, now - timedelta(days=14))
    with session_scope(sessions) as db:
        inventory = load_inventory(db, now)
    return sessions, inventory


def _stored(sessions: sessionmaker[Session], requests: list[SampledRequest]) -> RequestLog:
    """The requests written to `sampled_requests` as the decision route's log writes them
    (each kept: they are the sample already), and a log reading them back as a 1% one."""
    now = datetime.combine(TODAY, datetime.min.time(), TZ)
    writer = RequestLog(sessions, RequestSampler(100, _pseudonym), TZ, lambda: now)
    for sampled in requests:  # the hash stands in for the user id (hashed once more: still one per user)
        writer.offer(replace(sampled.decision_request(), user_id=sampled.user_hash), sampled.at)
    writer.write_batch(now)
    return RequestLog(sessions, RequestSampler(SAMPLE_PERCENT, _pseudonym), TZ, lambda: now)


def _proposal(
    name: str,
    placements: tuple[str, ...],
    bid: float,
    pricing: Pricing = Pricing.CPM,
    targeting: Targeting = ANYONE,
    cap: FrequencyCap | None = None,
    products: tuple[str, ...] = (),
    daily: float | None = 500.0,
) -> Proposal:
    start = datetime.combine(TODAY, datetime.min.time(), TZ)
    campaign = LiveCampaign(
        f"c-{name}",
        "adv-bench",
        start,
        start + timedelta(days=14),
        100_000 * 1_000_000,
        int(daily * 1_000_000) if daily else None,
        Pacing.EVEN,
        0,
    )
    if products:
        creatives = tuple(LiveCreative(id=f"cr-{name}-{sku}", format="sponsored_product", sku=sku) for sku in products)
    else:
        formats = {p.split("-")[0]: "banner" if p.startswith("banner") else "native" for p in placements}
        creatives = tuple(
            LiveCreative(id=f"cr-{name}-{f}", format=fmt, size="300x250" if fmt == "banner" else None)
            for f, fmt in formats.items()
        )
    line_item = LiveLineItem(
        id="forecast",
        campaign_id=campaign.id,
        advertiser_id="adv-bench",
        pricing=pricing,
        bid_micros=int(bid * 1_000_000),
        placements=frozenset(placements),
        targeting=targeting,
        frequency_cap=cap,
        products=products,
        creatives=creatives,
    )
    return Proposal(line_item, campaign, LiveAdvertiser("adv-bench"))


def proposals(inventory: Inventory) -> dict[str, Proposal]:
    """The synthetic network's line items bid up to 20.00 per thousand: bids near the top
    win a share of the auctions (a lower one would forecast nothing, quickly)."""
    banners = tuple(f"banner-{i}" for i in range(4))
    skus = tuple(sorted(inventory.products)[:5])
    return {
        "broad: 4 banners, no targeting, CPM 19.50": _proposal("broad", banners, 19.5),
        "narrow: 2 keywords on 4 banners, CPM 20.00": _proposal(
            "narrow", banners, 20.0, targeting=Targeting(keywords=frozenset(phrase(w) for w in VOCABULARY[:2]))
        ),
        "capped: 2 a day per user, 4 banners, CPM 19.80": _proposal(
            "capped", banners, 19.8, cap=FrequencyCap(2, "day")
        ),
        "CPC 6.00 on 6 native": _proposal("cpc", tuple(f"native-{i}" for i in range(6)), 6.0, Pricing.CPC),
        "sponsored products: 5 SKUs on 6 searches, CPC 0.40": _proposal(
            "sp", tuple(f"search-{i}" for i in range(6)), 0.4, Pricing.CPC, products=skus
        ),
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


def forecast_benchmark(
    runs: int = 30, line_items: int = LINE_ITEMS, per_day: int = REQUESTS_PER_DAY * SAMPLE_PERCENT // 100
) -> list[Table]:
    made = time.perf_counter()
    sessions, inventory = _network(line_items)
    requests = sampled_requests(per_day)
    log = _stored(sessions, requests)
    setup = time.perf_counter() - made
    midnight = datetime.combine(TODAY, datetime.min.time(), TZ)
    start, end = baselines.window(TODAY, 14)
    since = datetime.combine(start, datetime.min.time(), TZ)
    counters = MemoryCounters()
    counters.restore([])
    ctr = SmoothedCtr(counters)
    weight = 100 / SAMPLE_PERCENT

    def build(sampled: list[SampledRequest]) -> baselines.Baseline:
        return baselines.build(
            inventory,
            sampled,
            version=1,
            built_at=midnight,
            weight=weight,
            tz=TZ,
            counters=counters,
            ctr=ctr,
            segments_by_hash={},
            start=start,
            end=end,
        )

    build(requests[:2000])  # warm
    started = time.perf_counter()
    replayed = build(requests).requests
    build_s = time.perf_counter() - started
    # The engine alone on the same requests and the same (scaled) snapshot, fresh counters.
    snapshot = compile_snapshot(
        baselines.scaled_inventory(inventory, weight, counters, TODAY, TZ, since), 1, midnight, TZ
    )
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
    del decisions
    # As the app does it: the forecaster reads the log, replays, and keeps the baseline.
    with session_scope(sessions) as db:
        started = time.perf_counter()
        log.read(db, since, midnight)
        read_s = time.perf_counter() - started
    forecaster = Forecaster(sessions, log, counters, AudienceIndex(), _pseudonym, SteppedClock(midnight), TZ)
    started = time.perf_counter()
    forecaster.baseline(TODAY)
    service_s = time.perf_counter() - started

    per_build = build_s / len(requests) * 1e6
    per_decide = decide / len(requests) * 1e6
    head = Table(
        title=f"Forecast baseline: {line_items:,} line items, 14 days of a {SAMPLE_PERCENT}% sample of "
        f"{REQUESTS_PER_DAY:,} requests a day ({len(requests):,} sampled requests, "
        f"{replayed:,} on the network's placements)"
    )
    for column in ("step", "seconds", "µs per sampled request", "vs Engine.decide"):
        head.add_column(column, justify="left" if column == "step" else "right")
    head.add_row(
        "baseline.build: the replay through the engine, rankings recorded",
        f"{build_s:.2f}",
        f"{per_build:.0f}",
        f"{per_build / per_decide:.2f}x",
    )
    head.add_row("Engine.decide alone, the same requests and snapshot", f"{decide:.2f}", f"{per_decide:.0f}", "1.00x")
    head.add_row("RequestLog.read: the 14 days from SQLite", f"{read_s:.2f}", f"{read_s / len(requests) * 1e6:.0f}", "")
    head.add_row(
        "Forecaster.baseline: read, replay, kept out of collections",
        f"{service_s:.2f}",
        f"{service_s / len(requests) * 1e6:.0f}",
        f"{service_s / len(requests) * 1e6 / per_decide:.2f}x",
    )
    head.add_row("setup: network seeded, requests made and stored", f"{setup:.1f}", "", "")

    table = Table(title=f"Forecasts against that baseline (Forecaster.forecast_proposal), {runs} runs each (ms)")
    for column in ("proposal", "p50", "p90", "p99", "max", "impressions forecast", "sampled slots walked"):
        table.add_column(column, justify="left" if column == "proposal" else "right")
    for name, proposal in proposals(inventory).items():
        answer = forecaster.forecast_proposal(proposal, TODAY)
        timings = _timed(lambda p=proposal: forecaster.forecast_proposal(p, TODAY), runs)  # type: ignore[misc]
        table.add_row(
            name,
            *(f"{timings.q(p) * 1000:.0f}" for p in (0.5, 0.9, 0.99)),
            f"{max(timings.samples) * 1000:.0f}",
            f"{answer.impressions:,}" if answer else "-",
            f"{round(answer.funnel.requests / weight):,}" if answer else "-",
        )
    return [head, table]


def main() -> None:
    from rich.console import Console

    console = Console(width=150)
    for table in forecast_benchmark():
        console.print(table)


if __name__ == "__main__":
    main()
