"""The recorder and the rollup apply one set of spend rules (`tracking/counting.py`).

Any stream of impressions and clicks (users, devices, addresses, placements, prices, CPM
and CPC, times) is split across one to three recorders (processes: each its own windows,
all one log and one set of counters); the day is then rolled from the log. What the
rollup counts, and what it costs, is what the shared rules say of the whole stream,
however it was split; with one process, the recorder counted and charged exactly that
too. The realtime judge's memory is bounded, and forgetting never moves the rollup. An
ad may be clicked several times, in several processes, past the number of its clicks the
log keeps; the test at the end is the case that once got away (a later click of an ad
whose first click one process took for valid and the rollup did not)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.core.buying import Pacing, Pricing
from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.inventory import LiveCampaign
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason, ad_event_key
from shelfspace.reporting.rollup import Budget, DayFold
from shelfspace.tracking.counting import CLICKS_KEPT_PER_AD, DEFAULT_FLOOD, DEVICE, SOURCE, FloodRule, Judge, cost_of
from shelfspace.tracking.recorder import Recorder

DAY = datetime(2026, 12, 1, tzinfo=UTC)
START = (DAY + timedelta(hours=1)).timestamp()  # every event falls within the day
DAY_SPAN = (DAY.timestamp(), (DAY + timedelta(days=1)).timestamp())
CAMPAIGNS = ("c1", "c2")
BIG = 10**15  # budgets no stream reaches: capping is the spender's, not the rules'
LIVE = {c: LiveCampaign(c, "a1", DAY - timedelta(days=1), None, BIG, None, Pacing.ASAP, 0) for c in CAMPAIGNS}
BUDGETS = {c: Budget(BIG, None) for c in CAMPAIGNS}
# Tight limits, so that short streams meet every rule: floods per user, device and address,
# and the plausibility of an address's (and a user's) click rate on a placement.
TIGHT = FloodRule(
    max_clicks=2,
    seconds=30.0,
    max_device_clicks=2,
    max_address_clicks=3,
    ctr_multiple=2.0,
    plausible_clicks=1,
    plausible_seconds=300.0,
)
FLOODS = FloodRule(
    max_clicks=3, seconds=60.0, max_device_clicks=2, max_address_clicks=4, ctr_multiple=1_000.0, plausible_clicks=100
)  # floods alone: every rate is plausible
RULES = (TIGHT, FLOODS, DEFAULT_FLOOD)
CTR = {"hero": 0.25, "grid": 0.05, "rail": 0.1, "tile": 0.5}  # placement → its expected click rate


def expected_ctr(placement_id: str) -> float:
    return CTR[placement_id]


@dataclass(frozen=True, slots=True)
class Ad:
    """One served ad and what happens to it: its impression (if any, and whether a bot
    sent it) and the times of its clicks, relative to `START`."""

    n: int
    pricing: Pricing
    price: int
    placement: str
    campaign: str
    user: str | None
    address: str | None
    agent: int
    impression: float | None
    bot_impression: bool
    clicks: tuple[tuple[float, bool], ...]  # (time, sent by a prefetcher)

    def facts(self) -> AdFacts:
        return AdFacts(
            ad_id=f"ad{self.n}",
            placement_id=self.placement,
            advertiser_id="a1",
            campaign_id=self.campaign,
            line_item_id=f"li{self.n % 3}",
            creative_id=f"cr{self.n % 2}",
            sku=None,
            pricing=self.pricing,
            price_micros=self.price,
            user_id=self.user,
            served_at=int(START),
            budget_day="2026-12-01",
        )

    def events(self) -> list[Event]:
        facts, data = self.facts(), None
        if self.address is not None:
            data = {SOURCE: self.address, DEVICE: f"{self.address}/{self.agent}"}

        def event(kind: EventType, moment: float, invalid: InvalidReason | None = None) -> Event:
            return Event(
                ad_event_key(kind, facts.ad_id, invalid),
                kind,
                START + moment,
                facts,
                self.user,
                invalid=invalid,
                data=data,
            )

        found = []
        if self.impression is not None:
            found.append(event(EventType.IMPRESSION, self.impression))
        if self.bot_impression:
            found.append(event(EventType.IMPRESSION, self.impression or 0.0, InvalidReason.BOT))
        found += [
            event(EventType.CLICK, moment, InvalidReason.PREFETCH if prefetch else None)
            for moment, prefetch in self.clicks
        ]
        return found


half_seconds = st.integers(0, 80).map(lambda n: n / 2)  # a busy forty seconds
# A click never at the very moment of its ad's impression: that tie is decided by the
# rollup's (time, key) order, which puts "click:" first, and by arrival in real time.
# Most come within half a minute (a few before it); some after the windows have passed.
soon, late = st.integers(-6, 60).filter(lambda n: n != 0), st.integers(120, 1_400)
delays = st.integers(0, 3).flatmap(lambda pick: late if pick == 0 else soon).map(lambda n: n / 2)


@st.composite
def ads(draw: st.DrawFn, n: int) -> Ad:
    impression = None if draw(st.integers(0, 4)) == 0 else draw(half_seconds)
    base = impression if impression is not None else draw(half_seconds)
    clicks = draw(
        st.lists(
            st.tuples(delays.map(lambda d: base + d), st.booleans().map(lambda b: b and n % 7 == 0)),
            max_size=CLICKS_KEPT_PER_AD + 2,  # past the kept number too
            unique_by=lambda c: c[0],
        )
    )
    return Ad(
        n,
        draw(st.sampled_from(Pricing)),
        draw(st.integers(1, 5_000_000)),
        draw(st.sampled_from(sorted(CTR))),
        draw(st.sampled_from(CAMPAIGNS)),
        draw(st.sampled_from(["u1", "u2", "u3", None])),
        draw(st.sampled_from(["addr1", "addr2", None])),
        draw(st.integers(0, 1)),
        impression,
        draw(st.booleans()) and n % 5 == 0,
        tuple(clicks),
    )


@dataclass(frozen=True, slots=True)
class Stream:
    sent: list[tuple[int, Event]]  # in arrival order, each with the process it reaches
    processes: int
    rule: FloodRule

    def events(self) -> list[Event]:
        return [event for _, event in self.sent]


@st.composite
def streams(draw: st.DrawFn, processes: st.SearchStrategy[int]) -> Stream:
    """Events in arrival order, each with the process it reaches (a few sent to two), and the rule."""
    count = draw(st.integers(1, 40))
    events = [e for n in range(count) for e in draw(ads(n)).events()]
    many = draw(processes)
    sent = []
    for event in events:
        process = draw(st.integers(0, many - 1))
        sent.append((process, event))
        if draw(st.integers(0, 9)) == 0:  # the same beacon, sent again (to another process, if any)
            sent.append(((process + 1) % many, event))
    sent.sort(key=lambda pair: (pair[1].time, pair[1].key))
    return Stream(sent, many, draw(st.sampled_from(RULES)))


@dataclass(frozen=True, slots=True)
class Outcome:
    counted: frozenset[tuple[EventType, str]]  # (kind, ad id) of each counted impression and click
    spend: dict[str, int]  # campaign → micros


def by_the_rules(stream: Sequence[Event], rule: FloodRule) -> Outcome:
    """The shared rules applied directly to the whole stream's distinct events, in time order."""
    distinct = sorted({(e.key, e.time): e for e in stream}.values(), key=lambda e: (e.time, e.key))
    impressions = {e.ad.ad_id: e.time for e in distinct if e.type is EventType.IMPRESSION and e.counted and e.ad}
    judge = Judge(rule, expected_ctr=expected_ctr)
    counted: set[tuple[EventType, str]] = set()
    tries: Counter[str] = Counter()  # an ad's clicks judged so far: the rules judge its first CLICKS_KEPT_PER_AD
    spend: Counter[str] = Counter()
    for event in distinct:
        assert event.ad is not None
        ad_id = event.ad.ad_id
        if not event.counted or (event.type, ad_id) in counted:
            continue
        if event.type is EventType.IMPRESSION:
            judge.impression(event)
        else:
            tries[ad_id] += 1
            if tries[ad_id] > CLICKS_KEPT_PER_AD or judge.click(event, impressions.get(ad_id)) is not None:
                continue
        counted.add((event.type, ad_id))
        spend[event.ad.campaign_id] += cost_of(event)
    return Outcome(frozenset(counted), {c: spend[c] for c in CAMPAIGNS})


def record(
    stream: Stream, window_keys: int = 100_000
) -> tuple[MemoryEventLog, list[Recorder], set[tuple[EventType, str]]]:
    """Feed each process its events as they arrive (a run of them to one process is one
    batch); the processes share the log and the counters. Returns what each said it counted."""
    log, counters = MemoryEventLog(), MemoryCounters()
    recorders = [
        Recorder(log, counters, budgets=LIVE.get, flood=stream.rule, expected_ctr=expected_ctr, window_keys=window_keys)
        for _ in range(stream.processes)
    ]
    said: set[tuple[EventType, str]] = set()
    for process, run in groupby(stream.sent, key=lambda pair: pair[0]):
        batch = [event for _, event in run]
        for event, counted in zip(batch, recorders[process].record_now(batch), strict=True):
            if counted:
                assert event.ad is not None
                said.add((event.type, event.ad.ad_id))
    return log, recorders, said


def rolled(log: MemoryEventLog, rule: FloodRule) -> Outcome:
    """The day rolled from the log, as `reporting/job.py` rolls it."""
    events = log.between(*DAY_SPAN)
    ads = {e.ad.ad_id for e in events if e.ad is not None}
    impressions = {e.ad.ad_id: e.time for e in log.get(ad_event_key(EventType.IMPRESSION, a) for a in ads) if e.ad}
    fold = DayFold(
        tz=ZoneInfo("UTC"),
        impression_times=impressions,
        channel_of=lambda _: "web",
        budgets=BUDGETS,
        spent_before={},
        flood=rule,
        expected_ctr=expected_ctr,
    )
    fold.feed(sorted(events, key=lambda e: (e.time, e.key)))
    hours, _ = fold.take()
    shown = {
        (EventType.IMPRESSION, e.ad.ad_id)
        for e in events
        if e.type is EventType.IMPRESSION and e.counted and e.ad is not None
    }
    clicked = {(EventType.CLICK, ad_id) for ad_id, state in fold.clicks.items() if state.counted}
    spend: Counter[str] = Counter()
    for (_, dims), delivery in hours.items():
        spend[dims.campaign_id] += delivery.spend_micros
    assert sum(d.impressions for d in hours.values()) == len(shown)
    assert sum(d.clicks for d in hours.values()) == len(clicked)
    return Outcome(frozenset(shown | clicked), {c: spend[c] for c in CAMPAIGNS})


def charged(log: MemoryEventLog) -> dict[str, int]:
    spend: Counter[str] = Counter()
    for campaign, _, micros in log.charged():
        spend[campaign] += micros
    return {c: spend[c] for c in CAMPAIGNS}


@settings(max_examples=120, deadline=None)
@given(streams(st.just(1)))
def test_one_process_the_recorder_counts_and_charges_what_the_rollup_counts(stream: Stream) -> None:
    log, _, said = record(stream)
    expected = by_the_rules(stream.events(), stream.rule)
    assert rolled(log, stream.rule) == expected
    assert said == expected.counted
    assert charged(log) == expected.spend


@settings(max_examples=120, deadline=None)
@given(streams(st.integers(1, 3)))
def test_any_split_across_processes_the_rollup_counts_what_the_rules_say(stream: Stream) -> None:
    log, _, _ = record(stream)
    assert rolled(log, stream.rule) == by_the_rules(stream.events(), stream.rule)


@settings(max_examples=40, deadline=None)
@given(streams(st.integers(1, 3)))
def test_a_realtime_judge_that_forgets_leaves_the_rollup_as_it_was(stream: Stream) -> None:
    log, recorders, _ = record(stream, window_keys=16)
    assert all(len(r.judge.windows) <= 16 for r in recorders)
    assert rolled(log, stream.rule) == by_the_rules(stream.events(), stream.rule)


def test_the_realtime_windows_stay_bounded_over_a_long_life() -> None:
    """Six hours of one click a second from ever new users, addresses and placements: an
    hour's windows would be some 20,000, and the cap holds them to 5,000, the least
    recently written forgotten first."""
    judge = Judge(DEFAULT_FLOOD, max_keys=5_000)
    pruned_at, most = 0, 0
    for second in range(6 * 3_600):
        facts = AdFacts(
            ad_id=f"ad{second}",
            placement_id=f"p{second % 997}",
            advertiser_id="a1",
            campaign_id="c1",
            line_item_id="li",
            creative_id="cr",
            sku=None,
            pricing=Pricing.CPC,
            price_micros=1,
            user_id=f"u{second}",
            served_at=int(START),
            budget_day="2026-12-01",
        )
        data = {SOURCE: f"addr{second}", DEVICE: f"dev{second}"}
        judge.impression(
            Event(f"impression:ad{second}", EventType.IMPRESSION, START + second, facts, facts.user_id, data=data)
        )
        assert (
            judge.click(
                Event(f"click:ad{second}", EventType.CLICK, START + second + 1, facts, facts.user_id, data=data),
                START + second,
            )
            is None
        )
        if second - pruned_at > 60:
            judge.prune(START + second)
            pruned_at = second
        most = max(most, len(judge.windows))
    assert most == 5_000 and judge.evicted > 0
    assert f"user:u{6 * 3_600 - 1}" in judge.windows and "user:u0" not in judge.windows


def test_a_later_click_of_an_ad_another_process_stored_otherwise_reaches_the_rollup() -> None:
    """One user clicks two ads of one placement at once, each reaching another process:
    each process finds its click plausible (the first of that user there), all of them
    together do not (TIGHT: one click of evidence, then two impressions' worth), so the
    rollup refuses the second. Five minutes later the user clicks that ad again: by then
    the rate is plausible, and the rules count it; the process that stored the first click
    under its valid key stores the second as a repeat, and the rollup counts it."""
    first, second = (
        Ad(n, Pricing.CPC, 400_000, "hero", "c1", "u1", None, 0, 0.0, False, clicks)
        for n, clicks in ((1, ((0.5, False),)), (2, ((0.5, False), (301.0, False))))
    )
    sent = [(0, e) for e in first.events() if e.type is EventType.IMPRESSION]
    sent += [(1, e) for e in second.events() if e.type is EventType.IMPRESSION]
    sent += [(0, e) for e in first.events() if e.type is EventType.CLICK]
    sent += [(1, e) for e in second.events() if e.type is EventType.CLICK]
    stream = Stream(sorted(sent, key=lambda pair: (pair[1].time, pair[1].key)), 2, TIGHT)
    log, _, _ = record(stream)
    assert rolled(log, TIGHT) == by_the_rules(stream.events(), TIGHT)
