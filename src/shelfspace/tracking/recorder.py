"""The recorder: the one writer of the event log, and the one place spend is charged.

Tracking requests hand their events to a queue and wait. One thread takes everything
queued, applies the rules that need other events (a key seen before is a duplicate and
stores nothing; a click needs a counted impression of its ad; too many clicks from one
user are a flood), appends the batch to the log in one durable commit (group commit: one
disk sync for many requests) and only then answers. A counted billable event, a CPM
impression or a CPC click, is charged to its campaign through the counters after it is
on disk, capped so the budget is never passed; the charge is written in the log row.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace

import structlog
from prometheus_client.metrics_core import CounterMetricFamily
from prometheus_client.registry import Collector

from shelfspace.counters.protocol import BudgetLimits, Counters
from shelfspace.decisioning.auction import MICROS_PER_MILLE
from shelfspace.decisioning.inventory import LiveCampaign
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType, InvalidReason, ad_event_key

log = structlog.get_logger(__name__)

MAX_BATCH = 2_000
Budgets = Callable[[str], LiveCampaign | None]


@dataclass(frozen=True, slots=True)
class FloodRule:
    """More than `max_clicks` counted clicks from one user within `seconds` is a flood."""

    max_clicks: int = 5
    seconds: float = 60.0


def cost_of(event: Event) -> int:
    """What a counted event costs its campaign: a CPM impression price/1000, a CPC click its price."""
    ad = event.ad
    if ad is None or not event.counted:
        return 0
    if event.type is EventType.IMPRESSION and ad.pricing == "cpm":
        return max(1, ad.price_micros // MICROS_PER_MILLE)
    if event.type is EventType.CLICK and ad.pricing == "cpc":
        return ad.price_micros
    return 0


class Recorder:
    def __init__(self, event_log: EventLog, counters: Counters, budgets: Budgets,
                 flood: FloodRule = FloodRule(), on_stored: Callable[[], None] | None = None) -> None:
        self.event_log = event_log
        self.on_stored = on_stored  # told after each append (the rollup runner wakes up)
        self.counters = counters
        self.budgets = budgets
        self.flood = flood
        # Events sent again, by type: stored once, so the same stream always gives the same
        # report; their number is exported as `shelfspace_events_duplicate_total`.
        self.duplicates: Counter[EventType] = Counter()
        self._queue: queue.Queue[tuple[list[Event], Future[list[bool]]] | None] = queue.Queue()
        self._clicks: dict[str, deque[float]] = defaultdict(deque)
        self._thread: threading.Thread | None = None

    # --- life ----------------------------------------------------------------------------

    def start(self) -> None:
        self.restore_spend()
        self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def restore_spend(self) -> None:
        """Counters in memory start empty: charge them what the log says was charged."""
        charged = getattr(self.event_log, "charged", None)
        if charged is None:
            return
        for campaign_id, day, micros in charged():
            self.counters.settle(None, BudgetLimits(campaign_id, day, 2**62, None), micros)

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
        ruled = self._apply_rules(events)
        stored = self.event_log.append([e for e, _ in ruled])
        if self.on_stored is not None and any(stored):
            self.on_stored()
        for (event, charge), new in zip(ruled, stored, strict=True):
            if new:
                self._count(event, charge)
            else:
                self.duplicates[event.type] += 1
        return [new and event.counted for (event, _), new in zip(ruled, stored, strict=True)]

    def _apply_rules(self, events: Sequence[Event]) -> list[tuple[Event, BudgetLimits | None]]:
        """Each event with the rules that need other events applied, and the budget to
        charge; the charge is settled only once the batch is on disk."""
        clicks = [e.ad.ad_id for e in events if e.type is EventType.CLICK and e.ad is not None]
        lookups = {e.key for e in events}
        lookups |= {ad_event_key(EventType.IMPRESSION, ad_id) for ad_id in clicks}
        lookups |= {ad_event_key(EventType.CLICK, ad_id, reason) for ad_id in clicks
                    for reason in (InvalidReason.CLICK_WITHOUT_IMPRESSION, InvalidReason.CLICK_FLOOD)}
        known = self.event_log.contains(lookups)
        ruled: list[tuple[Event, BudgetLimits | None]] = []
        spent: dict[tuple[str, str], int] = defaultdict(int)  # charged earlier in this batch
        for event in events:
            if event.key not in known and event.type is EventType.CLICK and event.counted and event.ad is not None:
                reason = self._click_rule(event, known)
                if reason is not None:
                    event = replace(event, key=ad_event_key(event.type, event.ad.ad_id, reason), invalid=reason)
            if event.key in known:  # sent before: the log keeps the first, nothing is charged
                ruled.append((event, None))
                continue
            known.add(event.key)
            charge, limits = self._charge(event, spent)
            ruled.append((replace(event, charged_micros=charge) if charge else event, limits))
        return ruled

    def _click_rule(self, click: Event, impressions: set[str]) -> InvalidReason | None:
        assert click.ad is not None
        if ad_event_key(EventType.IMPRESSION, click.ad.ad_id) not in impressions:
            return InvalidReason.CLICK_WITHOUT_IMPRESSION
        recent = self._clicks[click.user_id or f"ad:{click.ad.ad_id}"]
        while recent and click.time - recent[0] > self.flood.seconds:
            recent.popleft()
        if len(recent) >= self.flood.max_clicks:
            return InvalidReason.CLICK_FLOOD
        recent.append(click.time)
        return None

    def _charge(self, event: Event, spent: dict[tuple[str, str], int]) -> tuple[int, BudgetLimits | None]:
        cost = cost_of(event)
        if not cost or event.ad is None:
            return 0, None
        campaign = self.budgets(event.ad.campaign_id)
        if campaign is None:  # stopped since it served: counted, not charged
            return 0, None
        limits = BudgetLimits(campaign.id, event.ad.budget_day, campaign.budget_total_micros,
                              campaign.budget_daily_micros)
        use = self.counters.budget_use(campaign.id, limits.day)
        room = limits.total_micros - use.spent_total - spent[(campaign.id, "")]
        if limits.daily_micros is not None:
            room = min(room, limits.daily_micros - use.spent_day - spent[(campaign.id, limits.day)])
        charge = max(0, min(cost, room))
        spent[(campaign.id, "")] += charge
        spent[(campaign.id, limits.day)] += charge
        return charge, limits

    def _count(self, event: Event, limits: BudgetLimits | None) -> None:
        ad = event.ad
        if ad is None or not event.counted:
            return
        if limits is not None:  # a billable event: charge it, and drop its reservation
            self.counters.settle(ad.ad_id, limits, event.charged_micros)
        elif event.type is EventType.IMPRESSION and ad.pricing == "cpm":
            self.counters.release(ad.ad_id)  # its campaign stopped since: nothing to charge
        if event.type is EventType.IMPRESSION:
            self.counters.count_ctr(ad.creative_id, ad.placement_id, 1, 0)
        elif event.type is EventType.CLICK:
            self.counters.count_ctr(ad.creative_id, ad.placement_id, 0, 1)


class RecorderMetrics(Collector):
    """Prometheus view of the recorder: events sent again, by type (reason `duplicate`)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("shelfspace_events_duplicate", "Events sent again: stored and counted once.",
                                     labels=["type"])
        for kind, count in sorted(self.recorder.duplicates.items()):
            family.add_metric([str(kind)], count)
        yield family
