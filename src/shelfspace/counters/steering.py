"""A process's copies of the shared values that only steer the auction, kept fresh in the
background so that a decision reads them with no round trip.

Budget and funds left, the pacing state and click counts decide which bid is tried
first, never whether money may be spent (leases and charges do that, in Redis). A copy a
quarter of a second old steers as well as a fresh one. So each value a decision asks
for is read once, then refreshed with every other value in use by one pipelined round
trip every `seconds`, from a thread of its own; values no decision asked for in a while
are dropped, and one not asked for since its last refresh waits for the next ask. Should
the refresh stall (Redis slow or away), a copy older than
`STALE_AFTER` refreshes is read again on the serving path rather than trusted. The same
thread runs the chores that write behind (frequency counts).

A value a decision may skip a campaign on (budget and funds left) must never count this
process's own step twice: a campaign near its end would look spent while it still has
room, and every decision would pass it by until the next refresh. Those kinds are
versioned: Redis counts each change of the value, the step's own script answers the value
right after it, and a copy keeps whichever read or answer is the newest, so a read that
raced a step can neither count it twice nor lose it, and no refresh is ever thrown away
because a step came meanwhile. Other kinds (click counts) add the process's own steps to
the copy, and a read that raced one may count it twice or not at all until the next
refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from redis.client import Pipeline

log = structlog.get_logger(__name__)

STALE_AFTER = 4  # refresh periods
UNUSED_SECONDS = 30.0  # a value no decision asked for in this long is no longer refreshed


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of value is read: `queue` puts its commands on a pipeline for a key and
    `parse` turns their answers (as many as it queued) into the value."""

    name: str
    queue: Callable[[Pipeline, Any], int]  # commands queued
    parse: Callable[[list[Any]], Any]
    every: int = 1  # refreshed every this many periods (click counts move slowly)
    # Versioned kinds: the value's version in the same answers (Redis counts each change).
    # Their own steps come as Redis answered them (`answered`), never added (`change`).
    version: Callable[[list[Any]], int] | None = None


@dataclass(slots=True)
class _Copy:
    value: Any
    refreshed: float  # monotonic: when the read (or step) it holds was sent
    used: float
    changes: int = 0  # own steps applied: a read that started before one must not overwrite it
    version: int = -1  # versioned kinds: Redis's count of the value's changes, as read
    received: float = 0.0  # monotonic: when it came back (versioned kinds)

    def older_than(self, version: int, sent: float) -> bool:
        """Whether a versioned value, asked for at `sent`, is at least as new as this one:
        its version is not lower, or it was asked for after this one came back (so Redis
        answered it later: a lower version then means Redis lost its data and counts again)."""
        return version >= self.version or sent > self.received


class SteeringCopies:
    def __init__(
        self, pipeline: Callable[[], Pipeline], seconds: float, chores: Sequence[Callable[[], None]] = ()
    ) -> None:
        self._pipeline = pipeline
        self.seconds = seconds
        self.chores = list(chores)  # run on each tick before the refresh (writes behind)
        self._lock = threading.Lock()
        self._copies: dict[tuple[str, Hashable], _Copy] = {}
        self._kinds: dict[str, Kind] = {}
        self._uncopied_changes = 0  # own steps on values with no copy yet
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, kind: Kind, key: Hashable) -> Any:
        """The copy, or the value read now (and kept, and refreshed from now on)."""
        now = time.monotonic()
        with self._lock:
            copy = self._copies.get((kind.name, key))
            if copy is not None and now - copy.refreshed < STALE_AFTER * kind.every * self.seconds:
                copy.used = now
                return copy.value
            self._kinds.setdefault(kind.name, kind)
            before = self._uncopied_changes
        pipe = self._pipeline()
        kind.queue(pipe, key)
        answers = pipe.execute()
        value = kind.parse(answers)
        with self._lock:
            if kind.version is not None:
                version = kind.version(answers)
                copy = self._copies.get((kind.name, key))
                if copy is None or copy.older_than(version, now):
                    self._copies[(kind.name, key)] = _Copy(value, now, now, version=version, received=time.monotonic())
                else:  # a step answered something newer meanwhile
                    copy.used = now
                    value = copy.value
            else:
                # An own step meanwhile may be missing from what was read: read again next time.
                self._copies[(kind.name, key)] = _Copy(value, now if before == self._uncopied_changes else 0.0, now)
        self.start()
        return value

    def answered(self, kind: Kind, key: Hashable, value: Any, version: int, sent: float) -> None:
        """This process's own step on a versioned kind, as Redis answered it: the value right
        after the step and its version, the step sent at `sent` (monotonic). Kept if it is
        the newest; a copy no decision asked for yet is kept only until the next refresh
        sweeps it (none while nothing refreshes: a process that never steers keeps none),
        so that a read of it racing this step cannot lose the step."""
        with self._lock:
            copy = self._copies.get((kind.name, key))
            if copy is None:
                if self._thread is None:
                    return
                self._kinds.setdefault(kind.name, kind)
                self._copies[(kind.name, key)] = _Copy(value, sent, 0.0, version=version, received=time.monotonic())
            elif copy.older_than(version, sent):
                copy.value, copy.version, copy.refreshed, copy.received = value, version, sent, time.monotonic()

    def change(self, kind: Kind, key: Hashable, how: Callable[[Any], Any]) -> None:
        """This process's own step on a kind without versions, applied to its copy at once
        (if it has one). A read that raced with the step may count it twice or not at all:
        the next refresh mends it."""
        with self._lock:
            if (copy := self._copies.get((kind.name, key))) is not None:
                copy.value = how(copy.value)
                copy.changes += 1
            else:
                self._uncopied_changes += 1

    def put(self, kind: Kind, key: Hashable, value: Any) -> None:
        now = time.monotonic()
        with self._lock:
            self._kinds.setdefault(kind.name, kind)
            self._copies[(kind.name, key)] = _Copy(value, now, now)

    def forget(self, kind: Kind | None = None) -> None:
        with self._lock:
            if kind is None:
                self._copies.clear()
            else:
                for name, key in [k for k in self._copies if k[0] == kind.name]:
                    del self._copies[(name, key)]

    def refresh(self, tick: int = 0) -> None:
        """The copies asked for since they were last read, whose kind is due at this tick,
        read again in one round trip."""
        now = time.monotonic()
        with self._lock:
            for name_key in [k for k, c in self._copies.items() if now - c.used > UNUSED_SECONDS]:
                del self._copies[name_key]
            wanted = [
                (self._kinds[name], key)
                for (name, key), copy in self._copies.items()
                if copy.used >= copy.refreshed and tick % self._kinds[name].every == 0
            ]
            changes = [self._copies[(kind.name, key)].changes for kind, key in wanted]
        if not wanted:
            return
        pipe = self._pipeline()
        counts = [kind.queue(pipe, key) for kind, key in wanted]
        answers = pipe.execute()
        position = 0
        with self._lock:
            received = time.monotonic()
            for (kind, key), count, changed in zip(wanted, counts, changes, strict=True):
                mine = answers[position : position + count]
                position += count
                copy = self._copies.get((kind.name, key))
                if copy is None:
                    continue
                if kind.version is not None:
                    version = kind.version(mine)
                    if copy.older_than(version, now):
                        copy.value, copy.version, copy.refreshed, copy.received = (
                            kind.parse(mine),
                            version,
                            now,
                            received,
                        )
                elif copy.changes == changed:  # else keep the own step: next time
                    copy.value, copy.refreshed = kind.parse(mine), now

    def start(self) -> None:
        """The refreshing thread, from the first use on (idempotent)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="steering-copies", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self.seconds):
            tick += 1
            try:
                for chore in self.chores:
                    chore()
                self.refresh(tick)
            except Exception as error:  # copies age; the serving path reads what is too old
                log.warning("steering_refresh_failed", error=str(error))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
