"""An event log in memory: the same contract as the embedded one, nothing on disk.

For tests and simulations that replay streams by the thousand; never for a server,
which must not acknowledge an event before it is durable."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext

from shelfspace.events.model import Event, EventType


class MemoryEventLog:
    def __init__(self) -> None:
        self._events: list[Event] = []
        self._by_key: dict[str, Event] = {}
        self._lock = threading.Lock()

    def append(self, events: Sequence[Event]) -> list[bool]:
        stored = []
        with self._lock:
            for event in events:
                new = event.key not in self._by_key
                if new:
                    self._by_key[event.key] = event
                    self._events.append(event)
                stored.append(new)
        return stored

    def contains(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in self._by_key}

    def read(
        self, after: int = 0, limit: int = 10_000, kinds: Collection[EventType] | None = None
    ) -> list[tuple[int, Event]]:
        # Positions stay those of the append: an erased event leaves a gap, as in SQL.
        found = (
            (n, e)
            for n, e in enumerate(self._events[after:], start=after + 1)
            if self._by_key.get(e.key) is e and (kinds is None or e.type in kinds)
        )
        return list(itertools.islice(found, limit))

    def forget(self, user_id: str, kind: EventType) -> int:
        with self._lock:
            gone = [k for k, e in self._by_key.items() if e.user_id == user_id and e.type is kind]
            for key in gone:
                del self._by_key[key]
        return len(gone)

    def between(self, start: float, end: float, kind: EventType | None = None) -> list[Event]:
        return sorted(
            (e for e in self._by_key.values() if start <= e.time < end and (kind is None or e.type is kind)),
            key=lambda e: (e.time, e.key),
        )

    def of_user(self, user_id: str, kind: EventType, start: float, end: float) -> list[Event]:
        return sorted(
            (e for e in self._by_key.values() if e.user_id == user_id and e.type is kind and start <= e.time <= end),
            key=lambda e: (e.time, e.key),
        )

    def get(self, keys: Iterable[str]) -> list[Event]:
        return [self._by_key[k] for k in keys if k in self._by_key]

    def charged(self) -> list[tuple[str, str, int]]:
        sums: dict[tuple[str, str], int] = {}
        for event in self._events:
            if event.charged_micros and event.ad is not None:
                place = (event.ad.campaign_id, event.ad.budget_day)
                sums[place] = sums.get(place, 0) + event.charged_micros
        return [(campaign, day, micros) for (campaign, day), micros in sums.items()]

    def charged_by_account(self) -> list[tuple[str, int]]:
        sums: dict[str, int] = {}
        for event in self._events:
            if event.charged_micros and event.ad is not None:
                sums[event.ad.advertiser_id] = sums.get(event.ad.advertiser_id, 0) + event.charged_micros
        return list(sums.items())

    def charging(self) -> AbstractContextManager[None]:
        return nullcontext()  # one process owns this log: nothing to order against

    def restoring(self) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None:
        pass
