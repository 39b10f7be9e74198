"""The Redis stream that carries appended events from the API processes to the rollup workers.

An entry holds the keys of one appended batch; the events themselves are read from the
log of record (PostgreSQL), so the stream never has to be durable: an entry lost with a
Redis restart is published again by a worker's sweep of `event_log.published`. Workers
read in one consumer group, so each entry goes to one worker; an entry is acknowledged
only after the rollup it caused is committed, and an entry left pending by a worker that
died is claimed by another after `CLAIM_IDLE_MS`. Rolling an entry twice is harmless:
the rollup rebuilds whole days from the log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis import Redis
from redis.exceptions import ResponseError

Entries = list[tuple[str, dict[str, str] | None]]
GROUP = "rollups"
CLAIM_IDLE_MS = 15_000  # an entry pending this long belongs to a worker that stopped


@dataclass(frozen=True, slots=True)
class Delivery:
    """Entries handed to one worker: acknowledge their ids once their rollup is committed."""

    ids: list[str]
    keys: list[str]


class EventStream:
    def __init__(self, redis: Redis, prefix: str = "shelfspace:") -> None:
        self.redis = redis
        self.name = f"{prefix}events"

    @classmethod
    def from_url(cls, url: str, prefix: str = "shelfspace:") -> EventStream:
        return cls(Redis.from_url(url, decode_responses=True, socket_timeout=10, health_check_interval=30), prefix)

    def publish(self, keys: Sequence[str]) -> None:
        if keys:
            self.redis.xadd(self.name, {"keys": json.dumps(list(keys), separators=(",", ":"))})

    # --- the consumer side ------------------------------------------------------------------

    def ensure_group(self) -> None:
        """Create the group (from the stream's start: nothing published before is skipped)."""
        try:
            self.redis.xgroup_create(self.name, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def claim_stale(self, consumer: str, count: int) -> Delivery:
        """Entries another worker took and never acknowledged (it crashed): now this one's."""
        try:
            answer = self.redis.xautoclaim(self.name, GROUP, consumer, CLAIM_IDLE_MS, "0-0", count=count)
        except ResponseError as error:
            self._recreate_group(error)
            return Delivery([], [])
        return self._delivery(cast(Entries, answer[1]))

    def take(self, consumer: str, count: int, block_ms: int | None) -> Delivery:
        """New entries for this worker, waiting up to `block_ms` for the first (None: no wait)."""
        try:
            answer = cast(
                list[tuple[str, Entries]],  # RESP2: [(stream, entries)]
                self.redis.xreadgroup(GROUP, consumer, {self.name: ">"}, count=count, block=block_ms),
            )
        except ResponseError as error:
            self._recreate_group(error)
            return Delivery([], [])
        return self._delivery(answer[0][1] if answer else [])

    def _recreate_group(self, error: ResponseError) -> None:
        """Redis lost the stream and its group (a restart): make them again. What the lost
        entries carried is found by the workers' sweep of the log."""
        if "NOGROUP" not in str(error):
            raise error
        self.ensure_group()

    def acknowledge(self, delivery: Delivery) -> None:
        if delivery.ids:
            pipe = self.redis.pipeline(transaction=True)
            pipe.xack(self.name, GROUP, *delivery.ids)
            pipe.xdel(self.name, *delivery.ids)  # rolled up: the log keeps the events
            pipe.execute()

    def pending(self) -> int:
        """Entries delivered to a worker and not yet acknowledged."""
        try:
            return int(self.redis.xpending(self.name, GROUP)["pending"])
        except ResponseError:
            return 0

    def backlog(self) -> int:
        """Entries in the stream: published and not yet rolled up."""
        return int(self.redis.xlen(self.name))

    @staticmethod
    def _delivery(entries: Entries) -> Delivery:
        ids: list[str] = []
        keys: list[str] = []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if fields:  # a claimed entry deleted meanwhile comes back without fields
                keys.extend(json.loads(fields["keys"]))
        return Delivery(ids, keys)
