"""Object ids: a type prefix, then time-ordered hex, so ids sort by creation.

`cmp_0193f1a2b3c4d5e6f7a8b9` reads as a campaign at a glance, and keyset pagination by id
returns objects in the order they were made without a second index.

The 40 bits after the millisecond keep ids apart (every served ad gets one, so this is on
the hot path); nothing relies on them being unguessable: tracking URLs carry an HMAC
signature. They start at a random point; ids made in the same millisecond by one source
count up from the first, so they still sort in the order they were made (a page listing
the newest first must not shuffle a burst of notices). A clock that steps back starts
afresh rather than borrowing from the future.

An `IdSource` is built from a clock and a `random.Random`, so code that must be pure (the
decision engine) or reproducible (a seeded replay) is handed one instead of reading the
wall clock and a process-wide generator. `new_id` is the process's default source, for
the rest of the code. A source seeded by the OS is seeded again in a forked worker, so two
workers never share a sequence; a source given its own generator is left as it was given.
"""

from __future__ import annotations

import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from shelfspace.core.clock import Clock

_RANDOM_BITS = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

Millis = Callable[[], int]  # milliseconds since the epoch, now


def wall_millis() -> int:
    """The wall clock, in milliseconds: the default sources' time."""
    return time.time_ns() // 1_000_000


_os_seeded: weakref.WeakSet[IdSource] = weakref.WeakSet()


class IdSource:
    """Makes ids in creation order from `millis` (the time) and `rng` (the 40 bits).

    Thread-safe: the engine's source is shared by the threads serving decisions."""

    __slots__ = ("_millis", "_random", "_lock", "_last", "__weakref__")

    def __init__(self, millis: Millis = wall_millis, rng: random.Random | None = None) -> None:
        self._millis = millis
        if rng is None:
            rng = random.Random(os.urandom(16))
            _os_seeded.add(self)
        self._random = rng
        self._lock = threading.Lock()
        self._last = (0, 0)  # (millisecond, bits) of the id made last by this source

    @classmethod
    def following(cls, clock: Clock, rng: random.Random | None = None) -> IdSource:
        """A source on `clock`'s time (a replay's stepped clock, a test's fixed one)."""

        def millis() -> int:
            return (clock.now() - _EPOCH) // _MILLISECOND

        return cls(millis, rng)

    def new(self, prefix: str) -> str:
        millis = self._millis()
        with self._lock:
            last_millis, last_bits = self._last
            if millis == last_millis and last_bits + 1 < 1 << _RANDOM_BITS:
                bits = last_bits + 1
            else:  # a fresh millisecond; the first draw leaves half the range to count up into
                bits = self._random.getrandbits(_RANDOM_BITS - 1)
            self._last = (millis, bits)
        return f"{prefix}_{millis:012x}{bits:010x}"

    def _reseed(self) -> None:
        self._random.seed(os.urandom(16))


def _reseed_after_fork() -> None:
    for source in list(_os_seeded):
        source._reseed()


os.register_at_fork(after_in_child=_reseed_after_fork)

_default = IdSource()


def new_id(prefix: str) -> str:
    """An id from the process's default source (the wall clock, an OS-seeded generator)."""
    return _default.new(prefix)


@contextmanager
def drawn_from(source: IdSource) -> Iterator[IdSource]:
    """Every `new_id` in the block comes from `source`: a network seeded with the same ids
    on every run (holdout groups hash the campaign id). Not for serving: it is process-wide."""
    global _default
    previous, _default = _default, source
    try:
        yield source
    finally:
        _default = previous
