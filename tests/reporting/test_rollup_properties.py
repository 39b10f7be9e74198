"""The same event stream, in any order and with any repetition, gives the same rollup.

Events go through the real recorder (its duplicate and click rules) into an in-memory log,
and the day is rolled from what the log kept."""

from __future__ import annotations

import random
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.inventory import LiveCampaign, Pacing
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason, ad_event_key
from shelfspace.reporting.rollup import Budget, roll_day
from shelfspace.tracking.recorder import Recorder

DAY = datetime(2026, 12, 1, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
CAMPAIGN = LiveCampaign("c1", "a1", DAY - timedelta(days=1), None, 10**12, None, Pacing.ASAP, 0)


def facts(n: int, pricing: str) -> AdFacts:
    return AdFacts(
        ad_id=f"ad{n}",
        placement_id="hero",
        advertiser_id="a1",
        campaign_id="c1",
        line_item_id=f"li{n % 2}",
        creative_id=f"cr{n % 3}",
        sku=None,
        pricing=pricing,
        price_micros=3_000_000 if pricing == "cpm" else 500_000,
        user_id=f"u{n}",
        served_at=int(DAY.timestamp()),
        budget_day="2026-12-01",
    )


def event(kind: EventType, ad: AdFacts, minute: float, invalid: InvalidReason | None = None) -> Event:
    return Event(
        ad_event_key(kind, ad.ad_id, invalid),
        kind,
        (DAY + timedelta(minutes=minute)).timestamp(),
        ad,
        ad.user_id,
        invalid=invalid,
    )


def base_stream() -> list[Event]:
    """Ten ads: impressions, some viewable, clicks after (and none before) their impression,
    bots, a click with no impression at all, and a user who clicks too often (on eight
    placements, so the flood rule judges it and not the plausibility of one placement's rate)."""
    stream: list[Event] = []
    for n in range(10):
        ad = facts(n, "cpc" if n % 3 == 0 else "cpm")
        stream.append(event(EventType.IMPRESSION, ad, 10 * n))
        if n % 2 == 0:
            stream.append(event(EventType.VIEWABLE, ad, 10 * n + 1))
        if n % 3 != 2:
            stream.append(event(EventType.CLICK, ad, 10 * n + 2))
        if n == 4:
            stream.append(event(EventType.IMPRESSION, ad, 10 * n, InvalidReason.BOT))
    stream.append(event(EventType.CLICK, facts(42, "cpc"), 500))  # never had an impression
    flooder = [replace(facts(100 + n, "cpm"), user_id="flooder", placement_id=f"p{n}") for n in range(8)]
    for n, ad in enumerate(flooder):
        stream += [event(EventType.IMPRESSION, ad, 600 + n * 0.1), event(EventType.CLICK, ad, 600.05 + n * 0.1)]
    return stream


def rolled(stream: list[Event], batch: int) -> tuple[dict[str, object], list[object]]:
    log = MemoryEventLog()
    recorder = Recorder(log, MemoryCounters(), budgets=lambda _: CAMPAIGN)
    for start in range(0, len(stream), batch):
        recorder.record_now(stream[start : start + batch])
    start, end = DAY.timestamp(), (DAY + timedelta(days=1)).timestamp()
    events = log.between(start, end)
    judged = {e.ad.ad_id for e in events if e.type in (EventType.CLICK, EventType.VIEWABLE) and e.ad}  # by impression
    impressions = {e.ad.ad_id: e.time for e in log.get(ad_event_key(EventType.IMPRESSION, a) for a in judged) if e.ad}
    day = roll_day(events, UTC_ZONE, impressions, lambda _: "web", {"c1": Budget(10**12, None)}, {})
    hours = {
        f"{hour}|{dims}": asdict(delivery)
        for (hour, dims), delivery in day.hours.items()
        if any(asdict(delivery).values())
    }
    return hours, sorted((c.ad_id, c.kind, c.time) for c in day.counted)


EXPECTED = rolled(base_stream(), batch=1)


def test_the_base_stream_counts_what_a_person_would() -> None:
    hours, counted = EXPECTED
    totals = {k: sum(int(h[k]) for h in hours.values()) for k in next(iter(hours.values()))}  # type: ignore[call-overload]
    assert totals["impressions"] == 18 and totals["invalid_impressions"] == 1
    assert totals["viewable_impressions"] == 5
    # 7 clicks of the ten ads, 5 of the flooder's 8 (the rest flood), and none for ad42.
    assert totals["clicks"] == 12 and totals["invalid_clicks"] == 3 + 1
    assert len([c for c in counted if c[1] == "click"]) == 12
    assert len([c for c in counted if c[1] == "view"]) == 18  # every counted impression: its user is known
    assert len([c for c in counted if c[1] == "viewable"]) == 5  # each after its ad's counted impression


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), repeats=st.integers(0, 30), batch=st.integers(1, 50))
def test_any_order_and_any_repetition_gives_the_same_rollup(seed: int, repeats: int, batch: int) -> None:
    rng = random.Random(seed)
    stream = base_stream()
    stream += [rng.choice(stream) for _ in range(repeats)]
    rng.shuffle(stream)
    assert rolled(stream, batch) == EXPECTED
