"""The baseline: the last days' sampled requests run again through the engine, as the live
line items would serve them now.

A forecast asks what one more line item would win. Its answer depends on what it
competes against on each request: the bids of the live line items, shaped by their
budgets, pacing and caps through the day. The baseline records exactly that, once, by
replaying every sampled request in time order through the real `Engine` on a clock the
replay moves, with counters of its own (nothing live is touched), the live line items as
the catalogue has them now and their budgets scaled to the sample (a 10% sample gets a
tenth of each daily budget, so a budget runs out at the same hour it would with all the
traffic). The engine keeps each placement's ranking (`EngineSettings.record_ranking`): the
winners and the bid that priced them, which is what a proposed line item must beat.

The replay is the expensive part (the engine's speed per sampled request) and is shared
by every forecast until the catalogue changes; a forecast itself only walks the recorded
slots (`replay.py`).

Live campaigns replay as if running through the whole window (a campaign that started
yesterday still competes on the requests of ten days ago): the baseline answers "what
would they do on a day like that", and each campaign's own dates are applied when days
are projected forward (`inventory_forecast.py`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shelfspace.core.clock import SteppedClock
from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import Counters, Hold
from shelfspace.decisioning.ctr import CtrModel
from shelfspace.decisioning.engine import Engine, EngineSettings, RankedBid
from shelfspace.decisioning.index import compile_snapshot
from shelfspace.decisioning.inventory import Inventory, LiveCampaign
from shelfspace.decisioning.request import DecisionRequest, Matchable
from shelfspace.forecasting.sample import SampledRequest

NEVER_BINDS = 10**15  # micros: a total budget the replay never reaches (days are projected apart)
SEED = 20  # the replay's random source (even pacing draws from it): the same baseline every build


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotOutcome:
    """One sampled request's slot on one placement, as the live line items ran it."""

    at: float  # epoch seconds
    user_hash: str | None
    consent: bool
    context: int  # index into Baseline.contexts: requests that read alike share one
    placement_id: str
    count: int  # slots asked for, within the placement's most ads
    floor_micros: int  # the placement's floor, or the request's own if higher
    bids: tuple[RankedBid, ...]  # the winners and the bid just below them, highest first
    page_advertisers: frozenset[str]  # advertisers served on earlier slots of the same request
    page_skus: frozenset[str]


@dataclass(slots=True)
class PlacementDay:
    """One placement on one sampled day: slots asked for, and what each campaign took."""

    requests: int = 0
    slots: int = 0
    impressions: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # campaign id -> ads
    spend_micros: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # campaign id -> expected cost


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    version: int  # the catalogue version replayed
    built_at: datetime
    weight: float  # real requests per sampled request
    timezone: ZoneInfo
    start: date  # the first and last local days replayed
    end: date
    slots: dict[tuple[date, str], list[SlotOutcome]]  # (local day, placement) -> its slots in time order
    contexts: list[Matchable]  # each distinct request context, as the targeting indexes read it
    placements: dict[tuple[date, str], PlacementDay]
    inventory: Inventory  # the live inventory replayed (unscaled)
    requests: int  # sampled requests replayed

    @property
    def day_count(self) -> int:
        return (self.end - self.start).days + 1

    def sampled_days(self, placement_ids: Iterable[str]) -> list[date]:
        """The replayed days with at least one sampled request on these placements."""
        wanted = set(placement_ids)
        return sorted({day for day, pid in self.slots if pid in wanted})


class HashedAudiences:
    """The engine's audience lookup for hashed users: each segment's members hashed with
    the sample's key, so today's audiences apply to the requests of the last weeks."""

    def __init__(self, by_hash: Mapping[str, frozenset[str]]) -> None:
        self._by_hash = by_hash

    def segments_of(self, user_id: str) -> frozenset[str]:
        return self._by_hash.get(user_id, frozenset())


def daily_equivalent(campaign: LiveCampaign, spent_total: int, today: date, tz: ZoneInfo) -> int:
    """What the campaign may spend on a day: its daily budget; without one, what is left
    spread over the days left (even pacing's target), or all that is left."""
    if campaign.budget_daily_micros is not None:
        return campaign.budget_daily_micros
    left = max(0, campaign.budget_total_micros - spent_total)
    if campaign.end is None:
        return left
    days_left = max(1, (campaign.end.astimezone(tz).date() - today).days + 1)
    return left // days_left


def scaled_inventory(
    inventory: Inventory, weight: float, counters: Counters, today: date, tz: ZoneInfo, since: datetime
) -> Inventory:
    """The live inventory with each campaign's day scaled to the sample and its dates
    opened over the replayed window; a day never more than its advertiser's funds left
    (each campaign alone: an advertiser's campaigns sharing a wallet may together take more)."""
    campaigns = {}
    for cid, campaign in inventory.campaigns.items():
        spent = counters.budget_use(cid, today.isoformat()).spent_total
        daily = daily_equivalent(campaign, spent, today, tz)
        if campaign.funds_micros is not None:  # an advertiser out of funds bids on nothing
            daily = min(daily, counters.account_use(campaign.advertiser_id).left(campaign.funds_micros))
        if daily / weight >= 1:
            campaigns[cid] = replace(
                campaign,
                start=since,
                end=None,
                budget_total_micros=NEVER_BINDS,
                budget_daily_micros=int(daily / weight),
                funds_micros=None,
            )
    line_items = tuple(li for li in inventory.line_items if li.campaign_id in campaigns)
    return replace(inventory, campaigns=campaigns, line_items=line_items)


def build(
    inventory: Inventory,
    requests: Iterable[SampledRequest],
    *,
    version: int,
    built_at: datetime,
    weight: float,
    tz: ZoneInfo,
    counters: Counters,
    ctr: CtrModel,
    segments_by_hash: Mapping[str, frozenset[str]],
    start: date,
    end: date,
) -> Baseline:
    """Replay `requests` (time order, local days `start` to `end`) through the engine."""
    since = datetime.combine(start, datetime.min.time(), tz)
    scaled = scaled_inventory(inventory, weight, counters, built_at.astimezone(tz).date(), tz, since)
    snapshot = compile_snapshot(scaled, version, built_at, tz)
    clock = SteppedClock(since)
    replay_counters = MemoryCounters()
    replay_counters.restore([])
    audiences = HashedAudiences(segments_by_hash)
    engine = Engine(
        replay_counters,
        clock,
        ctr=ctr,
        audiences=audiences,
        rng=random.Random(SEED),
        settings=EngineSettings(record_ranking=True),
    )
    slots_of: dict[tuple[date, str], list[SlotOutcome]] = defaultdict(list)
    placements: dict[tuple[date, str], PlacementDay] = defaultdict(PlacementDay)
    contexts: list[Matchable] = []
    context_of: dict[tuple[object, ...], int] = {}
    replayed = 0
    for sampled in requests:
        slots = tuple(s for s in sampled.slots if s.placement_id in snapshot.placements)
        if not slots:
            continue
        clock.advance_to(sampled.at)
        request = replace(sampled.decision_request(), slots=slots)
        local = sampled.at.astimezone(tz)
        decision = engine.decide(snapshot, request)
        _settle(replay_counters, scaled, decision.ads.values())
        replayed += 1
        segments = audiences.segments_of(sampled.user_hash) if sampled.user_hash and sampled.consent else frozenset()
        context = _context_index(request, segments, local, contexts, context_of)
        page_advertisers: set[str] = set()
        page_skus: set[str] = set()
        day = local.date()
        for slot in slots:
            index = snapshot.placements[slot.placement_id]
            count = min(slot.count, index.placement.max_ads)
            slots_of[(day, slot.placement_id)].append(
                SlotOutcome(
                    at=sampled.at.timestamp(),
                    user_hash=sampled.user_hash,
                    consent=sampled.consent,
                    context=context,
                    placement_id=slot.placement_id,
                    count=count,
                    floor_micros=max(index.placement.floor_micros, slot.floor_micros),
                    bids=decision.ranked.get(slot.placement_id, ()),
                    page_advertisers=frozenset(page_advertisers),
                    page_skus=frozenset(page_skus),
                )
            )
            tally = placements[(day, slot.placement_id)]
            tally.requests += 1
            tally.slots += count
            for ad in decision.ads.get(slot.placement_id, ()):
                campaign_id = ad.candidate.campaign.id
                tally.impressions[campaign_id] += 1
                tally.spend_micros[campaign_id] += ad.reserved_micros
                page_advertisers.add(ad.candidate.advertiser.id)
                if ad.product is not None:
                    page_skus.add(ad.product.sku)
    return Baseline(
        version=version,
        built_at=built_at,
        weight=weight,
        timezone=tz,
        start=start,
        end=end,
        slots=dict(slots_of),
        contexts=contexts,
        placements=dict(placements),
        inventory=inventory,
        requests=replayed,
    )


def _settle(counters: MemoryCounters, inventory: Inventory, served: Iterable[list]) -> None:  # type: ignore[type-arg]
    """Each served ad is charged what it was expected to cost: the replay has no events to
    wait for, and a reservation left to lapse would hand its budget back."""
    for ads in served:
        for ad in ads:
            limits = inventory.campaigns[ad.candidate.campaign.id].limits(ad.budget_day)
            counters.settle(
                Hold(ad.ad_id, limits.campaign_id, ad.budget_day, ad.reserved_micros, 0.0), limits, ad.reserved_micros
            )


def _context_index(
    request: DecisionRequest,
    segments: frozenset[str],
    local: datetime,
    contexts: list[Matchable],
    context_of: dict[tuple[object, ...], int],
) -> int:
    """The request's context, numbered: requests that match targeting alike share a number,
    so a forecast matches each distinct context once."""
    ctx = request.context
    key = (
        ctx.keywords,
        ctx.category,
        ctx.query,
        ctx.skus,
        ctx.device,
        ctx.country,
        request.consent,
        request.user_id is not None,
        segments,
    )
    found = context_of.get(key)
    if found is None:
        found = context_of[key] = len(contexts)
        contexts.append(Matchable.of(request, segments, local))
    return found


def window(today: date, days: int) -> tuple[date, date]:
    """The local days a baseline replays: the `days` whole days before `today`."""
    return today - timedelta(days=days), today - timedelta(days=1)


def hashed_segments(visible: Mapping[str, frozenset[str]], hash_of: Callable[[str], str]) -> dict[str, frozenset[str]]:
    """Each user's targetable segments, keyed by the user's hash in the sample."""
    return {hash_of(user): segments for user, segments in visible.items() if segments}
