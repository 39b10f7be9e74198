"""Golden cases for the engine: YAML in, an `Inventory`, a clock, counters and a request out.

A case names only what matters to it; everything else has a plain default (a campaign
running all year with a large budget, asap pacing, one fitting creative per placement
format). See tests/golden/decisioning/README.md for the format.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from shelfspace.catalog.schemas import Targeting as TargetingIn
from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import BudgetLimits, Counters, PacingState
from shelfspace.decisioning.engine import Engine
from shelfspace.decisioning.index import Snapshot, compile_snapshot
from shelfspace.decisioning.inventory import (
    FrequencyCap,
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    LiveProduct,
    Pacing,
    Pricing,
    Targeting,
)
from shelfspace.decisioning.page_rules import cap_key
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.decisioning.text import product_words
from shelfspace.delivery.snapshot_loader import targeting_of

CASES = Path(__file__).parent.parent / "golden" / "decisioning"


def micros(value: Any) -> int:
    return int(Decimal(str(value)) * 1_000_000)


def when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def _creatives(spec: dict[str, Any], placements: dict[str, LivePlacement]) -> tuple[LiveCreative, ...]:
    if "creatives" in spec:
        return tuple(LiveCreative(**{"id": f"{spec['id']}-c{i}"} | c) for i, c in enumerate(spec["creatives"]))
    made: list[LiveCreative] = []
    for pid in spec["placements"]:
        placement = placements[pid]
        if placement.format == "sponsored_product":
            made += [
                LiveCreative(id=f"{spec['id']}-{sku}", format="sponsored_product", sku=sku)
                for sku in spec.get("products", [])
            ]
        elif not any(c.format == placement.format for c in made):
            size = placement.sizes[0] if placement.format == "banner" and placement.sizes else None
            made.append(
                LiveCreative(
                    id=f"{spec['id']}-{placement.format}",
                    format=placement.format,
                    size=size,
                    image_url="https://brand.example/ad.png",
                    click_url="https://brand.example/",
                    title="An ad",
                )
            )
    return tuple(made)


def _targeting(spec: dict[str, Any]) -> Targeting:
    """Through the API's own schema, so a case's targeting is normalised as a real one is."""
    return targeting_of(TargetingIn.model_validate(spec).model_dump())


@dataclass
class Case:
    name: str
    spec: dict[str, Any]
    snapshot: Snapshot
    engine: Engine
    counters: Counters
    request: DecisionRequest


class SegmentsFromCase:
    def __init__(self, segments: dict[str, list[str]]) -> None:
        self.segments = segments

    def segments_of(self, user_id: str) -> frozenset[str]:
        return frozenset(self.segments.get(user_id, []))


def load(path: Path, counters: Counters | None = None) -> Case:
    spec = yaml.safe_load(path.read_text())
    now = when(spec["now"])
    tz = ZoneInfo(spec.get("timezone", "UTC"))
    placements = {
        p["id"]: LivePlacement(
            p["id"],
            p.get("channel", "web"),
            p.get("format", "banner"),
            tuple(p.get("sizes", ["300x250"] if p.get("format", "banner") == "banner" else [])),
            micros(p.get("floor", 0)),
            p.get("max_ads", 1),
            frozenset(p.get("blocked_categories", [])),
        )
        for p in spec["placements"]
    }
    campaigns_spec = {c["id"]: c for c in spec.get("campaigns", [])}
    for li in spec["line_items"]:  # a line item without a campaign gets its own
        campaigns_spec.setdefault(
            li.get("campaign", f"c-{li['id']}"),
            {"id": li.get("campaign", f"c-{li['id']}"), "advertiser": li.get("advertiser", f"a-{li['id']}")},
        )
    advertisers_spec = {a["id"]: a for a in spec.get("advertisers", [])}
    funds = {a: micros(s["funds"]) for a, s in advertisers_spec.items() if s.get("funds") is not None}
    campaigns = {
        cid: LiveCampaign(
            cid,
            c.get("advertiser", f"a-{cid}"),
            when(c.get("start", now - timedelta(days=30))),
            when(c["end"]) if c.get("end") else None,
            micros(c.get("budget_total", 1_000_000)),
            micros(c["budget_daily"]) if c.get("budget_daily") is not None else None,
            Pacing(c.get("pacing", "asap")),
            c.get("holdout_percent", 0),
            funds.get(c.get("advertiser", f"a-{cid}")),
        )
        for cid, c in campaigns_spec.items()
    }
    advertisers = {
        c.advertiser_id: LiveAdvertiser(
            c.advertiser_id,
            advertisers_spec.get(c.advertiser_id, {}).get("category"),
            frozenset(advertisers_spec.get(c.advertiser_id, {}).get("competitors", [])),
        )
        for c in campaigns.values()
    }
    line_items = tuple(
        LiveLineItem(
            id=li["id"],
            campaign_id=li.get("campaign", f"c-{li['id']}"),
            advertiser_id=campaigns[li.get("campaign", f"c-{li['id']}")].advertiser_id,
            pricing=Pricing(li.get("pricing", "cpm")),
            bid_micros=micros(li["bid"]),
            placements=frozenset(li["placements"]),
            targeting=_targeting(li.get("targeting", {})),
            frequency_cap=FrequencyCap(li["frequency_cap"]["count"], li["frequency_cap"]["period"])
            if li.get("frequency_cap")
            else None,
            products=tuple(li.get("products", [])),
            creatives=_creatives(li, placements),
        )
        for li in spec["line_items"]
    )
    products = {
        p["sku"]: LiveProduct(
            p["sku"],
            p["title"],
            p.get("brand"),
            p.get("category"),
            None,
            None,
            None,
            product_words(p["title"], p.get("brand"), p.get("category")),
        )
        for p in spec.get("products", [])
        if p.get("available", True)
    }
    inventory = Inventory(placements, advertisers, campaigns, line_items, products)
    snapshot = compile_snapshot(inventory, 1, now, tz)
    counters = counters if counters is not None else MemoryCounters()
    _seed_state(counters, spec.get("state", {}), snapshot, campaigns, now, tz)
    engine = Engine(
        counters,
        FixedClock(now),
        audiences=SegmentsFromCase(spec.get("segments", {})),
        rng=random.Random(spec.get("seed", 7)),
    )
    r = spec["request"]
    request = DecisionRequest(
        slots=tuple(SlotRequest(p["id"], p.get("count", 1)) for p in r["placements"]),
        context=Context(**{k: tuple(v) if isinstance(v, list) else v for k, v in r.get("context", {}).items()}),
        user_id=r.get("user"),
        consent=r.get("consent", True),
        debug=True,
    )
    return Case(path.stem, spec, snapshot, engine, counters, request)


def _seed_state(
    counters: Counters,
    state: dict[str, Any],
    snapshot: Snapshot,
    campaigns: dict[str, LiveCampaign],
    now: datetime,
    tz: ZoneInfo,
) -> None:
    day = now.astimezone(tz).date().isoformat()
    for cid, spent in state.get("spent", {}).items():
        campaign = campaigns[cid]
        # Seeded as charged, whatever the funds: the advertiser's account counts them too.
        limits = BudgetLimits(
            cid, day, campaign.budget_total_micros, campaign.budget_daily_micros, campaign.advertiser_id
        )
        earlier = BudgetLimits(cid, "earlier", campaign.budget_total_micros, None, campaign.advertiser_id)
        today = micros(spent.get("day", 0))
        counters.settle(None, limits, today)
        counters.settle(None, earlier, micros(spent.get("total", 0)) - today)
    for cap in state.get("frequency", []):
        line_item = next(
            c for index in snapshot.placements.values() for c in index.candidates if c.id == cap["line_item"]
        )
        assert line_item.line_item.frequency_cap is not None
        key = cap_key(line_item.id, line_item.line_item.frequency_cap, now.astimezone(tz))
        for _ in range(cap["count"]):
            counters.count_frequency(cap["user"], key, now.timestamp() + 86400)
    for stat in state.get("ctr", []):
        counters.count_ctr(stat["creative"], stat["placement"], stat["impressions"], stat["clicks"])
    for cid, pacing in state.get("pacing", {}).items():
        counters.set_pacing(
            cid,
            PacingState(
                pacing["pass_rate"],
                now.timestamp() - pacing.get("seconds_ago", 5),
                day,
                micros(pacing.get("used_at_update", 0)),
            ),
        )
