"""`Engine.decide`: one request in, winners per placement out, every loser with its reason.

For each requested placement, in the order the request lists them:
1. the snapshot's bitmaps keep the line items whose targeting the request matches;
2. each survivor is checked against the rules that depend on now and on the page
   (flight dates, day-parts, blocked categories, competitors already on the page,
   frequency caps, a relevant product for sponsored products), then priced (eCPM) and
   dropped below the floor;
3. the rest are ranked (see `auction`); walking down the ranking, an advertiser keeps only
   its best line item, and budgets and pacing are checked;
4. the top `count` win, each paying against the one ranked below it; a held-out user's
   would-be winner is recorded as a ghost and the slot goes to the next one;
5. each winner's expected cost is reserved from its campaign's budget (a refused
   reservation drops the winner and the ranking is priced again), and its frequency counted.

The engine is pure in what it is handed: its time comes from its clock, its ids from its
`IdSource` and its chance (pacing) from its `rng`, never from the process's. Why each line
item lost is told to the request's `Explanation` (explain.py), which does nothing unless
the request asked for `debug`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from shelfspace.core.clock import Clock
from shelfspace.core.ids import IdSource
from shelfspace.counters.protocol import RESERVATION_SECONDS, BudgetLimits, BudgetUse, Counters
from shelfspace.decisioning import auction
from shelfspace.decisioning.ctr import CtrModel, SmoothedCtr
from shelfspace.decisioning.explain import NO_EXPLANATION, Considered, Explanation, Reasons
from shelfspace.decisioning.holdout import Ghost, StudyMark, group_of, held_out
from shelfspace.decisioning.index import SPONSORED_PRODUCT, Candidate, PlacementIndex, Snapshot, bits
from shelfspace.decisioning.inventory import LiveCampaign, LiveCreative, LiveProduct, Pacing, Pricing
from shelfspace.decisioning.pacing import DayWindow, day_target_micros, next_state
from shelfspace.decisioning.page_rules import cap_expiry, cap_key, competes, page_rule, relevant
from shelfspace.decisioning.ranking import Bid, Page, Ranking
from shelfspace.decisioning.reasons import Reason
from shelfspace.decisioning.request import DecisionRequest, Matchable


class AudienceMembership(Protocol):
    """The segments a user belongs to; filled by the audiences domain."""

    def segments_of(self, user_id: str) -> frozenset[str]: ...


class NoAudiences:
    def segments_of(self, user_id: str) -> frozenset[str]:
        return frozenset()


class UnknownPlacements(ValueError):
    def __init__(self, positions: list[int], ids: list[str]) -> None:
        super().__init__(f"no placement {', '.join(map(repr, ids))}")
        self.positions = positions
        self.ids = ids


@dataclass(frozen=True, slots=True)
class EngineSettings:
    pacing_interval_seconds: float = 30.0
    # Keep each placement's ranking (winners and the bid pricing them) in the decision:
    # what a forecast replays a proposed line item against. Off when serving.
    record_ranking: bool = False


@dataclass(frozen=True, slots=True)
class RankedBid:
    """A bid that competed for a placement's slots: a winner, or the one just below them."""

    line_item_id: str
    advertiser_id: str
    ecpm_micros: int
    won: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedAd:
    ad_id: str
    placement_id: str
    candidate: Candidate
    creative: LiveCreative
    product: LiveProduct | None
    ecpm_micros: int
    price_micros: int  # per thousand impressions (cpm) or per click (cpc)
    predicted_ctr: float
    reserved_micros: int
    budget_day: str


@dataclass(slots=True)
class Decision:
    request_id: str
    snapshot_version: int
    ads: dict[str, list[ServedAd]]
    explain: list[Considered] | None  # every line item's fate, with `debug` only
    ghosts: list[Ghost] = field(default_factory=list)
    study: dict[str, StudyMark] = field(default_factory=dict)  # campaign id -> this request's mark
    ranked: dict[str, tuple[RankedBid, ...]] = field(default_factory=dict)  # with EngineSettings.record_ranking


@dataclass(frozen=True, slots=True)
class _Auction:
    """What stays fixed while one placement is filled."""

    snapshot: Snapshot
    index: PlacementIndex
    request: DecisionRequest
    matchable: Matchable
    now: datetime
    page: Page
    explain: Explanation  # the request's: NO_EXPLANATION unless it asked for `debug`
    floor: int  # micros of eCPM: the placement's floor, or the request's for this slot if higher


class Engine:
    def __init__(
        self,
        counters: Counters,
        clock: Clock,
        ctr: CtrModel | None = None,
        audiences: AudienceMembership | None = None,
        rng: random.Random | None = None,
        settings: EngineSettings | None = None,
        ids: IdSource | None = None,
    ) -> None:
        """`rng` draws pacing's chances and `ids` makes request and ad ids (by default on
        `clock`'s time); neither is the process's, so a seeded engine decides the same twice."""
        self.counters = counters
        self.clock = clock
        self.ctr = ctr or SmoothedCtr(counters, now=lambda: clock.now().timestamp())
        self.audiences = audiences or NoAudiences()
        self.rng = rng or random.Random()
        self.settings = settings or EngineSettings()
        self.ids = ids or IdSource.following(clock)

    # --- the request ---------------------------------------------------------------------

    def decide(self, snapshot: Snapshot, request: DecisionRequest) -> Decision:
        unknown = [
            (i, s.placement_id) for i, s in enumerate(request.slots) if s.placement_id not in snapshot.placements
        ]
        if unknown:
            raise UnknownPlacements([i for i, _ in unknown], [p for _, p in unknown])
        now = self.clock.now()
        local = now.astimezone(snapshot.timezone)
        user_known = request.user_id is not None and request.consent
        segments = self.audiences.segments_of(request.user_id) if user_known and request.user_id else frozenset()
        matchable = Matchable.of(request, segments, local)
        explain: Explanation = Reasons() if request.debug else NO_EXPLANATION
        decision = Decision(self.ids.new("req"), snapshot.version, {}, explain.recorded())
        page = Page()
        for slot in request.slots:
            index = snapshot.placements[slot.placement_id]
            count = min(slot.count, index.placement.max_ads)
            floor = max(index.placement.floor_micros, slot.floor_micros)
            auction_ = _Auction(snapshot, index, request, matchable, now, page, explain, floor)
            decision.ads[slot.placement_id] = self._fill(auction_, count, decision)
        return decision

    def _fill(self, auction_: _Auction, count: int, decision: Decision) -> list[ServedAd]:
        index, request, matchable, page, explain = (
            auction_.index,
            auction_.request,
            auction_.matchable,
            auction_.page,
            auction_.explain,
        )
        pid = index.placement.id
        explain.excluded(pid, index.excluded)
        survivors = index.matching(matchable)
        if explain.wanted:
            self._explain_targeting(auction_, survivors)
        if request.user_id and survivors & index.studied:
            self._mark_eligible(index, survivors & index.studied, request.user_id, auction_.now, decision)
        # CPC bids are priced now (their eCPM needs the predicted CTR); CPM bids, in bid
        # order already, only as far as the walk down the ranking goes.
        per_click = survivors & index.per_click
        ranking = Ranking(self._cpm_bids(survivors & ~per_click, auction_))
        for position in bits(per_click):
            candidate = index.candidates[position]
            bid = self._price(candidate, index, matchable, page.skus, auction_.snapshot)
            if bid is None:
                explain.note(pid, candidate, None, Reason.NO_RELEVANT_PRODUCT)
            elif bid.ecpm < auction_.floor:
                explain.note(pid, candidate, bid.ecpm, Reason.BELOW_FLOOR)
            else:
                ranking.push(bid)
        served = self._award(ranking, count, auction_, decision)
        if explain.wanted:  # tell why the bids never looked at did not win
            while (bid := ranking.pop()) is not None:
                reason = self._rule_out(bid.candidate, index, request, matchable, auction_.now, page)
                explain.note(pid, bid.candidate, bid.ecpm, reason or Reason.OUTBID)
        return served

    def _cpm_bids(self, mask: int, auction_: _Auction) -> Iterator[Bid]:
        """CPM bids in rank order, priced as they are reached; stops at the floor (and
        goes on past it only to explain why the rest lost)."""
        index, explain, floor = auction_.index, auction_.explain, auction_.floor
        pid = index.placement.id
        below_floor = False
        for position in bits(mask):
            candidate = index.candidates[position]
            below_floor = below_floor or candidate.line_item.bid_micros < floor  # and so is every one after it
            if below_floor:
                if not explain.wanted:
                    return
                explain.note(pid, candidate, candidate.line_item.bid_micros, Reason.BELOW_FLOOR)
                continue
            bid = self._price(candidate, index, auction_.matchable, auction_.page.skus, auction_.snapshot)
            if bid is None:
                explain.note(pid, candidate, None, Reason.NO_RELEVANT_PRODUCT)
            else:
                yield bid

    # --- rules -------------------------------------------------------------------------

    def _explain_targeting(self, auction_: _Auction, survivors: int) -> None:
        """Which targeting rule turned each non-survivor away (only when explaining: costly)."""
        index = auction_.index
        everyone = (1 << len(index.candidates)) - 1
        masks = index.targeting_masks(auction_.matchable)
        for position in bits(everyone & ~survivors):
            reason = next(r for r, mask in masks if not mask >> position & 1)
            auction_.explain.note(index.placement.id, index.candidates[position], None, reason)

    def _rule_out(
        self,
        candidate: Candidate,
        index: PlacementIndex,
        request: DecisionRequest,
        matchable: Matchable,
        now: datetime,
        page: Page,
    ) -> Reason | None:
        campaign = candidate.campaign
        if now < campaign.start:
            return Reason.CAMPAIGN_NOT_STARTED
        if campaign.end is not None and now >= campaign.end:
            return Reason.CAMPAIGN_ENDED
        reason = page_rule(candidate, index, matchable, page.advertisers)
        if reason is not None:
            return reason
        cap = candidate.line_item.frequency_cap
        if cap is not None:
            if not (request.user_id and request.consent):
                return Reason.CAP_NEEDS_CONSENT
            if self.counters.frequency(request.user_id, cap_key(candidate.id, cap, matchable.local_time)) >= cap.count:
                return Reason.FREQUENCY_CAPPED
        return None

    def _price(
        self, candidate: Candidate, index: PlacementIndex, matchable: Matchable, taken: set[str], snapshot: Snapshot
    ) -> Bid | None:
        """The candidate's best creative here (and product, for sponsored products) and its
        eCPM; `taken` are SKUs already in the answer, which no other ad may repeat. A CPM
        bid's eCPM is the bid whatever the creative: its first fitting one is taken."""
        pid, line_item = index.placement.id, candidate.line_item
        per_click = line_item.pricing is Pricing.CPC
        best: Bid | None = None
        for creative in candidate.creatives:
            product = None
            if creative.format == SPONSORED_PRODUCT:
                product = snapshot.products.get(creative.sku or "")  # absent when unavailable
                if product is None or product.sku in taken or not relevant(product, matchable):
                    continue
            if not per_click:
                return Bid(candidate, creative, product, None, line_item.bid_micros)
            ctr = self.ctr.predict(creative.id, pid, creative.format)
            ecpm = auction.ecpm_micros(line_item.pricing, line_item.bid_micros, ctr)
            if best is None or ecpm > best.ecpm:
                best = Bid(candidate, creative, product, ctr, ecpm)
        return best

    def _rank(self, ranking: Ranking, wanted: int, auction_: _Auction) -> None:
        """Walk down the ranking, keeping each advertiser's best bid that the rules, budgets
        and pacing allow, until `wanted` bids compete (the slots and the one pricing them)."""
        index, explain, pid = auction_.index, auction_.explain, auction_.index.placement.id
        while ranking.bidding < wanted and (bid := ranking.pop()) is not None:
            candidate = bid.candidate
            reason = self._rule_out(candidate, index, auction_.request, auction_.matchable, auction_.now, auction_.page)
            user_id = auction_.request.user_id
            if (
                reason is None
                and user_id
                and held_out(candidate.campaign.id, user_id, candidate.campaign.holdout_percent)
            ):
                self._ghost_gates(bid, ranking, auction_)
                continue
            if reason is None and candidate.advertiser.id in ranking.advertisers:
                ranking.set_aside(bid)  # noted as advertiser_already_won if it stays aside
                continue
            if reason is None and competes(candidate, ranking.advertisers):
                reason = Reason.COMPETITOR_ON_PAGE
            elif reason is None and bid.product is not None and bid.product.sku in ranking.skus:
                # Its SKU went to a bid above: it competes again with its next relevant one.
                again = self._price(
                    candidate, index, auction_.matchable, ranking.skus | auction_.page.skus, auction_.snapshot
                )
                if again is not None and again.ecpm >= auction_.floor:
                    ranking.push(again)
                    continue
                reason = Reason.NO_RELEVANT_PRODUCT
            if reason is None:
                reason = self._budget_or_pacing(candidate.campaign, auction_.now, auction_.snapshot)
            if reason is not None:
                explain.note(pid, candidate, bid.ecpm, reason)
                continue
            ranking.keep(bid)

    def _ghost_gates(self, bid: Bid, ranking: Ranking, auction_: _Auction) -> None:
        """A held-out bid: the control group's counterfactual is what would have served had
        its campaign not existed, so it leaves the auction before the rules between bids (it
        blocks no advertiser, competitor or product of the bids below it) and is kept only
        to mark where it would have ranked. It is a ghost only if it would really have
        served: the bids kept above it leave it its advertiser's slot, no competitor and its
        product; and its budget, funds and pacing would have let it, its cost fitting what
        is left (checked, nothing reserved)."""
        candidate, explain = bid.candidate, auction_.explain
        pid = auction_.index.placement.id
        reason: Reason | None = None
        if candidate.advertiser.id in ranking.advertisers:
            reason = Reason.ADVERTISER_ALREADY_WON
        elif competes(candidate, ranking.advertisers):
            reason = Reason.COMPETITOR_ON_PAGE
        elif bid.product is not None and bid.product.sku in ranking.skus:
            reason = Reason.NO_RELEVANT_PRODUCT
        else:
            reason = self._budget_or_pacing(candidate.campaign, auction_.now, auction_.snapshot)
        if reason is None and not self._would_fit(bid, auction_):
            reason = self._short_of(candidate.campaign, auction_.now, auction_.snapshot)
        if reason is not None:
            explain.note(pid, candidate, bid.ecpm, reason)
            return
        bid.held_out = True
        ranking.keep_ghost(bid)

    def _would_fit(self, bid: Bid, auction_: _Auction) -> bool:
        """Whether a reservation of the bid's cost would be granted now: priced at its own
        eCPM (the most it could pay), against the budget left and the funds left."""
        line_item = bid.candidate.line_item
        ctr = (
            bid.predicted_ctr
            if bid.predicted_ctr is not None
            else self.ctr.predict(bid.creative.id, auction_.index.placement.id, bid.creative.format)
        )
        cost = auction.cost_of_one(
            line_item.pricing, auction.price_micros(line_item.pricing, line_item.bid_micros, bid.ecpm, ctr), ctr
        )
        limits = self._limits(bid.candidate.campaign, auction_.now, auction_.snapshot)
        if self.counters.budget_use(limits.campaign_id, limits.day).left(limits) < cost:
            return False
        return (
            limits.account_id is None
            or limits.account_micros is None
            or self.counters.account_use(limits.account_id).left(limits.account_micros) >= cost
        )

    def _budget_or_pacing(self, campaign: LiveCampaign, now: datetime, snapshot: Snapshot) -> Reason | None:
        limits = self._limits(campaign, now, snapshot)
        use = self.counters.budget_use(campaign.id, limits.day)
        if use.spent_total + use.reserved_total >= campaign.budget_total_micros:
            return Reason.TOTAL_BUDGET_SPENT
        if use.left(limits) <= 0:
            return Reason.DAILY_BUDGET_SPENT
        if limits.account_id is not None and limits.account_micros is not None:
            if self.counters.account_use(limits.account_id).left(limits.account_micros) <= 0:
                return Reason.FUNDS_SPENT
        if campaign.pacing is Pacing.EVEN:
            stamp = now.timestamp()
            state = self.counters.pacing(campaign.id)
            window = self._window(campaign, now, snapshot, use)
            updated = next_state(
                state, stamp, use.spent_day + use.reserved_day, window, self.settings.pacing_interval_seconds
            )
            if updated is not state:
                self.counters.set_pacing(campaign.id, updated)
            if self.rng.random() >= updated.pass_rate:
                return Reason.PACING_THROTTLED
        return None

    def _short_of(self, campaign: LiveCampaign, now: datetime, snapshot: Snapshot) -> Reason:
        """Why a reservation was refused: whichever of the advertiser's funds, the total
        budget and the day's budget has the least left (only on the refusal path)."""
        limits = self._limits(campaign, now, snapshot)
        use = self.counters.budget_use(campaign.id, limits.day)
        left = use.left(limits)
        if limits.account_id is not None and limits.account_micros is not None:
            if self.counters.account_use(limits.account_id).left(limits.account_micros) < left:
                return Reason.FUNDS_SPENT
        if limits.total_micros - use.spent_total - use.reserved_total <= left:
            return Reason.TOTAL_BUDGET_SPENT
        return Reason.DAILY_BUDGET_SPENT

    # --- winners -------------------------------------------------------------------------

    def _award(self, ranking: Ranking, count: int, auction_: _Auction, decision: Decision) -> list[ServedAd]:
        explain, placement, now = auction_.explain, auction_.index.placement, auction_.now
        served: list[ServedAd] = []
        while True:
            self._rank(ranking, count + 1, auction_)
            bidding = [b for b in ranking.ranked if not b.held_out]
            refused = None
            for position, bid in enumerate(bidding[:count]):
                if any(s.candidate.id == bid.candidate.id for s in served):
                    continue
                below = bidding[position + 1].ecpm if position + 1 < len(bidding) else None
                ad = self._serve(bid, below, auction_.index, auction_.floor, now, auction_.snapshot)
                if ad is None:
                    refused = bid
                    break
                served.append(ad)
            if refused is None:
                break
            # The reservation found too little budget left: drop the bid, walk on, price again.
            ranking.drop(refused)
            explain.note(
                placement.id,
                refused.candidate,
                refused.ecpm,
                self._short_of(refused.candidate.campaign, now, auction_.snapshot),
            )
        served.sort(key=lambda s: auction.rank_key(s.ecpm_micros, s.candidate.line_item.pricing, s.candidate.id))
        winners_ids = {s.candidate.id for s in served}
        if self.settings.record_ranking:
            decision.ranked[placement.id] = tuple(
                RankedBid(b.candidate.id, b.candidate.advertiser.id, b.ecpm, b.candidate.id in winners_ids)
                for b in ranking.ranked
                if not b.held_out
            )
        request, page = auction_.request, auction_.page
        self._record_ghosts(ranking.ranked, count, request, now, auction_.snapshot.timezone, placement.id, decision)
        self._mark_exposed(served, request, now, decision)
        for bid in ranking.ranked:
            if bid.candidate.id in winners_ids:
                explain.note(placement.id, bid.candidate, bid.ecpm, None, won=True)
            else:
                explain.note(placement.id, bid.candidate, bid.ecpm, Reason.HELD_OUT if bid.held_out else Reason.OUTBID)
        for waiting in ranking.aside.values():
            for bid in waiting:
                explain.note(placement.id, bid.candidate, bid.ecpm, Reason.ADVERTISER_ALREADY_WON)
        for ad in served:
            page.advertisers.add(ad.candidate.advertiser.id)
            if ad.product is not None:
                page.skus.add(ad.product.sku)
            cap = ad.candidate.line_item.frequency_cap
            if cap is not None and request.user_id:
                key = cap_key(ad.candidate.id, cap, now.astimezone(auction_.snapshot.timezone))
                self.counters.count_frequency(request.user_id, key, cap_expiry(cap, now))
        return served

    def _serve(
        self, bid: Bid, below: int | None, index: PlacementIndex, floor: int, now: datetime, snapshot: Snapshot
    ) -> ServedAd | None:
        line_item = bid.candidate.line_item
        ctr = bid.predicted_ctr
        if ctr is None:
            ctr = self.ctr.predict(bid.creative.id, index.placement.id, bid.creative.format)
        clearing = auction.clearing_ecpm(bid.ecpm, below, floor)
        price = auction.price_micros(line_item.pricing, line_item.bid_micros, clearing, ctr)
        cost = auction.cost_of_one(line_item.pricing, price, ctr)
        limits = self._limits(bid.candidate.campaign, now, snapshot)
        ad_id = self.ids.new("ad")
        expires = now.timestamp() + RESERVATION_SECONDS
        if not self.counters.reserve(ad_id, limits, cost, expires):
            return None
        return ServedAd(
            ad_id=ad_id,
            placement_id=index.placement.id,
            candidate=bid.candidate,
            creative=bid.creative,
            product=bid.product,
            ecpm_micros=bid.ecpm,
            price_micros=price,
            predicted_ctr=ctr,
            reserved_micros=cost,
            budget_day=limits.day,
        )

    def _record_ghosts(
        self,
        ranked: list[Bid],
        count: int,
        request: DecisionRequest,
        now: datetime,
        timezone: tzinfo,
        placement_id: str,
        decision: Decision,
    ) -> None:
        """A held-out bid ranked where it would have won a slot is the control group's impression."""
        real_ahead = 0
        for bid in ranked:
            if not bid.held_out:
                real_ahead += 1
            elif real_ahead < count and request.user_id:
                campaign = bid.candidate.campaign
                decision.ghosts.append(
                    Ghost(
                        decision.request_id,
                        now.timestamp(),
                        request.user_id,
                        campaign.id,
                        bid.candidate.id,
                        placement_id,
                    )
                )
                cap = bid.candidate.line_item.frequency_cap
                if cap is not None:  # a ghost counts as its ad would have
                    key = cap_key(bid.candidate.id, cap, now.astimezone(timezone))
                    self.counters.count_frequency(request.user_id, key, cap_expiry(cap, now))
                decision.study[campaign.id] = StudyMark(
                    campaign.id,
                    request.user_id,
                    group_of(campaign.id, request.user_id, campaign.holdout_percent),
                    now.timestamp(),
                    exposed=True,
                )

    @staticmethod
    def _mark_eligible(index: PlacementIndex, studied: int, user_id: str, now: datetime, decision: Decision) -> None:
        """Every studied campaign whose targeting matched: the user is in its population."""
        for position in bits(studied):
            campaign = index.candidates[position].campaign
            if campaign.id not in decision.study:
                decision.study[campaign.id] = StudyMark(
                    campaign.id,
                    user_id,
                    group_of(campaign.id, user_id, campaign.holdout_percent),
                    now.timestamp(),
                    exposed=False,
                )

    @staticmethod
    def _mark_exposed(served: list[ServedAd], request: DecisionRequest, now: datetime, decision: Decision) -> None:
        for ad in served:
            campaign = ad.candidate.campaign
            if request.user_id and campaign.holdout_percent > 0:
                decision.study[campaign.id] = StudyMark(
                    campaign.id,
                    request.user_id,
                    group_of(campaign.id, request.user_id, campaign.holdout_percent),
                    now.timestamp(),
                    exposed=True,
                )

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _limits(campaign: LiveCampaign, now: datetime, snapshot: Snapshot) -> BudgetLimits:
        return campaign.limits(now.astimezone(snapshot.timezone).date().isoformat())

    @staticmethod
    def _window(campaign: LiveCampaign, now: datetime, snapshot: Snapshot, use: BudgetUse) -> DayWindow:
        """The part of today the campaign runs, and what even pacing should spend in it."""
        local = now.astimezone(snapshot.timezone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        day_end = day_start + timedelta(days=1)
        start = max(day_start, campaign.start)
        end = min(day_end, campaign.end) if campaign.end is not None else day_end
        daily_target = day_target_micros(
            campaign.budget_total_micros,
            campaign.budget_daily_micros,
            campaign.end,
            use.spent_total,
            use.spent_day,
            local.date(),
            snapshot.timezone,
        )
        return DayWindow(day_start.date().isoformat(), start.timestamp(), end.timestamp(), daily_target)
