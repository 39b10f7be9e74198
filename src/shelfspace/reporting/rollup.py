"""One local day of ad events turned into rollup rows: a pure function of the events.

The rows depend on which distinct events exist, never on the order they arrived in, so
the same stream sent in any order and with any repetition gives the same report:
- an impression counts unless it was invalid traffic when it came (bot, prefetch, a
  user agent no person's software sends); a viewable impression, or a video player's
  progress, counts only if a counted impression of its ad happened at or before it (any
  day), whatever was decided when it arrived. A counted impression of a known user is a
  view for attribution; a counted viewable event of a known user is a viewable view: the
  views the viewable-only view-through rule credits;
- a click counts once per ad, under the click rule of `tracking/counting.py` (the one the
  recorder applies as clicks arrive): after a counted impression of its ad, within the
  flood limits of its user, device and address, at a plausible rate for its address; a
  click that never meets the rule is one invalid click (with the reason of its latest
  try), whatever was decided when it arrived;
- spend is the cost of each counted billable event (`tracking/counting.py` cost_of, CPM:
  price / 1000 at the impression; CPC: the price at the click), in time order, capped by the campaign's daily budget on
  that day and by what its total budget had left before the day, and, for an advertiser
  paying from limited funds (a wallet, a capped credit line), by what those funds had
  left across all its campaigns.

Pure: no clock, no I/O, no thread, and nothing of the recorder's (`tracking/recorder.py`,
threaded); the rules come from `tracking/counting.py`, the one module both apply. Where
the recorder's realtime charges and these rows differ (several processes, a window the
recorder forgot), these rows are the authority: reports and invoices are made of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason, VideoEvent
from shelfspace.tracking.counting import DEFAULT_FLOOD, FINAL_REASONS, FloodRule, Judge, cost_of, follows_impression

__all__ = [
    "FINAL_REASONS",
    "AdDims",
    "Budget",
    "ClickState",
    "Counted",
    "DayFold",
    "DayRollup",
    "Delivery",
    "Funds",
    "roll_day",
]
NO_AD = ""


@dataclass(frozen=True, slots=True)
class AdDims:
    advertiser_id: str
    campaign_id: str
    line_item_id: str
    creative_id: str
    placement_id: str
    channel: str
    sku: str

    @classmethod
    def of(cls, facts: AdFacts | None, channel_of: Callable[[str], str]) -> AdDims:
        if facts is None:  # a forged URL: invalid traffic that belongs to no ad
            return cls(NO_AD, NO_AD, NO_AD, NO_AD, NO_AD, NO_AD, NO_AD)
        return cls(
            facts.advertiser_id,
            facts.campaign_id,
            facts.line_item_id,
            facts.creative_id,
            facts.placement_id,
            channel_of(facts.placement_id),
            facts.sku or "",
        )


@dataclass(slots=True, kw_only=True)
class Delivery:
    impressions: int = 0
    viewable_impressions: int = 0
    clicks: int = 0
    spend_micros: int = 0
    invalid_impressions: int = 0
    invalid_viewable_impressions: int = 0
    invalid_clicks: int = 0
    video_starts: int = 0
    video_first_quartiles: int = 0
    video_midpoints: int = 0
    video_third_quartiles: int = 0
    video_completes: int = 0


@dataclass(frozen=True, slots=True)
class Counted:
    """A counted impression (a view), viewable event or click of a known user, for
    attribution (which of the two views earns credit is the network's view-through rule)."""

    ad_id: str
    kind: str  # "view", "viewable" or "click": an InteractionKind's value
    hour: int
    time: float
    user_id: str
    dims: AdDims


@dataclass(frozen=True, slots=True)
class Budget:
    total_micros: int
    daily_micros: int | None


@dataclass(slots=True)
class DayRollup:
    hours: dict[tuple[int, AdDims], Delivery] = field(default_factory=dict)
    counted: list[Counted] = field(default_factory=list)

    def spend_by_campaign(self) -> dict[str, int]:
        spend: dict[str, int] = defaultdict(int)
        for (_, dims), delivery in self.hours.items():
            spend[dims.campaign_id] += delivery.spend_micros
        return dict(spend)


@dataclass(frozen=True, slots=True)
class Funds:
    """Advertisers' limited funds, and what each had been charged before the day rolled."""

    limits: Mapping[str, int] = field(default_factory=dict)
    spent_before: Mapping[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Spender:
    budgets: Mapping[str, Budget]
    spent_before: Mapping[str, int]
    funds: Funds
    today: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    account_today: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def charge(self, dims: AdDims, cost: int) -> int:
        campaign_id, advertiser_id = dims.campaign_id, dims.advertiser_id
        budget = self.budgets.get(campaign_id)
        if budget is None:  # deleted from the catalogue: nothing to cap against, nothing billed
            return 0
        room = budget.total_micros - self.spent_before.get(campaign_id, 0) - self.today[campaign_id]
        if budget.daily_micros is not None:
            room = min(room, budget.daily_micros - self.today[campaign_id])
        limit = self.funds.limits.get(advertiser_id)
        if limit is not None:
            room = min(room, limit - self.funds.spent_before.get(advertiser_id, 0) - self.account_today[advertiser_id])
        charged = max(0, min(cost, room))
        self.today[campaign_id] += charged
        self.account_today[advertiser_id] += charged
        return charged


DELIVERY_EVENTS = frozenset({EventType.IMPRESSION, EventType.VIEWABLE, EventType.CLICK, EventType.VIDEO})
# A player's progress event -> the delivery count it adds to (errors are kept in the log only).
VIDEO_COUNTS = {
    VideoEvent.START: "video_starts",
    VideoEvent.FIRST_QUARTILE: "video_first_quartiles",
    VideoEvent.MIDPOINT: "video_midpoints",
    VideoEvent.THIRD_QUARTILE: "video_third_quartiles",
    VideoEvent.COMPLETE: "video_completes",
}


@dataclass(slots=True)
class ClickState:
    """What a day knows of one ad's clicks: whether one counted, and if none did yet, the
    hour and ad where its one invalid click is counted."""

    counted: bool = False
    unmet: tuple[int, AdDims] | None = None


class DayFold:
    """`roll_day` as a left fold over a day's events in (time, key) order, with its state in
    the open, so a fold can stop after any prefix and go on later from that state.

    `hours` holds what the events fed so far add to the rollup rows (an ad's invalid click
    moves as the rule decides: -1 where it was, +1 where it goes, so the rows after any
    prefix are the rows of that prefix, with no step at the end); `counted` the counted
    interactions of the events fed; `clicks` the per-ad state (seeded with what earlier
    events left, for the ads about to be fed); `judge` the click rule's windows (seeded
    with `recent`, as `recent_after` left them); the spender what each campaign and advertiser was
    charged so far today, and `uncapped` what it would have been with no cap."""

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        impression_times: Mapping[str, float],
        channel_of: Callable[[str], str],
        budgets: Mapping[str, Budget],
        spent_before: Mapping[str, int],
        flood: FloodRule = DEFAULT_FLOOD,
        funds: Funds = Funds(),
        clicks: dict[str, ClickState] | None = None,
        recent: Mapping[str, Sequence[float]] | None = None,
        today: Mapping[str, int] | None = None,
        account_today: Mapping[str, int] | None = None,
        uncapped: Mapping[str, int] | None = None,
        expected_ctr: Callable[[str], float] | None = None,
    ) -> None:
        self.tz = tz
        self.impression_times = impression_times
        self.channel_of = channel_of
        self.flood = flood
        self.spender = _Spender(budgets, spent_before, funds)
        self.spender.today.update(today or {})
        self.spender.account_today.update(account_today or {})
        self.uncapped: dict[str, int] = defaultdict(int, uncapped or {})
        self.clicks: dict[str, ClickState] = clicks if clicks is not None else {}
        self.judge = Judge(flood, recent) if expected_ctr is None else Judge(flood, recent, expected_ctr)
        self.hours: dict[tuple[int, AdDims], Delivery] = {}
        self.counted: list[Counted] = []
        self.touched: set[str] = set()  # ads whose click state the events fed changed
        self._hour_cache: tuple[float, float, int] = (0.0, -1.0, 0)

    def _hour(self, moment: float) -> int:
        start, end, hour = self._hour_cache
        if start <= moment < end:
            return hour
        local = datetime.fromtimestamp(moment, self.tz)
        hour = local.hour
        begin = moment - (local.minute * 60 + local.second + local.microsecond / 1e6)
        # Reused for the rest of this local hour (a millisecond's margin for the float
        # arithmetic at each end), unless a clock change falls inside it.
        if (
            datetime.fromtimestamp(begin, self.tz).hour == hour
            and datetime.fromtimestamp(begin + 3599, self.tz).hour == hour
        ):
            self._hour_cache = (begin + 0.001, begin + 3599, hour)
        return hour

    def _charge(self, dims: AdDims, cost: int) -> int:
        self.uncapped[dims.campaign_id] += cost
        return self.spender.charge(dims, cost)

    def _place_unmet(self, ad_id: str, state: ClickState, where: tuple[int, AdDims]) -> None:
        if state.unmet is not None:
            self.hours.setdefault(state.unmet, Delivery()).invalid_clicks -= 1
        self.hours.setdefault(where, Delivery()).invalid_clicks += 1
        state.unmet = where
        self.touched.add(ad_id)

    def feed(self, events: Iterable[Event]) -> None:
        """Fold these events in; they must come in (time, key) order, after all fed before."""
        for event in events:
            if event.type not in DELIVERY_EVENTS:
                continue  # video progress is kept in the log; delivery counts do not include it
            hour = self._hour(event.time)
            dims = AdDims.of(event.ad, self.channel_of)
            row = self.hours.get((hour, dims))
            if row is None:
                row = self.hours[(hour, dims)] = Delivery()
            if event.type is EventType.IMPRESSION:
                if event.invalid is not None:
                    row.invalid_impressions += 1
                    continue
                row.impressions += 1
                assert event.ad is not None
                self.judge.impression(event)
                row.spend_micros += self._charge(dims, cost_of(event))
                if event.user_id:
                    self.counted.append(Counted(event.ad.ad_id, "view", hour, event.time, event.user_id, dims))
            elif event.type is EventType.VIDEO:
                progress = VIDEO_COUNTS.get(VideoEvent((event.data or {}).get("event", VideoEvent.ERROR)))
                if progress is not None and self._after_impression(event):
                    setattr(row, progress, getattr(row, progress) + 1)
            elif event.type is EventType.VIEWABLE:
                if not self._after_impression(event):
                    row.invalid_viewable_impressions += 1
                    continue
                row.viewable_impressions += 1
                if event.user_id and event.ad is not None:  # a view under the viewable-only rule, once
                    self.counted.append(Counted(event.ad.ad_id, "viewable", hour, event.time, event.user_id, dims))
            elif event.type is EventType.CLICK:
                if event.invalid in FINAL_REASONS or event.ad is None:
                    row.invalid_clicks += 1
                    continue
                ad_id = event.ad.ad_id
                state = self.clicks.get(ad_id)
                if state is None:
                    state = self.clicks[ad_id] = ClickState()
                if state.counted:
                    continue  # the same click, recorded again under another decision
                reason = self.judge.click(event, self.impression_times.get(ad_id))
                if reason is InvalidReason.CLICK_WITHOUT_IMPRESSION:
                    if state.unmet is None:  # the first such click places the invalid one
                        self._place_unmet(ad_id, state, (hour, dims))
                    continue
                if reason is not None:
                    self._place_unmet(ad_id, state, (hour, dims))  # the latest flood places it
                    continue
                state.counted = True
                self.touched.add(ad_id)
                if state.unmet is not None:
                    self.hours.setdefault(state.unmet, Delivery()).invalid_clicks -= 1
                    state.unmet = None
                row.clicks += 1
                counted = Event(event.key, event.type, event.time, event.ad, event.user_id)  # judged valid here
                row.spend_micros += self._charge(dims, cost_of(counted))
                if event.user_id:
                    self.counted.append(Counted(ad_id, "click", hour, event.time, event.user_id, dims))

    def _after_impression(self, event: Event) -> bool:
        """A viewable or video event counts if it was not invalid by its request alone and
        a counted impression of its ad came at or before it."""
        if event.invalid in FINAL_REASONS or event.ad is None:
            return False
        return follows_impression(event, self.impression_times.get(event.ad.ad_id))

    def recent_after(self, moment: float) -> dict[str, list[float]]:
        """The click rule's windows as any event at or after `moment` can see them."""
        return self.judge.after(moment)

    def take(self) -> tuple[dict[tuple[int, AdDims], Delivery], list[Counted]]:
        """What the events fed since the last `take` added; the fold goes on from its state."""
        hours, counted = self.hours, self.counted
        self.hours, self.counted = {}, []
        return hours, counted


def roll_day(
    events: Sequence[Event],
    tz: ZoneInfo,
    impression_times: Mapping[str, float],
    channel_of: Callable[[str], str],
    budgets: Mapping[str, Budget],
    spent_before: Mapping[str, int],
    flood: FloodRule = DEFAULT_FLOOD,
    funds: Funds = Funds(),
) -> DayRollup:
    """`events`: every ad event of one local day; `impression_times`: ad id → time of its
    counted impression, for the day's clicks and viewable events (the impression may be the
    day before)."""
    fold = DayFold(
        tz=tz,
        impression_times=impression_times,
        channel_of=channel_of,
        budgets=budgets,
        spent_before=spent_before,
        flood=flood,
        funds=funds,
    )
    fold.feed(sorted(events, key=lambda e: (e.time, e.key)))
    hours, counted = fold.take()
    return DayRollup(hours, counted)
