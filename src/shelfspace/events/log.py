"""The event log protocol: append-only, each key stored once, read back in append order."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from shelfspace.events.model import Event, EventType


class EventLog(Protocol):
    def append(self, events: Sequence[Event]) -> list[bool]:
        """Store the events durably in one step; True for each key not stored before.

        When this returns, the events are on disk: callers acknowledge only after it."""
        ...

    def contains(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys are stored."""
        ...

    def read(
        self, after: int = 0, limit: int = 10_000, kinds: Collection[EventType] | None = None
    ) -> list[tuple[int, Event]]:
        """Events (of these kinds, if given) in append order, with their position, after
        position `after`."""
        ...

    def between(self, start: float, end: float, kind: EventType | None = None) -> list[Event]:
        """Events (of one kind, if given) whose time is in [start, end), in time order (then by key)."""
        ...

    def of_user(self, user_id: str, kind: EventType, start: float, end: float) -> list[Event]:
        """A user's events of one kind with time in [start, end], in time order."""
        ...

    def get(self, keys: Iterable[str]) -> list[Event]:
        """The stored events with these keys."""
        ...

    def forget(self, user_id: str, kind: EventType) -> int:
        """Delete a user's events of one kind (a data subject's erasure); how many went."""
        ...

    def charged(self) -> list[tuple[str, str, int]]:
        """(campaign id, budget day, micros charged), summed over the log: spend as recorded."""
        ...

    def charged_by_account(self) -> list[tuple[str, int]]:
        """(advertiser id, micros charged), summed over the log: what its wallet or credit has paid."""
        ...

    def charging(self) -> AbstractContextManager[None]:
        """Held by the recorder while it charges a batch and appends it."""
        ...

    def restoring(self) -> AbstractContextManager[None]:
        """Held while counters are rebuilt from `charged()`: no batch charges meanwhile, so
        no charge is both missing from the sums and overwritten by them. A log that one
        process owns needs no lock; a shared one takes it for every process."""
        ...

    def close(self) -> None: ...
