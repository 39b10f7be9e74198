"""The operator's inventory forecast: per placement and day, what will be asked for, what
the live campaigns have already bought and what is left; per campaign, whether it will
spend what it has left.

Everything comes from the baseline (`baseline.py`: the last weeks' sampled requests run
through the engine with the live line items). Each future day of a placement replays a
sampled day of the same weekday (`replay.replayed_days`, as a proposal's forecast does)
and each figure is scaled by the sample's weight:

- requests and slots: the sampled day's, on that placement;
- sold: the ads each live campaign took on the sampled day, counted only on the days its
  flight covers, and cut where its budget or its advertiser's funds would have run out;
- per campaign, the spend expected each day (what it spent on the sampled days), over its
  remaining flight (from today to its end; an open-ended one for `OPEN_ENDED_DAYS`),
  within what it has left (total budget less what the live counters say it has spent,
  a daily budget bounding each day, the advertiser's funds shared by its campaigns). Less
  than `ON_TRACK_SHARE` of what it could spend in those days: it will under-deliver, and
  the step that loses it the most requests says why (`Why`).

The baseline replays every live campaign as if it ran through the whole window and with
its budgets as they are today, so a day's sold ads are what the campaigns would take on a
day like that; what a campaign left unsold is not handed to the others (a second-order
effect the method states). Today is forecast whole: what was spent today so far comes
off today's daily budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shelfspace.core.money_words import plain_number
from shelfspace.counters.protocol import Counters
from shelfspace.decisioning import auction
from shelfspace.decisioning.index import PlacementIndex, bits, compile_snapshot
from shelfspace.decisioning.inventory import Inventory, LiveCampaign, Pricing
from shelfspace.forecasting import baseline as baselines
from shelfspace.forecasting.baseline import Baseline
from shelfspace.forecasting.replay import OPEN_ENDED_DAYS, flight_days, replayed_days
from shelfspace.forecasting.replay_types import PredictCtr

HORIZON_DAYS = 30  # the days forecast unless asked otherwise
ON_TRACK_SHARE = 0.9  # a campaign projected to spend less than this share of what it could will under-deliver
NOTABLE_LOSS = 0.2  # a step losing less than this share of the requests reaching it is not what holds a campaign back

METHOD = (
    "Each of the next days replays a sampled day of the same weekday from the last weeks' sampled requests, "
    "alternating between the weeks, run through the auction with the live line items and their budgets as they "
    "are now; figures are scaled from the sample to all requests. Sold is what each live campaign took on that "
    "sampled day, counted only on the days its flight covers and until its budget or its advertiser's funds run "
    "out. A campaign's spend is projected over its remaining flight (an open-ended one over the next "
    f"{OPEN_ENDED_DAYS} days) against what it has left, a daily budget bounding each day: under "
    f"{ON_TRACK_SHARE:.0%} of it, it will under-deliver. What a campaign leaves unsold is not handed to the others."
)


class Verdict(StrEnum):
    ON_TRACK = "on_track"
    UNDER_DELIVERS = "will_under_deliver"


class Why(StrEnum):
    """What limits a campaign's delivery, as far as the baseline can tell."""

    BUDGET = "budget"  # on track: it spends what its budget allows (its daily budget, or what is left)
    TARGETING = "targeting"  # few of the requests on its placements match its targeting
    FLOOR = "floor"  # its bid is under the floor on the requests it matches
    BID = "bid"  # it matches requests, but other line items rank above it
    RULES = "rules"  # it would win on price, but its frequency cap, day-parts, page rules or pacing hold it back
    FUNDS = "funds"  # the advertiser's funds run out before the campaign's budget
    INVENTORY = "inventory"  # it takes what it can: its placements have too few requests for its budget
    NOTHING_TO_SERVE = "nothing_to_serve"  # no live line item with an approved creative fits an active placement


@dataclass(frozen=True, slots=True)
class Spending:
    """What the live counters say: each campaign's spend (all of it, and today's) and each
    advertiser's funds left, for those whose funds are limited."""

    spent_total: Mapping[str, int]  # campaign id -> micros
    spent_today: Mapping[str, int]  # campaign id -> micros
    funds_left: Mapping[str, int]  # advertiser id -> micros; absent: no limit


def live_spending(counters: Counters, inventory: Inventory, today: date) -> Spending:
    day = today.isoformat()
    uses = {cid: counters.budget_use(cid, day) for cid in inventory.campaigns}
    funds: dict[str, int] = {}
    for campaign in inventory.campaigns.values():
        if campaign.funds_micros is not None and campaign.advertiser_id not in funds:
            funds[campaign.advertiser_id] = max(
                0, counters.account_use(campaign.advertiser_id).left(campaign.funds_micros)
            )
    return Spending(
        {cid: u.spent_total for cid, u in uses.items()}, {cid: u.spent_day for cid, u in uses.items()}, funds
    )


@dataclass(frozen=True, slots=True)
class InventoryDay:
    day: date
    sampled_day: date | None  # the sampled day it replays; None: no history on this placement
    requests: int
    slots: int
    sold: int

    @property
    def left(self) -> int:
        return self.slots - self.sold

    @property
    def fill(self) -> float | None:
        return self.sold / self.slots if self.slots else None


@dataclass(frozen=True, slots=True)
class Buyer:
    """A live campaign on a placement over the days forecast."""

    campaign_id: str
    advertiser_id: str
    impressions: int
    spend_micros: int
    share: float  # of the placement's slots over the days forecast


@dataclass(frozen=True, slots=True)
class PlacementForecast:
    placement_id: str
    days: list[InventoryDay]
    buyers: list[Buyer]  # largest share first
    sampled_days: list[date]  # the replayed days with requests on this placement

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.days)

    @property
    def slots(self) -> int:
        return sum(d.slots for d in self.days)

    @property
    def sold(self) -> int:
        return sum(d.sold for d in self.days)

    @property
    def fill(self) -> float | None:
        slots = self.slots
        return self.sold / slots if slots else None


@dataclass(frozen=True, slots=True)
class Funnel:
    """A campaign's sampled slots on its placements, over the sampled days, step by step."""

    requests: int = 0
    matched: int = 0  # its targeting (and, for sponsored products, a relevant product) matches
    above_floor: int = 0
    priced_in: int = 0  # its eCPM ranks among the winners recorded for the slot
    served: int = 0  # ads it served in the baseline


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignOutlook:
    campaign_id: str
    advertiser_id: str
    placements: tuple[str, ...]
    flight_days: int  # its days from today to its end (an open-ended one: OPEN_ENDED_DAYS)
    open_ended: bool
    expected_daily_micros: int  # spend expected on an average day of its flight, before what it has left
    projected_micros: int  # over its flight days, within its budgets and funds
    budget_left_micros: int  # total budget less what it has spent
    to_spend_micros: int  # what it could spend in its flight days: what is left, each day within its daily budget
    verdict: Verdict
    why: Why
    message: str
    funnel: Funnel | None  # told for a campaign that under-delivers on its placements' requests

    @property
    def shortfall_micros(self) -> int:
        return max(0, self.to_spend_micros - self.projected_micros) if self.verdict is Verdict.UNDER_DELIVERS else 0


@dataclass(frozen=True, slots=True)
class InventoryForecast:
    today: date
    days: int
    placements: list[PlacementForecast]
    campaigns: list[CampaignOutlook]  # those that will under-deliver first (largest shortfall), then the others
    history_start: date
    history_end: date
    sampled_days: list[date]  # the replayed days with at least one sampled request
    sampled_requests: int
    weight: float

    @property
    def percent(self) -> float:
        """The share of requests sampled, in percent."""
        return 100 / self.weight

    @property
    def method(self) -> str:
        return METHOD

    @property
    def history_note(self) -> str | None:
        """What to say when there is nothing to replay."""
        if self.sampled_days:
            return None
        return (
            f"No request was sampled from {self.history_start:%d %b} to {self.history_end:%d %b}: nothing to "
            "replay yet. The forecast fills in as the decision API is called."
        )

    @property
    def under_delivering(self) -> list[CampaignOutlook]:
        return [c for c in self.campaigns if c.verdict is Verdict.UNDER_DELIVERS]


def forecast_inventory(
    baseline: Baseline, today: date, days: int, spending: Spending, predict_ctr: PredictCtr
) -> InventoryForecast:
    """The next `days` days from `today`, for every active placement and live campaign."""
    inventory = baseline.inventory
    weight = baseline.weight
    indexes = compile_snapshot(inventory, baseline.version, baseline.built_at, baseline.timezone).placements
    buys: dict[str, set[str]] = defaultdict(set)  # campaign -> the placements it can serve on
    for pid, index in indexes.items():
        for candidate in index.candidates:
            buys[candidate.campaign.id].add(pid)
    flights = {cid: flight_days(c, today, baseline) for cid, c in inventory.campaigns.items()}
    last = max([today + timedelta(days=days - 1), *(f[0][-1] for f in flights.values() if f[0])])
    span = [today + timedelta(days=n) for n in range((last - today).days + 1)]
    sampled_of = {pid: baseline.sampled_days([pid]) for pid in indexes}
    replays = {
        pid: dict(zip(span, replayed_days(sampled, span), strict=True))
        for pid, sampled in sampled_of.items()
        if sampled
    }
    flight_sets = {cid: set(f[0]) for cid, f in flights.items()}

    # Each campaign's days in order (campaigns in id order within a day, as they draw on
    # shared funds): what it would spend, within its budgets and its advertiser's funds.
    left = {cid: float(_budget_left(c, spending)) for cid, c in inventory.campaigns.items()}
    left_alone = dict(left)  # the same, were the funds unlimited
    funds = {aid: float(micros) for aid, micros in spending.funds_left.items()}
    kept: dict[tuple[str, date], float] = {}  # (campaign, day) -> the share of its expected day it keeps
    expected = dict.fromkeys(inventory.campaigns, 0.0)
    projected = dict.fromkeys(inventory.campaigns, 0.0)
    projected_alone = dict.fromkeys(inventory.campaigns, 0.0)
    allowed = dict.fromkeys(inventory.campaigns, 0.0)  # its days' daily budgets, summed
    for day in span:
        for cid in sorted(inventory.campaigns):
            if day not in flight_sets[cid]:
                continue
            campaign = inventory.campaigns[cid]
            want = sum(_sampled(baseline, replays, day, pid).spend_micros.get(cid, 0) for pid in buys[cid]) * weight
            expected[cid] += want
            day_budget = _day_budget(campaign, day == today, spending.spent_today.get(cid, 0))
            allowed[cid] += day_budget
            alone = min(want, day_budget, left_alone[cid])
            left_alone[cid] -= alone
            projected_alone[cid] += alone
            got = min(want, day_budget, left[cid])
            if campaign.advertiser_id in funds:
                got = min(got, funds[campaign.advertiser_id])
                funds[campaign.advertiser_id] -= got
            left[cid] -= got
            projected[cid] += got
            kept[(cid, day)] = got / want if want else 1.0

    horizon = span[:days]
    on_placement: dict[str, list[str]] = defaultdict(list)
    for cid in sorted(buys):
        for pid in buys[cid]:
            on_placement[pid].append(cid)
    placements = [
        _placement_forecast(baseline, pid, horizon, replays, sampled_of[pid], kept, flight_sets, on_placement[pid])
        for pid in sorted(indexes)
    ]
    outlooks = []
    for cid, campaign in inventory.campaigns.items():
        flight, open_ended = flights[cid]
        budget_left = _budget_left(campaign, spending)
        to_spend = round(min(budget_left, allowed[cid])) if flight else 0
        verdict = Verdict.UNDER_DELIVERS if projected[cid] < ON_TRACK_SHARE * to_spend else Verdict.ON_TRACK
        figures = _Figures(round(projected[cid]), round(projected_alone[cid]), to_spend, len(flight))
        why, message, funnel = _why(
            campaign, buys[cid], verdict, figures, baseline, indexes, sampled_of, spending, predict_ctr
        )
        outlooks.append(
            CampaignOutlook(
                campaign_id=cid,
                advertiser_id=campaign.advertiser_id,
                placements=tuple(sorted(buys[cid])),
                flight_days=len(flight),
                open_ended=open_ended,
                expected_daily_micros=round(expected[cid] / len(flight)) if flight else 0,
                projected_micros=figures.projected,
                budget_left_micros=budget_left,
                to_spend_micros=to_spend,
                verdict=verdict,
                why=why,
                message=message,
                funnel=funnel,
            )
        )
    outlooks.sort(key=lambda o: (o.verdict is not Verdict.UNDER_DELIVERS, -o.shortfall_micros, o.campaign_id))
    return InventoryForecast(
        today,
        days,
        placements,
        outlooks,
        baseline.start,
        baseline.end,
        baseline.sampled_days(indexes),
        baseline.requests,
        weight,
    )


_NONE_SAMPLED = baselines.PlacementDay()  # read only


def _sampled(baseline: Baseline, replays: dict[str, dict[date, date]], day: date, pid: str) -> baselines.PlacementDay:
    """The sampled placement day that `day` replays on placement `pid`."""
    sampled = replays.get(pid, {}).get(day)
    if sampled is None:
        return _NONE_SAMPLED
    return baseline.placements.get((sampled, pid), _NONE_SAMPLED)


def _budget_left(campaign: LiveCampaign, spending: Spending) -> int:
    return max(0, campaign.budget_total_micros - spending.spent_total.get(campaign.id, 0))


def _day_budget(campaign: LiveCampaign, is_today: bool, spent_today: int) -> float:
    """What a campaign may spend on one day: its daily budget (less today's spend so far), or no bound."""
    if campaign.budget_daily_micros is None:
        return float("inf")
    return float(max(0, campaign.budget_daily_micros - spent_today) if is_today else campaign.budget_daily_micros)


def _placement_forecast(
    baseline: Baseline,
    pid: str,
    horizon: list[date],
    replays: dict[str, dict[date, date]],
    sampled: list[date],
    kept: dict[tuple[str, date], float],
    flight_sets: dict[str, set[date]],
    buyers: list[str],
) -> PlacementForecast:
    weight = baseline.weight
    days = []
    impressions: dict[str, float] = dict.fromkeys(buyers, 0.0)
    spend: dict[str, float] = dict.fromkeys(buyers, 0.0)
    slots = 0.0
    for day in horizon:
        source = _sampled(baseline, replays, day, pid)
        sold = 0.0
        for cid, ads in source.impressions.items():
            if day not in flight_sets.get(cid, ()):
                continue  # its flight does not cover the day
            share = kept[(cid, day)]
            sold += ads * share
            impressions[cid] = impressions.get(cid, 0.0) + ads * share * weight
            spend[cid] = spend.get(cid, 0.0) + source.spend_micros.get(cid, 0) * share * weight
        slots += source.slots * weight
        days.append(
            InventoryDay(
                day,
                replays[pid][day] if pid in replays else None,
                round(source.requests * weight),
                round(source.slots * weight),
                round(sold * weight),
            )
        )
    advertiser_of = {cid: c.advertiser_id for cid, c in baseline.inventory.campaigns.items()}
    found = [
        Buyer(cid, advertiser_of[cid], round(n), round(spend[cid]), n / slots if slots else 0.0)
        for cid, n in impressions.items()
    ]
    found.sort(key=lambda b: (-b.share, -b.spend_micros, b.campaign_id))
    return PlacementForecast(pid, days, found, sampled)


@dataclass(frozen=True, slots=True)
class _Figures:
    projected: int
    projected_alone: int  # were the advertiser's funds unlimited
    to_spend: int
    flight_days: int


def _lost(before: int, after: int) -> float:
    return max(0.0, (before - after) / before) if before else 0.0


def _why(
    campaign: LiveCampaign,
    placements: set[str],
    verdict: Verdict,
    figures: _Figures,
    baseline: Baseline,
    indexes: dict[str, PlacementIndex],
    sampled_of: dict[str, list[date]],
    spending: Spending,
    predict_ctr: PredictCtr,
) -> tuple[Why, str, Funnel | None]:
    """The likely reason, in a named member and in words, with the funnel it was read from."""
    if verdict is Verdict.ON_TRACK:
        if figures.to_spend == 0:
            return Why.BUDGET, "Nothing left to spend in its flight.", None
        return (
            Why.BUDGET,
            (
                f"Projected to spend {plain_number(figures.projected)} of the {plain_number(figures.to_spend)} it can "
                f"spend in its {figures.flight_days} days."
            ),
            None,
        )
    short = (
        f"Projected to spend {plain_number(figures.projected)} of the {plain_number(figures.to_spend)} it can spend in its "
        f"{figures.flight_days} days (short by {plain_number(figures.to_spend - figures.projected)}). "
    )
    if not placements:
        return (
            Why.NOTHING_TO_SERVE,
            short + ("It has no live line item with an approved creative that fits an active placement."),
            None,
        )
    if figures.projected_alone >= ON_TRACK_SHARE * figures.to_spend:
        funds = spending.funds_left.get(campaign.advertiser_id, 0)
        return (
            Why.FUNDS,
            short
            + (
                f"The advertiser's funds ({plain_number(funds)} left, shared by its campaigns) run out "
                f"before the budget: add funds."
            ),
            None,
        )
    funnel = _funnel(campaign.id, placements, baseline, indexes, sampled_of, predict_ctr)
    if funnel.requests == 0:
        return (
            Why.INVENTORY,
            short + (f"No request was sampled on its placements from {baseline.start:%d %b} to {baseline.end:%d %b}."),
            funnel,
        )
    steps = [
        (Why.TARGETING, _lost(funnel.requests, funnel.matched)),
        (Why.FLOOR, _lost(funnel.matched, funnel.above_floor)),
        (Why.BID, _lost(funnel.above_floor, funnel.priced_in)),
        (Why.RULES, _lost(funnel.priced_in, funnel.served)),
    ]
    why, loss = max(steps, key=lambda step: step[1])  # the first of equal losses: the earlier step
    if loss < NOTABLE_LOSS:
        return (
            Why.INVENTORY,
            short
            + (
                f"It serves {funnel.served / funnel.requests:.1%} of the requests on its "
                "placements: they are too few for its budget."
            ),
            funnel,
        )
    words = {
        Why.TARGETING: f"Its targeting matches {1 - loss:.1%} of the requests on its placements: widen it.",
        Why.FLOOR: f"Its bid is under the floor on {loss:.1%} of the requests it matches: raise the bid.",
        Why.BID: f"Other line items rank above it in {loss:.1%} of the auctions it enters: raise the bid.",
        Why.RULES: (
            f"It would win {funnel.priced_in:,} sampled auctions on price but serves {funnel.served:,}: its "
            "frequency cap, day-parts, competitors on the page or pacing hold it back."
        ),
    }
    return why, short + words[why], funnel


def _funnel(
    campaign_id: str,
    placements: set[str],
    baseline: Baseline,
    indexes: dict[str, PlacementIndex],
    sampled_of: dict[str, list[date]],
    predict_ctr: PredictCtr,
) -> Funnel:
    """The campaign's sampled slots, step by step: its line items' targeting (the engine's
    own bitmaps), the floor, then its best eCPM against the bids the baseline recorded (the
    winners and the one below them, its own line items left out)."""
    requests = matched = above = priced = served = 0
    for pid in sorted(placements):
        index = indexes[pid]
        mine = [(n, c) for n, c in enumerate(index.candidates) if c.campaign.id == campaign_id]
        mask = sum(1 << n for n, _ in mine)
        own = {c.line_item.id for _, c in mine}
        ecpm = {
            n: auction.ecpm_micros(
                c.line_item.pricing,
                c.line_item.bid_micros,
                predict_ctr(c.creatives[0].id, pid, index.placement.format)
                if c.line_item.pricing is Pricing.CPC
                else 0.0,
            )
            for n, c in mine
        }
        matches: dict[int, int] = {}
        for day in sampled_of[pid]:
            served += baseline.placements[(day, pid)].impressions.get(campaign_id, 0)
            for slot in baseline.slots.get((day, pid), ()):
                requests += 1
                found = matches.get(slot.context)
                if found is None:
                    found = matches[slot.context] = index.matching(baseline.contexts[slot.context]) & mask
                if not found:
                    continue
                matched += 1
                best = max(ecpm[n] for n in bits(found))
                if best < slot.floor_micros:
                    continue
                above += 1
                others = sorted((b.ecpm_micros for b in slot.bids if b.line_item_id not in own), reverse=True)
                if len(others) >= slot.count and others[slot.count - 1] > best:
                    continue
                priced += 1
    return Funnel(requests, matched, above, priced, served)
