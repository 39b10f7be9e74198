"""One contract, three event logs: in memory, the embedded SQLite file, and PostgreSQL
(production). The stream that wakes the rollup workers is tested on the real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfspace.events.log import EventLog
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason
from shelfspace.events.sqlite_log import SqliteEventLog


def ad(ad_id: str, campaign: str = "cmp_1", day: str = "2026-03-10") -> AdFacts:
    return AdFacts(
        ad_id=ad_id,
        placement_id="home-hero",
        advertiser_id="adv_1",
        campaign_id=campaign,
        line_item_id="li_1",
        creative_id="cr_1",
        sku=None,
        pricing="cpm",
        price_micros=2_510_000,
        user_id="u1",
        served_at=1_773_100_000,
        budget_day=day,
    )


def impression(ad_id: str, time: float, charged: int = 0, **facts: str) -> Event:
    return Event(f"impression:{ad_id}", EventType.IMPRESSION, time, ad(ad_id, **facts), "u1", charged_micros=charged)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if request.param == "memory":
        yield MemoryEventLog()
        return
    if request.param == "sqlite":
        log = SqliteEventLog(tmp_path / "events.db")
        yield log
        log.close()
        return
    from shelfspace.events.postgres_log import PostgresEventLog
    from tests.databases import fresh_postgres, migrated_engine

    with fresh_postgres() as url:
        migrated_engine(url).dispose()
        log = PostgresEventLog(url.replace("postgresql+psycopg://", "postgresql://"))
        yield log
        log.close()


def test_an_event_is_stored_once_by_its_key(event_log: EventLog) -> None:
    first = impression("ad_1", 100.0, charged=2510)
    assert event_log.append([first, impression("ad_2", 101.0)]) == [True, True]
    again = impression("ad_1", 150.0, charged=2510)
    assert event_log.append([again, impression("ad_3", 102.0), impression("ad_3", 103.0)]) == [False, True, False]
    assert event_log.contains(["impression:ad_1", "impression:ad_9"]) == {"impression:ad_1"}
    [stored] = event_log.get(["impression:ad_1"])
    assert stored == first  # the first one kept, every fact as written


def test_reads_by_time_by_user_and_in_append_order(event_log: EventLog) -> None:
    bot = Event("click:ad_2:bot", EventType.CLICK, 105.0, ad("ad_2"), "u1", invalid=InvalidReason.BOT)
    order = Event(
        "conversion:o1",
        EventType.CONVERSION,
        110.0,
        None,
        "u1",
        data={"id": "o1", "items": [{"sku": "S", "quantity": 1, "price_micros": 5}]},
    )
    event_log.append([impression("ad_2", 104.0), bot, impression("ad_1", 100.0), order])
    assert [e.key for e in event_log.between(100.0, 105.0)] == ["impression:ad_1", "impression:ad_2"]
    assert [e.key for e in event_log.between(100.0, 111.0, EventType.CONVERSION)] == ["conversion:o1"]
    assert [e.key for e in event_log.between(100.0, 111.0, EventType.CLICK)] == ["click:ad_2:bot"]
    assert [e.key for e in event_log.of_user("u1", EventType.CONVERSION, 100.0, 110.0)] == ["conversion:o1"]
    assert event_log.get(["conversion:o1"])[0].data == order.data
    assert event_log.get(["click:ad_2:bot"])[0].invalid is InvalidReason.BOT
    positions = event_log.read(after=0)
    assert [e.key for _, e in positions] == ["impression:ad_2", "click:ad_2:bot", "impression:ad_1", "conversion:o1"]
    assert [e.key for _, e in event_log.read(after=positions[1][0])] == ["impression:ad_1", "conversion:o1"]
    wanted = event_log.read(after=0, kinds=(EventType.CONVERSION, EventType.CLICK))
    assert [(n, e.key) for n, e in wanted] == [(positions[1][0], "click:ad_2:bot"), (positions[3][0], "conversion:o1")]
    assert event_log.read(after=0, limit=1, kinds=(EventType.CONVERSION,))[0][1].key == "conversion:o1"


def test_a_users_events_of_one_kind_are_forgotten(event_log: EventLog) -> None:
    views = [
        Event(f"behaviour:v{n}", EventType.BEHAVIOUR, 100.0 + n, None, user, data={"type": "view"})
        for n, user in enumerate(["u1", "u2", "u1"])
    ]
    order = Event(
        "conversion:o1",
        EventType.CONVERSION,
        110.0,
        None,
        "u1",
        data={"id": "o1", "items": [{"sku": "S", "quantity": 1, "price_micros": 5}]},
    )
    event_log.append([*views, order])
    assert event_log.forget("u1", EventType.BEHAVIOUR) == 2
    assert [e.key for _, e in event_log.read(after=0)] == ["behaviour:v1", "conversion:o1"]
    assert event_log.forget("u1", EventType.BEHAVIOUR) == 0


def test_charged_sums_spend_by_campaign_and_budget_day(event_log: EventLog) -> None:
    event_log.append(
        [
            impression("ad_1", 1.0, 2510),
            impression("ad_2", 2.0, 2510),
            impression("ad_3", 3.0, 1000, day="2026-03-11"),
            impression("ad_4", 4.0, 7, campaign="cmp_2"),
            impression("ad_5", 5.0, 0),
        ]
    )
    with event_log.restoring():
        assert sorted(event_log.charged()) == [
            ("cmp_1", "2026-03-10", 5020),
            ("cmp_1", "2026-03-11", 1000),
            ("cmp_2", "2026-03-10", 7),
        ]


@pytest.mark.redis
def test_the_stream_redelivers_what_a_worker_took_and_never_acknowledged() -> None:
    from shelfspace.events import stream as streams
    from tests.counters.conftest import redis_or_skip

    client = redis_or_skip()
    stream = streams.EventStream(client, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        stream.ensure_group()
        stream.publish(["a", "b"])
        stream.publish(["c"])
        taken = stream.take("worker-1", count=10, block_ms=10)
        assert taken.keys == ["a", "b", "c"] and stream.pending() == 2
        assert stream.take("worker-2", count=10, block_ms=10).ids == []  # delivered once
        assert stream.claim_stale("worker-2", 10).ids == []  # not stale yet
        streams.CLAIM_IDLE_MS, idle = 0, streams.CLAIM_IDLE_MS
        try:
            claimed = stream.claim_stale("worker-2", 10)  # worker-1 died: worker-2 takes its entries
        finally:
            streams.CLAIM_IDLE_MS = idle
        assert claimed.keys == ["a", "b", "c"]
        stream.acknowledge(claimed)
        assert stream.pending() == 0 and stream.backlog() == 0
        client.delete(stream.name)  # Redis lost the stream and its group: the next take makes them again
        assert stream.take("worker-2", count=10, block_ms=10).ids == []
        stream.publish(["d"])
        assert stream.take("worker-2", count=10, block_ms=10).keys == ["d"]
    finally:
        client.delete(stream.name)


def test_a_day_archived_as_parquet_reads_back_as_stored(event_log: EventLog, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from shelfspace.core.days import day_bounds
    from shelfspace.events.archive import archive_day, read_day

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    start, end = day_bounds("2026-03-10", tz)
    order = Event(
        "conversion:o1",
        EventType.CONVERSION,
        start + 50,
        None,
        "u1",
        data={"id": "o1", "items": [{"sku": "S", "quantity": 2, "price_micros": 5}]},
    )
    bot = Event("impression:ad_2:bot", EventType.IMPRESSION, start + 20, ad("ad_2"), "u1", invalid=InvalidReason.BOT)
    event_log.append(
        [impression("ad_1", start + 10, 2510), bot, order, impression("ad_0", start - 1), impression("ad_9", end)]
    )  # the last two are the days around it
    path, count = archive_day(event_log, "2026-03-10", tz, tmp_path / "archive")
    assert path.name == "events-2026-03-10.parquet" and count == 3
    assert read_day(path) == [impression("ad_1", start + 10, 2510), bot, order]
    first = path.read_bytes()
    archive_day(event_log, "2026-03-10", tz, tmp_path / "archive")  # again: the same file
    assert path.read_bytes() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["events-2026-03-10.parquet"]  # no partial left
