"""The rollup worker archives each day that ended as Parquet, and again when a late event
of that day comes; on the real PostgreSQL and Redis."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shelfspace.db.session import make_sessionmaker
from shelfspace.events.archive import archive_path, read_day
from shelfspace.events.model import Event, EventType
from shelfspace.events.postgres_log import PostgresEventLog
from shelfspace.events.stream import EventStream
from shelfspace.reporting.job import RollupJob
from shelfspace.reporting.worker import RollupWorker
from tests.counters.conftest import redis_or_skip
from tests.databases import fresh_postgres, migrated_engine

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def behaviour(key: str, when: datetime) -> Event:
    return Event(key, EventType.BEHAVIOUR, when.timestamp(), None, "u1", data={"kind": "view", "sku": "S1"})


def test_the_worker_archives_days_that_ended_and_late_events_of_them(tmp_path: Path) -> None:
    client = redis_or_skip()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with fresh_postgres() as url:
        engine = migrated_engine(url)
        event_log = PostgresEventLog(url.replace("postgresql+psycopg://", "postgresql://"))
        stream = EventStream(client, prefix=f"test:{uuid.uuid4().hex}:")
        job = RollupJob(make_sessionmaker(engine), event_log, ZoneInfo("UTC"))
        worker = RollupWorker(job, event_log, stream, archive=tmp_path / "archive", name="w1")
        try:
            stream.ensure_group()
            event_log.append([behaviour("behaviour:1", yesterday)])
            worker.archive_closed_days()
            path = archive_path(tmp_path / "archive", yesterday.date().isoformat())
            assert [e.key for e in read_day(path)] == ["behaviour:1"]

            late = behaviour("behaviour:2", yesterday + timedelta(seconds=1))
            event_log.append([late])
            stream.publish([late.key])  # as an API process does after its commit
            assert worker.step(block_ms=100) == 1
            assert [e.key for e in read_day(path)] == ["behaviour:1", "behaviour:2"]
            assert stream.pending() == 0 and stream.backlog() == 0
        finally:
            event_log.close()
            engine.dispose()
            client.delete(stream.name)


def test_a_worker_started_while_redis_is_away_waits_for_it_instead_of_dying() -> None:
    """A worker that starts during a Redis restart (CI saw one die at its first call, so the
    events the restart lost were never published again) tries until Redis is back."""
    client = redis_or_skip()
    stream = EventStream(client, prefix=f"test:{uuid.uuid4().hex}:")
    refusals = 3
    joined = stream.ensure_group

    def flaky_join() -> None:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise ConnectionError("Error 111 connecting to 127.0.0.1. Connection refused.")
        joined()

    stream.ensure_group = flaky_join  # type: ignore[method-assign]
    worker = RollupWorker(None, None, stream, name="w1")  # type: ignore[arg-type]  # never reached
    worker.step = lambda block_ms=0: worker.stopping.set() or 0  # type: ignore[method-assign]
    worker._swept_at = time.monotonic()  # no sweep before the first step: it reads the log
    try:
        worker.run()
        assert refusals == 0 and worker.stopping.is_set()  # it joined, then took its first step
        assert client.xinfo_groups(stream.name)[0]["name"] == "rollups"
    finally:
        client.delete(stream.name)
