"""Where real-time state lives: in this process (embedded), or shared (production).

Embedded, the default: counters in memory, the event log in a SQLite file of its own, and
the rollups built by a thread of this process. One process serves the network.

Production (`SHELFSPACE_REDIS_URL` set, with a PostgreSQL `SHELFSPACE_DATABASE_URL`):
counters in Redis, the event log in PostgreSQL, and each appended batch's keys published
on a Redis stream for the rollup workers (`shelfspace worker`); API processes hold no
state of their own, so any number of them may serve, on any number of machines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.exceptions import RedisError

from shelfspace.config import Settings
from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import Counters
from shelfspace.events.log import EventLog
from shelfspace.events.stream import EventStream

log = structlog.get_logger(__name__)

EVENT_LOG_FILE = "events.db"  # the embedded event log, beside the SQLite catalogue


class Pingable(Protocol):
    def ping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backends:
    counters: Counters
    event_log: EventLog
    publish: Callable[[list[str]], None] | None  # production: tell the workers of stored keys
    shared: bool  # several processes share this state (production)
    redis: Pingable | None  # production: what readiness pings beside the database


def production(settings: Settings) -> bool:
    return settings.redis_url is not None


def open_backends(settings: Settings) -> Backends:
    if settings.redis_url is None:
        from shelfspace.events.sqlite_log import SqliteEventLog

        return Backends(MemoryCounters(), SqliteEventLog(settings.data_dir / EVENT_LOG_FILE), None, False, None)
    from shelfspace.counters.redis import STEERING_SECONDS, RedisCounters
    from shelfspace.events.postgres_log import PostgresEventLog

    counters = RedisCounters.from_url(settings.redis_url, steering_seconds=STEERING_SECONDS)
    event_log = PostgresEventLog(settings.postgres_conninfo())
    publisher = StreamPublisher(EventStream.from_url(settings.redis_url))
    return Backends(counters, event_log, publisher, True, counters)


class StreamPublisher:
    """Publishes stored keys on the workers' stream.

    The events are already durable: if Redis cannot take them now, the answer still goes
    out, and a worker's sweep finds them (not rolled up, the stream empty) and publishes
    them again."""

    def __init__(self, stream: EventStream) -> None:
        self.stream = stream

    def __call__(self, keys: list[str]) -> None:
        try:
            self.stream.publish(keys)
        except RedisError as error:
            log.warning("event_publish_deferred", events=len(keys), error=str(error))
