"""The event log protocol: append-only, each key stored once, read back in append order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

    def read(self, after: int = 0, limit: int = 10_000) -> list[tuple[int, Event]]:
        """Events in append order, with their position, after position `after`."""
        ...

    def between(self, start: float, end: float) -> list[Event]:
        """Events whose time is in [start, end), in time order (then by key)."""
        ...

    def of_user(self, user_id: str, kind: EventType, start: float, end: float) -> list[Event]:
        """A user's events of one kind with time in [start, end], in time order."""
        ...

    def get(self, keys: Iterable[str]) -> list[Event]:
        """The stored events with these keys."""
        ...

    def close(self) -> None: ...
