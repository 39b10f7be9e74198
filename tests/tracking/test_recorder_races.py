"""The same event reaching two processes at once: both look it up before either stores
it, both charge it, one insert wins. The loser's charge is taken back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.inventory import LiveCampaign, Pacing
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType
from shelfspace.tracking.recorder import Recorder

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
DAY = NOW.date().isoformat()
CAMPAIGN = LiveCampaign("c1", "a1", NOW - timedelta(days=1), None, 10**9, None, Pacing.ASAP, 0)
AD = AdFacts(
    ad_id="ad_1",
    placement_id="home-hero",
    advertiser_id="a1",
    campaign_id="c1",
    line_item_id="li_1",
    creative_id="cr_1",
    sku=None,
    pricing="cpm",
    price_micros=2_510_000,
    user_id="u1",
    served_at=int(NOW.timestamp()),
    budget_day=DAY,
)


class RacingLog(MemoryEventLog):
    """A shared log whose lookups cannot see what another process is storing right now."""

    def contains(self, keys: Iterable[str]) -> set[str]:
        return set()


def test_an_event_stored_by_another_process_meanwhile_is_refunded() -> None:
    counters = MemoryCounters()
    shared = RacingLog()
    first, second = (Recorder(shared, counters, budgets=lambda _: CAMPAIGN) for _ in range(2))
    impression = Event("impression:ad_1", EventType.IMPRESSION, NOW.timestamp(), AD, "u1")
    assert first.record_now([impression]) == [True]
    assert second.record_now([impression]) == [False]  # charged, then lost the insert
    assert counters.budget_use("c1", DAY).spent_total == 2_510  # one impression's price, once
    assert sum(micros for _, _, micros in shared.charged()) == 2_510
