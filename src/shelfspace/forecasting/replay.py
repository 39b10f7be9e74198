"""A proposed line item replayed against the baseline: what it would win, day by day.

For each sampled slot on the proposal's placements (`baseline.py` recorded how the live
line items ran it), in the order the engine would decide:

1. targeting: the proposal's own compiled index (`compile_snapshot`, the engine's bitmaps)
   matches the request's context; its day-parts, the placement's blocked categories and
   competitors already on the page are the engine's `page_rule`; for sponsored products
   one of its products must be relevant (`relevant`) and not already on the page;
2. the floor: its eCPM (a CPM bid, or a CPC bid times the predicted click rate) at or
   above the slot's floor;
3. the auction: it wins a slot when fewer than `count` recorded bids rank above it, in
   the engine's order (`auction.rank_key`: a tie in eCPM goes to the CPM bid, then to the
   older line item; a live line item replaying itself keeps its own id, a new proposal is
   the newest, so it loses such ties); a competitor ranked above it keeps it
   out, its own advertiser's better line item too; the price is the engine's
   (`auction.clearing_ecpm` against the bid just below it), the cost expected per ad;
4. caps per user (the engine's `cap_key`), then the budget: a day's spend stops at its
   daily budget scaled to the sample; even pacing takes an even share of the day's
   chances (each the same fraction), ASAP takes them in time order until the day's
   budget is gone; the total budget and the advertiser's funds end the flight.

Each future day of the flight replays a sampled day of the same weekday (alternating
between the weeks sampled), shifted to its date; figures are scaled by the sample's
weight. What the proposal takes from the live line items is not fed back into their
budgets (they would spend a little less, and a little later): a second-order effect the
method states.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shelfspace.decisioning import auction
from shelfspace.decisioning.engine import RankedBid
from shelfspace.decisioning.holdout import held_out
from shelfspace.decisioning.index import SPONSORED_PRODUCT, Candidate, PlacementIndex, compile_snapshot
from shelfspace.decisioning.inventory import Inventory, LiveCampaign, Pacing, Pricing
from shelfspace.decisioning.page_rules import cap_key, page_rule, relevant
from shelfspace.decisioning.reasons import Reason
from shelfspace.decisioning.request import Matchable
from shelfspace.forecasting.baseline import Baseline, SlotOutcome
from shelfspace.forecasting.limits import limits_found
from shelfspace.forecasting.replay_types import (
    Chance,
    DayForecast,
    Forecast,
    Funnel,
    PredictCtr,
    Proposal,
    Rival,
    SampledDay,
)

OPEN_ENDED_DAYS = 30  # a flight without an end is forecast this far
LONGEST_FLIGHT_DAYS = 366


def flight_days(campaign: LiveCampaign, today: date, baseline: Baseline) -> tuple[list[date], bool]:
    """The local days to forecast: from today (or the start) to the end, or OPEN_ENDED_DAYS."""
    tz = baseline.timezone
    first = max(today, campaign.start.astimezone(tz).date())
    if campaign.end is None:
        return [first + timedelta(days=n) for n in range(OPEN_ENDED_DAYS)], True
    last = (campaign.end - timedelta(microseconds=1)).astimezone(tz).date()
    count = min(LONGEST_FLIGHT_DAYS, (last - first).days + 1)
    return [first + timedelta(days=n) for n in range(max(0, count))], False


def replayed_days(sampled: Iterable[date], days: Iterable[date]) -> list[date]:
    """The sampled day each of `days` replays: one of the same weekday, alternating between
    the weeks sampled; any sampled day in turn when that weekday was never sampled.
    `sampled` must not be empty."""
    everything = sorted(sampled)
    by_weekday: dict[int, list[date]] = defaultdict(list)
    for day in everything:
        by_weekday[day.weekday()].append(day)
    seen: Counter[int] = Counter()
    found = []
    for day in days:
        choices = by_weekday.get(day.weekday()) or everything
        found.append(choices[seen[day.weekday()] % len(choices)])
        seen[day.weekday()] += 1
    return found


def forecast(baseline: Baseline, proposal: Proposal, today: date, predict_ctr: PredictCtr) -> Forecast | None:
    """The proposal's forecast, or None when no sampled request touched its placements."""
    indexes = _indexes(baseline.inventory, proposal)
    sampled = baseline.sampled_days(indexes)
    if not sampled:
        return None
    replayer = _Replayer(baseline, proposal, indexes, predict_ctr)
    per_sampled = {day: replayer.sampled_day(day) for day in sampled}
    days, open_ended = flight_days(proposal.campaign, today, baseline)
    return _project(baseline, proposal, per_sampled, days, open_ended, replayer)


def _indexes(inventory: Inventory, proposal: Proposal) -> dict[str, PlacementIndex]:
    """The proposal compiled alone, per placement it buys and can fill: the engine's own
    targeting bitmaps, with its competitors as the snapshot makes them (both ways)."""
    line_item = proposal.line_item
    advertisers = dict(inventory.advertisers)
    advertisers[proposal.advertiser.id] = proposal.advertiser
    alone = Inventory(
        placements={pid: p for pid, p in inventory.placements.items() if pid in line_item.placements},
        advertisers=advertisers,
        campaigns={proposal.campaign.id: proposal.campaign},
        line_items=(line_item,),
        products=inventory.products,
    )
    snapshot = compile_snapshot(alone, 0, proposal.campaign.start, ZoneInfo("UTC"))
    return {pid: index for pid, index in snapshot.placements.items() if index.candidates}


class _Replayer:
    def __init__(
        self, baseline: Baseline, proposal: Proposal, indexes: dict[str, PlacementIndex], predict_ctr: PredictCtr
    ) -> None:
        self.baseline = baseline
        self.proposal = proposal
        self.indexes = indexes
        self.line_item = proposal.line_item
        self.ctr = {
            pid: predict_ctr(index.candidates[0].creatives[0].id, pid, index.placement.format)
            for pid, index in indexes.items()
        }
        self.ecpm = {
            pid: auction.ecpm_micros(self.line_item.pricing, self.line_item.bid_micros, self.ctr[pid])
            for pid in indexes
        }
        self.pricing_of = {li.id: li.pricing for li in baseline.inventory.line_items}
        # (placement, context) -> the targeting dimensions it passes, and whether it passes them all
        self._passing: dict[tuple[str, int], tuple[tuple[Reason, ...], bool]] = {}

    def sampled_day(self, day: date) -> SampledDay:
        result = SampledDay()
        for pid, index in self.indexes.items():
            slots = self.baseline.slots.get((day, pid))
            if slots:
                self._placement_day(index, slots, result)
        if len(self.indexes) > 1:
            result.chances.sort(key=lambda c: c.at)  # runs already in time order: merged cheaply
        return result

    def _placement_day(self, index: PlacementIndex, slots: list[SlotOutcome], result: SampledDay) -> None:
        """Every sampled slot of one placement on one day, through the steps in the module's
        docstring. The hot loop of a forecast: what is fixed for the placement is read once."""
        candidate = index.candidates[0]
        pid = index.placement.id
        ecpm, ctr = self.ecpm[pid], self.ctr[pid]
        pricing, bid_micros = self.line_item.pricing, self.line_item.bid_micros
        replaces, own = self.proposal.replaces, self.proposal.advertiser.id
        campaign_id, holdout = self.proposal.campaign.id, self.proposal.campaign.holdout_percent
        competitors = candidate.advertiser.competitors
        page_rules = bool(
            candidate.line_item.targeting.dayparts
            or competitors
            or candidate.categories & index.placement.blocked_categories
        )
        sponsored = index.placement.format == SPONSORED_PRODUCT
        contexts = self.baseline.contexts
        tz = self.baseline.timezone
        seen: Counter[int] = Counter()
        passing = self._passing
        chances, met, beaten, lost_to = result.chances, result.met, result.beaten, result.lost_to
        targeted = above = won = held = 0
        for slot in slots:
            context = slot.context
            seen[context] += 1
            found = passing.get((pid, context))
            if found is None:
                found = passing[(pid, context)] = self._match(index, contexts[context])
            if not found[1]:
                continue
            if page_rules:
                matchable = replace(contexts[context], local_time=datetime.fromtimestamp(slot.at, tz))
                if page_rule(candidate, index, matchable, set(slot.page_advertisers)) is not None:
                    continue
            if sponsored and not self._product_for(candidate, slot):
                continue
            targeted += 1
            floor = slot.floor_micros
            if ecpm < floor:
                continue
            above += 1
            ahead, below = 0, None
            for bid in slot.bids:
                if bid.line_item_id == replaces:
                    continue
                above_it = self._ranks_above(bid, ecpm)
                if bid.advertiser_id == own:
                    if above_it:
                        ahead = slot.count  # its own better line item keeps the advertiser's one ad
                    continue  # a worse one of its own gives way
                rival = bid.line_item_id
                met[rival] = met.get(rival, 0) + 1
                if above_it:
                    ahead += 1
                    if bid.advertiser_id in competitors:
                        ahead = slot.count  # a competitor above keeps it off the page
                else:
                    beaten[rival] = beaten.get(rival, 0) + 1
                    if below is None or bid.ecpm_micros > below:
                        below = bid.ecpm_micros
            if ahead >= slot.count:
                needed = sorted((b.ecpm_micros for b in slot.bids if b.line_item_id != replaces), reverse=True)
                if needed:
                    lost_to.append(needed[min(slot.count, len(needed)) - 1])
                continue
            won += 1
            if holdout and slot.user_hash and held_out(campaign_id, slot.user_hash, holdout):
                held += 1  # the hash stands in for the id: the same share of users, not the same users
                continue
            price = auction.price_micros(pricing, bid_micros, auction.clearing_ecpm(ecpm, below, floor), ctr)
            chances.append(
                Chance(slot.at, slot.user_hash if slot.consent else None, auction.cost_of_one(pricing, price, ctr), ctr)
            )
        funnel = result.funnel
        funnel.requests += len(slots)
        funnel.targeted += targeted
        funnel.above_floor += above
        funnel.won += won
        funnel.held_out += held
        for context, n in seen.items():
            for reason in passing[(pid, context)][0]:
                result.dimensions[reason] += n

    def _ranks_above(self, bid: RankedBid, ecpm: int) -> bool:
        """Whether a recorded bid ranks above the proposal at `ecpm`, in the engine's order
        (`auction.rank_key`). Ties in eCPM are common where line items bid alike (a
        network's fixed rate card): the live line item replaying itself ranks by its own
        id, as the engine ranked it; a new proposal, not yet stored, would be the newest
        line item, so every tie on eCPM and pricing goes to the recorded bid."""
        pricing = self.line_item.pricing
        theirs = auction.rank_key(bid.ecpm_micros, self.pricing_of.get(bid.line_item_id, Pricing.CPM), bid.line_item_id)
        replaces = self.proposal.replaces
        if replaces is None:
            return theirs[:2] <= auction.rank_key(ecpm, pricing, "")[:2]
        return theirs < auction.rank_key(ecpm, pricing, replaces)

    @staticmethod
    def _match(index: PlacementIndex, matchable: Matchable) -> tuple[tuple[Reason, ...], bool]:
        """The dimensions the context passes, and whether it passes all: the candidate's bit
        in each of the index's masks (`PlacementIndex.matching` ANDs the same masks)."""
        masks = index.targeting_masks(matchable)
        passing = tuple(reason for reason, mask in masks if mask & 1)
        return passing, len(passing) == len(masks)

    def _product_for(self, candidate: Candidate, slot: SlotOutcome) -> bool:
        matchable = self.baseline.contexts[slot.context]
        products = self.baseline.inventory.products
        for creative in candidate.creatives:
            product = products.get(creative.sku or "")
            if product is not None and product.sku not in slot.page_skus and relevant(product, matchable):
                return True
        return False


@dataclass(slots=True)
class _DayResult:
    served: list[Chance]
    within_cap: int
    spend: int


def _run_day(
    chances: list[Chance], shift: float, proposal: Proposal, tz: ZoneInfo, caps: dict[str, int], limit: float | None
) -> _DayResult:
    """One flight day: the chances its caps allow (a user without an id and consent is
    never counted, so never shown a capped line item), then its budget: even pacing takes
    the same share of every chance, ASAP takes them in time order until the money is gone."""
    cap = proposal.line_item.frequency_cap
    buckets: dict[int, str] = {}  # a cap's period bucket by the local hour it holds (the engine's cap_key)

    def key_of(chance: Chance) -> str | None:
        assert cap is not None
        if chance.user_hash is None:
            return None
        hour = int((chance.at + shift) // 3600)
        bucket = buckets.get(hour)
        if bucket is None:
            bucket = buckets[hour] = cap_key(proposal.line_item.id, cap, datetime.fromtimestamp(hour * 3600 + 1, tz))
        return chance.user_hash + "|" + bucket

    keys: list[str | None] = []
    allowed = wanted = 0
    dry: Counter[str] = Counter()
    for chance in chances:
        key: str | None = ""
        if cap is not None:
            key = key_of(chance) or ""
            if not key or caps.get(key, 0) + dry[key] >= cap.count:
                keys.append(None)
                continue
            dry[key] += 1
        keys.append(key)
        allowed += 1
        wanted += chance.cost_micros
    even = proposal.campaign.pacing is Pacing.EVEN
    share = limit / wanted if limit is not None and even and wanted > limit else 1.0
    served: list[Chance] = []
    spend, owed = 0, 0.0
    for chance, key in zip(chances, keys, strict=True):
        if key is None or (key and cap is not None and caps.get(key, 0) >= cap.count):
            continue
        owed += share
        if owed < 1:
            continue
        owed -= 1
        if limit is not None and spend + chance.cost_micros > limit:
            if even:
                continue
            break
        served.append(chance)
        spend += chance.cost_micros
        if key:
            caps[key] = caps.get(key, 0) + 1
    return _DayResult(served, allowed, spend)


def _project(
    baseline: Baseline,
    proposal: Proposal,
    per_sampled: dict[date, SampledDay],
    days: list[date],
    open_ended: bool,
    replayer: _Replayer,
) -> Forecast:
    weight = baseline.weight
    campaign = proposal.campaign
    tz = baseline.timezone
    total_left = max(0, campaign.budget_total_micros - proposal.spent_micros)
    if proposal.funds_left_micros is not None:
        total_left = min(total_left, proposal.funds_left_micros)
    daily = campaign.budget_daily_micros
    if daily is None and campaign.pacing is Pacing.EVEN and days:
        daily = total_left // len(days)
    day_limit = daily / weight if daily is not None else None
    left = total_left / weight
    caps: dict[str, int] = {}
    seen: set[str] = set()
    funnel = Funnel()
    met: Counter[str] = Counter()
    beaten: Counter[str] = Counter()
    forecasts: list[DayForecast] = []
    wanted_total = 0
    for day, sampled_day in zip(days, replayed_days(per_sampled, days), strict=True):
        source = per_sampled[sampled_day]
        shift = (day - sampled_day).days * 86400.0
        limit = max(0.0, left if day_limit is None else min(day_limit, left))
        result = _run_day(source.chances, shift, proposal, tz, caps, limit)
        wanted_total += sum(c.cost_micros for c in source.chances)
        left -= result.spend
        users = {c.user_hash for c in result.served if c.user_hash is not None}
        seen |= users
        f = source.funnel
        funnel.requests += f.requests
        funnel.targeted += f.targeted
        funnel.above_floor += f.above_floor
        funnel.won += f.won
        funnel.held_out += f.held_out
        funnel.within_cap += result.within_cap
        funnel.served += len(result.served)
        met.update(source.met)
        beaten.update(source.beaten)
        forecasts.append(
            DayForecast(
                day,
                round(f.requests * weight),
                round(f.targeted * weight),
                round(len(result.served) * weight),
                sum(c.ctr for c in result.served) * weight,
                round(result.spend * weight),
                round(len(users) * weight),
                sampled_day,
            )
        )
    scaled = Funnel(*(round(getattr(funnel, n) * weight) for n in Funnel.__dataclass_fields__))
    advertiser_of = {li.id: li.advertiser_id for li in baseline.inventory.line_items}
    rivals = sorted(
        (Rival(li, advertiser_of.get(li, ""), round(n * weight), beaten[li] / n) for li, n in met.items()),
        key=lambda r: -r.auctions,
    )
    dimensions: Counter[Reason] = Counter()
    for source in per_sampled.values():
        dimensions.update(source.dimensions)
    sampled_requests = sum(s.funnel.requests for s in per_sampled.values())
    predicted_ctr = max(replayer.ctr.values())
    limits = limits_found(
        funnel, proposal, predicted_ctr, per_sampled, dimensions, sampled_requests, wanted_total, weight
    )
    return Forecast(
        forecasts,
        round(len(seen) * weight),
        scaled,
        limits,
        rivals[:10],
        max(replayer.ecpm.values()),
        predicted_ctr,
        sorted(per_sampled),
        open_ended,
    )
