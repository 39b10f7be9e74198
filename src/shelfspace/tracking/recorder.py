"""The recorder: the one writer of the event log in its process, and the one place spend is charged.

Tracking requests hand their events to a queue and wait. One thread takes everything
queued, applies the rules that need other events (a key seen before is a duplicate and
stores nothing; the rest is `tracking/counting.py`'s, which the rollup applies too: a
click needs a counted impression of its ad, so do viewable and video events; too many
clicks from one user, device or address are a flood, and an address clicking far more
than people do is implausible; what a counted event costs is that module's too), charges
each counted billable event (a CPM impression, a CPC click) to its campaign through the
counters, capped atomically so the budget is never passed even when several processes
charge it at once, appends the batch with its charges to the log in one durable commit
(group commit: one disk sync for many requests) and only then answers. A charge whose append then fails stays in the counters: spend is over-counted,
never under, until the next rebuild from the log. An event another process stored in
the meantime (the same beacon sent to two) is refunded.

The rules' windows are this process's own, in memory and bounded (pruned by event time,
at most `WINDOW_KEYS` of them): with several processes, or a window forgotten, what is
charged here may differ from what the rollup counts, and the rollup is the authority
(`tracking/counting.py` says how the two relate).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

import prometheus_client
import structlog
from prometheus_client import CollectorRegistry

from shelfspace.core.buying import Pricing, unit_cost_micros
from shelfspace.counters.protocol import RESERVATION_SECONDS, Charge, Counters, Hold
from shelfspace.decisioning.ctr import PLACEMENT_WIDE
from shelfspace.decisioning.inventory import LiveCampaign
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType, InvalidReason, ad_event_key, invalid_key
from shelfspace.tracking.counting import (
    CLICKS_KEPT_PER_AD,
    DEFAULT_FLOOD,
    FloodRule,
    Judge,
    cost_of,
    judged_click_keys,
    needs_impression,
    repeat_click_key,
)

__all__ = ["FloodRule", "Recorder", "hold_of"]

log = structlog.get_logger(__name__)

MAX_BATCH = 2_000
PRUNE_EVERY_SECONDS = 60.0  # how often the rule's windows forget what has left them
# At most this many windows (users, devices, addresses, their placements) in memory, the
# least recently written forgotten first: about 90 MB at worst, and an hour of a busy
# process's distinct visitors in most networks.
WINDOW_KEYS = 100_000
Budgets = Callable[[str], LiveCampaign | None]
Stored = Callable[[list[str]], None]  # told the keys of newly stored events, before the answer


def hold_of(event: Event) -> Hold | None:
    """What the event's ad still holds from its budget, as far as the event can tell: a CPM
    ad held its one impression's cost until `RESERVATION_SECONDS` after it was served. A
    CPC ad held its expected cost, price x predicted CTR, which the event does not carry:
    a click leaves that small hold to lapse with its bucket (and most CPC ads are never
    clicked, so their holds lapse anyway). The realtime budget's bookkeeping, not a rule of
    what counts: the rollup holds nothing, so it lives here and not in `tracking/counting.py`."""
    ad = event.ad
    if ad is None or ad.pricing != Pricing.CPM:
        return None
    expires_at = ad.served_at + RESERVATION_SECONDS
    if event.time >= expires_at:
        return None  # lapsed: already given back
    return Hold(ad.ad_id, ad.campaign_id, ad.budget_day, unit_cost_micros(Pricing.CPM, ad.price_micros), expires_at)


class Recorder:
    def __init__(
        self,
        event_log: EventLog,
        counters: Counters,
        budgets: Budgets,
        flood: FloodRule = DEFAULT_FLOOD,
        on_stored: Stored | None = None,
        duplicates_counter: prometheus_client.Counter | None = None,
        refused_counter: prometheus_client.Counter | None = None,
        expected_ctr: Callable[[str], float] | None = None,
        window_keys: int = WINDOW_KEYS,
    ) -> None:
        self.event_log = event_log
        self.on_stored = on_stored  # the rollup runner wakes up, or the workers hear of the keys
        self.counters = counters
        self.budgets = budgets
        # The windows of `tracking/counting.py`, in event time, at most `window_keys` of them;
        # `expected_ctr`: placement id → its expected click rate (`counting.expected_ctr_of`
        # the snapshot's placements).
        self.judge = Judge(flood, max_keys=window_keys)
        if expected_ctr is not None:
            self.judge.expected_ctr = expected_ctr
        self._pruned_at = 0.0
        # Events sent again, by type: stored once, so the same stream always gives the same
        # report; their number is exported as `shelfspace_events_duplicate_total`.
        self.duplicates: Counter[EventType] = Counter()
        self.duplicates_counter = duplicates_counter
        # Tracking tokens refused (forged, altered, of another kind, expired), by type and
        # reason: counted, never stored (`shelfspace_tracking_refused_total`).
        self.refused: Counter[tuple[EventType, InvalidReason]] = Counter()
        self.refused_counter = refused_counter
        self._queue: queue.Queue[tuple[list[Event], Future[list[bool]]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def flood(self) -> FloodRule:
        return self.judge.rule

    @flood.setter
    def flood(self, rule: FloodRule) -> None:
        self.judge.rule = rule

    # --- life ----------------------------------------------------------------------------

    def start(self) -> None:
        self.ensure_restored()
        self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def ensure_restored(self) -> bool:
        """Load spend from the log into counters that lost it (a start, a Redis restart);
        True if this call did. Several processes may call at once: the log's lock and the
        second look make one of them do it."""
        if self.counters.restored():
            return False
        with self.event_log.restoring():
            if self.counters.restored():
                return False
            self.counters.restore(self.event_log.charged(), self.event_log.charged_by_account())
        log.info("spend_restored_from_log")
        return True

    def refuse(self, kind: EventType, reason: InvalidReason) -> None:
        """A tracking request whose token was refused: counted by reason, not stored."""
        self.refused[(kind, reason)] += 1
        if self.refused_counter is not None:
            self.refused_counter.labels(str(kind), str(reason)).inc()

    # --- recording -----------------------------------------------------------------------

    async def record(self, events: list[Event]) -> list[bool]:
        """Store the events; True for each counted for the first time. Returns once they are on disk."""
        done: Future[list[bool]] = Future()
        self._queue.put((events, done))
        return await asyncio.wrap_future(done)

    def record_now(self, events: list[Event]) -> list[bool]:
        """The same, from a thread that may block (jobs, replays, tests)."""
        if self._thread is None:
            return self._process(events)
        done: Future[list[bool]] = Future()
        self._queue.put((events, done))
        return done.result()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            events = [e for group, _ in batch for e in group]
            try:
                outcome = self._process(events)
            except Exception as error:  # nothing acknowledged: every waiter hears the error
                log.exception("event_log_append_failed", events=len(events))
                for _, done in batch:
                    done.set_exception(error)
                continue
            position = 0
            for group, done in batch:
                done.set_result(outcome[position : position + len(group)])
                position += len(group)

    def _process(self, events: Sequence[Event]) -> list[bool]:
        with self.event_log.charging():
            ruled, unbilled = self._apply_rules(events)
            stored = self.event_log.append(ruled)
        new_keys = [event.key for event, new in zip(ruled, stored, strict=True) if new]
        if self.on_stored is not None and new_keys:
            self.on_stored(new_keys)
        self._count([event for event, new in zip(ruled, stored, strict=True) if new])
        for position in unbilled:  # nothing charged (its campaign stopped): give back what the ad held
            if stored[position] and (hold := hold_of(ruled[position])) is not None:
                self.counters.release(hold)
        for event, new in zip(ruled, stored, strict=True):
            if new:
                continue
            self.duplicates[event.type] += 1
            if self.duplicates_counter is not None:
                self.duplicates_counter.labels(str(event.type)).inc()
            if event.charged_micros and event.ad is not None:  # another process stored it first
                self.counters.refund(
                    event.ad.campaign_id, event.ad.budget_day, event.charged_micros, event.ad.advertiser_id
                )
        return [new and event.counted for event, new in zip(ruled, stored, strict=True)]

    def _apply_rules(self, events: Sequence[Event]) -> tuple[list[Event], list[int]]:
        """Each event with the rules that need other events applied, and its charge (the
        batch's charges settled together: one round trip to shared counters); and the
        positions of billable events that charge nothing because their campaign stopped."""
        clicks = [e.ad.ad_id for e in events if e.type is EventType.CLICK and e.ad is not None]
        followers = [e for e in events if needs_impression(e)]
        lookups = {e.key for e in events}
        lookups |= {ad_event_key(EventType.IMPRESSION, ad_id) for ad_id in clicks}
        lookups |= {ad_event_key(EventType.IMPRESSION, e.ad.ad_id) for e in followers if e.ad is not None}
        known = self.event_log.contains(lookups)
        tries = self._click_tries(clicks)
        known |= {key for state in tries.values() for key in state.keys}
        # Pruned as of the batch's earliest event: none of its events loses what it may see.
        if events and (earliest := min(e.time for e in events)) - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.judge.prune(earliest)
            self._pruned_at = earliest
        ruled: list[Event] = []
        billed: list[tuple[int, Charge]] = []  # (position in `ruled`, its charge)
        unbilled: list[int] = []
        for event in events:
            if event.type is EventType.CLICK and event.counted and event.ad is not None:
                event = self._keyed_click(event, tries[event.ad.ad_id], known)
            if (
                event.key not in known
                and event.counted
                and needs_impression(event)
                and event.ad is not None
                and ad_event_key(EventType.IMPRESSION, event.ad.ad_id) not in known
            ):
                # Kept under its own key: one viewable (or quartile) per ad, whenever it came.
                # The rollup judges it again by its time against the impression's.
                event = replace(event, invalid=InvalidReason.NO_IMPRESSION)
            if (
                event.key not in known
                and event.type is EventType.SURVEY
                and event.counted
                and self.judge.answer_flooded(event)
            ):
                reason = InvalidReason.ANSWER_FLOOD
                event = replace(event, key=invalid_key(event.key, reason), invalid=reason)
            if event.key not in known:  # sent before: the log keeps the first, nothing is charged
                known.add(event.key)
                if event.type is EventType.IMPRESSION and event.counted:
                    self.judge.impression(event)
                if (charge := self._charge_of(event)) is not None:
                    billed.append((len(ruled), charge))
                elif cost_of(event) and event.ad is not None:
                    unbilled.append(len(ruled))
            ruled.append(event)
        charged = self.counters.settle_all([charge for _, charge in billed])
        for (position, _), micros in zip(billed, charged, strict=True):
            if micros:
                ruled[position] = replace(ruled[position], charged_micros=micros)
        return ruled, unbilled

    def _click_tries(self, ad_ids: Sequence[str]) -> dict[str, _Tries]:
        """What the log holds of these ads' judged clicks: how many, and whether one counted."""
        tries = {ad_id: _Tries() for ad_id in ad_ids}
        if tries:
            for stored in self.event_log.get(key for ad_id in tries for key in judged_click_keys(ad_id)):
                if stored.ad is not None and stored.ad.ad_id in tries:
                    tries[stored.ad.ad_id].took(stored)
        return tries

    def _keyed_click(self, click: Event, state: _Tries, known: set[str]) -> Event:
        """The click under the key the shared rule gives it (`tracking/counting.py`,
        `judged_click_keys`) with its realtime verdict: the ad's first click under its
        verdict's key; a later one under the next repeat key, a repeat if a click of the ad
        counted already (judged again by the rollup), else judged now; past the kept
        number, the last repeat key, which the log already holds (dropped as sent again).
        A click at the very time of a kept one is that click sent again: its key."""
        assert click.ad is not None
        ad_id = click.ad.ad_id
        if (same := state.at.get(click.time)) is not None:  # this very click, sent again
            return replace(click, key=same)
        if len(state.keys) >= CLICKS_KEPT_PER_AD:
            return replace(click, key=repeat_click_key(ad_id, CLICKS_KEPT_PER_AD))
        if state.keys:
            reason = InvalidReason.REPEAT_CLICK if state.counted else self._click_rule(click, known)
            click = replace(click, key=repeat_click_key(ad_id, len(state.keys) + 1), invalid=reason)
        else:
            reason = self._click_rule(click, known)
            if reason is not None:
                click = replace(click, key=ad_event_key(click.type, ad_id, reason), invalid=reason)
        state.took(click)
        return click

    def _click_rule(self, click: Event, known: set[str]) -> InvalidReason | None:
        """The click rule of `tracking/counting.py`; the impression stored before this click
        is taken as happening before it (its exact time is the rollup's to weigh)."""
        assert click.ad is not None
        seen = ad_event_key(EventType.IMPRESSION, click.ad.ad_id) in known
        return self.judge.click(click, click.time if seen else None)

    def _charge_of(self, event: Event) -> Charge | None:
        """What a counted billable event settles (giving back its hold), if anything."""
        cost = cost_of(event)
        if not cost or event.ad is None:
            return None
        campaign = self.budgets(event.ad.campaign_id)
        if campaign is None:  # stopped since it served: counted, not charged
            return None
        return Charge(hold_of(event), campaign.limits(event.ad.budget_day), cost)

    def _count(self, stored: Sequence[Event]) -> None:
        """Newly stored events: their counted (valid) impressions and clicks for predicted
        CTR, per creative and placement and per placement (`decisioning/ctr.py`
        PLACEMENT_WIDE), in one step. Invalid traffic never teaches the model."""
        ctr: dict[tuple[str, str], tuple[int, int]] = {}
        for event in stored:
            ad = event.ad
            if ad is None or not event.counted or event.type not in (EventType.IMPRESSION, EventType.CLICK):
                continue
            for place in ((ad.creative_id, ad.placement_id), (PLACEMENT_WIDE, ad.placement_id)):
                seen, clicked = ctr.get(place, (0, 0))
                ctr[place] = (seen + 1, clicked) if event.type is EventType.IMPRESSION else (seen, clicked + 1)
        self.counters.count_ctr_all(ctr)


@dataclass(slots=True)
class _Tries:
    """One ad's judged clicks as the log (and the batch so far) holds them."""

    keys: list[str] = field(default_factory=list)
    at: dict[float, str] = field(default_factory=dict)  # a kept click's time -> its key
    counted: bool = False

    def took(self, click: Event) -> None:
        self.keys.append(click.key)
        self.at.setdefault(click.time, click.key)
        self.counted = self.counted or click.invalid is None


def duplicates_metric(registry: CollectorRegistry) -> prometheus_client.Counter:
    """`shelfspace_events_duplicate_total{type}`: events sent again, stored and counted once.
    A real Prometheus counter, so that several processes' counts add up on /metrics."""
    return prometheus_client.Counter(
        "shelfspace_events_duplicate", "Events sent again: stored and counted once.", ["type"], registry=registry
    )


def refused_metric(registry: CollectorRegistry) -> prometheus_client.Counter:
    """`shelfspace_tracking_refused_total{type,reason}`: tracking requests whose token was
    refused (`bad_signature`: forged, altered, garbage or of another kind; `expired`)."""
    return prometheus_client.Counter(
        "shelfspace_tracking_refused",
        "Tracking requests whose token was refused: counted, not stored.",
        ["type", "reason"],
        registry=registry,
    )
