"""Frequency counts in Redis, one hash per user, read once per decision and written behind.

A decision weighs every capped line item for one user: the user's counts are one hash
(`fu:{user}`), so they come in one round trip however many caps it checks, and are kept
for `USER_SECONDS` (the other caps of the same decision, the user's next page). With
`write_behind` (production), the counts this process adds are kept here, seen at once
by its own decisions, and written by the steering thread a moment later in one round
trip; until then another process may serve a capped ad to the user once more than the
cap allows. A cap is a limit on annoyance, not on money: budgets never work this way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from redis import Redis

from shelfspace.counters.redis_scripts import COUNT_FREQUENCY, FORGET_FREQUENCY

USER_SECONDS = 0.25
MAX_USERS = 20_000  # users whose counts are kept here at once (the least recent go first)
FORGET_BATCH = 1000

UserCounter = tuple[str, str]  # (user, counter)


class RedisFrequency:
    def __init__(self, redis: Redis, prefix: str, write_behind: bool) -> None:
        self.redis = redis
        self.prefix = prefix
        self.write_behind = write_behind
        self._lock = threading.Lock()
        self._users: OrderedDict[str, tuple[float, dict[str, int]]] = OrderedDict()
        self._pending: dict[UserCounter, list[float]] = {}  # [count, ends at]: not yet written
        self._writing: dict[UserCounter, int] = {}  # being written now: still counted here
        self._count = redis.register_script(COUNT_FREQUENCY)
        self._forget = redis.register_script(FORGET_FREQUENCY)

    def _written(self, user_id: str) -> dict[str, int]:
        now = time.monotonic()
        with self._lock:
            cached = self._users.get(user_id)
            if cached is not None and now - cached[0] < USER_SECONDS:
                return cached[1]
        counts = {str(counter): int(n) for counter, n in self.redis.hgetall(f"{self.prefix}fu:{user_id}").items()}
        with self._lock:
            self._users[user_id] = (now, counts)
            self._users.move_to_end(user_id)
            while len(self._users) > MAX_USERS:
                self._users.popitem(last=False)
        return counts

    def _unwritten(self, user_counter: UserCounter) -> int:
        pending = self._pending.get(user_counter)
        return (int(pending[0]) if pending else 0) + self._writing.get(user_counter, 0)

    def count_of(self, user_id: str, counter: str) -> int:
        written = self._written(user_id).get(counter, 0)
        with self._lock:
            return written + self._unwritten((user_id, counter))

    def count(self, user_id: str, counter: str, ends_at: float) -> int:
        """One more; the new count as this process sees it."""
        if not self.write_behind:
            count = int(self._count(args=[self.prefix, user_id, counter, 1, ends_at])[0])
            with self._lock:
                self._users.pop(user_id, None)  # read again: Redis has it now
            return count
        with self._lock:
            pending = self._pending.setdefault((user_id, counter), [0, ends_at])
            pending[0] += 1
            pending[1] = max(pending[1], ends_at)
            cached = self._users.get(user_id)
            return (cached[1].get(counter, 0) if cached else 0) + self._unwritten((user_id, counter))

    def flush(self) -> None:
        """Write what this process counted, in one round trip."""
        with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, {}
            for user_counter, (n, _) in batch.items():
                self._writing[user_counter] = self._writing.get(user_counter, 0) + int(n)
        args: list[str | int | float] = [self.prefix]
        for (user_id, counter), (n, ends_at) in batch.items():
            args += [user_id, counter, int(n), ends_at]
        try:
            self._count(args=args)
        except Exception:
            with self._lock:  # kept for the next flush
                for user_counter, (n, ends_at) in batch.items():
                    pending = self._pending.setdefault(user_counter, [0, ends_at])
                    pending[0] += n
                    pending[1] = max(pending[1], ends_at)
            raise
        finally:
            with self._lock:
                for user_counter, (n, _) in batch.items():
                    left = self._writing.get(user_counter, 0) - int(n)
                    if left > 0:
                        self._writing[user_counter] = left
                    else:
                        self._writing.pop(user_counter, None)
                    self._users.pop(user_counter[0], None)  # read again: Redis has them now

    def forget_expired(self, now: float) -> None:
        self.flush()
        while int(self._forget(args=[self.prefix, now, FORGET_BATCH])) == FORGET_BATCH:
            pass
        with self._lock:
            self._users.clear()
