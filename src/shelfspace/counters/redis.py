"""The Redis `Counters` backend: the same state as `memory.py`, shared by every process.

Each budget step is one Lua script (counters/redis_scripts.py), so processes never race
on a budget. Day counts expire a few days after their day, reservations soon after they
lapse, frequency counts when the engine's sweep finds their period over: nothing grows
without end. Spend is
also in the event log: when Redis has lost it (the `restored` marker is gone with the rest),
no reservation is granted until a process has rebuilt it from the log (`restore`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from redis import Redis

from shelfspace.counters.protocol import AccountUse, BudgetLimits, BudgetUse, Charge, CtrCounts, PacingState
from shelfspace.counters.redis_scripts import (
    COUNT_FREQUENCY,
    FORGET_FREQUENCY,
    RELEASE,
    RELEASE_EXPIRED,
    RESERVE,
    RESTORE,
    SETTLE,
)

DAY_KEY_SECONDS = 4 * 86400  # a day's counts outlive it: late events still charge that day
# A reservation is released by `release_expired` on the engine's clock; its key's own
# lifetime only keeps a forgotten one from staying for ever.
RESERVATION_KEY_SECONDS = 86400
RELEASE_BATCH = 1000
CTR_CACHE_SECONDS = 1.0
# Production: reads that only steer the auction (budget and funds left, the pacing state)
# come from this process's copy, at most this old. See `RedisCounters`.
STEERING_SECONDS = 0.25


class RedisCounters:
    """With `steering_seconds` > 0, `budget_use`, `account_use` and `pacing` answer from a
    per-process copy at most that old, so most decisions make no round trip for them. They
    only steer (skip a spent campaign, throttle by pace): what must never overspend,
    `reserve` and `settle`, always runs in Redis, and a reservation refused on a stale read
    just lets the walk go on. This process's own steps are applied to its copy at once (a
    reservation adds to what is held; a charge, release or refund drops the copy), so one
    process sees exactly what it would without the copy; other processes' steps show
    within `steering_seconds`."""

    def __init__(self, redis: Redis, prefix: str = "shelfspace:", steering_seconds: float = 0.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.steering_seconds = steering_seconds
        self._budgets: dict[tuple[str, str], tuple[float, BudgetUse]] = {}
        self._accounts: dict[str, tuple[float, AccountUse]] = {}
        self._pacing: dict[str, tuple[float, PacingState | None]] = {}
        self._reserve = redis.register_script(RESERVE)
        self._restore = redis.register_script(RESTORE)
        self._settle = redis.register_script(SETTLE)
        self._release = redis.register_script(RELEASE)
        self._release_expired = redis.register_script(RELEASE_EXPIRED)
        self._count_frequency = redis.register_script(COUNT_FREQUENCY)
        self._forget_frequency = redis.register_script(FORGET_FREQUENCY)
        self._ctr_cache: dict[tuple[str, str], tuple[float, tuple[int, int]]] = {}

    @classmethod
    def from_url(cls, url: str, prefix: str = "shelfspace:", steering_seconds: float = 0.0) -> RedisCounters:
        return cls(Redis.from_url(url, decode_responses=True, socket_timeout=5, health_check_interval=30), prefix,
                   steering_seconds)

    def _fresh(self, stamp: float) -> bool:
        return time.monotonic() - stamp < self.steering_seconds

    def _forget_steering(self) -> None:
        """Steps whose effect on each campaign is not known here (lapsed reservations, a
        restore): every copy is read again."""
        self._budgets.clear()
        self._accounts.clear()

    # --- spend from the log --------------------------------------------------------------

    def restored(self) -> bool:
        return bool(self.redis.exists(f"{self.prefix}restored"))

    def restore(self, charged: Iterable[tuple[str, str, int]], accounts: Iterable[tuple[str, int]] = ()) -> None:
        owed = list(accounts)
        args: list[str | int] = [self.prefix, DAY_KEY_SECONDS, len(owed)]
        for account, micros in owed:
            args += [account, micros]
        for campaign, day, micros in charged:
            args += [campaign, day, micros]
        self._restore(args=args)
        self._forget_steering()

    def ping(self) -> None:
        self.redis.ping()

    # --- budgets ---------------------------------------------------------------------

    def _budget_keys(self, campaign_id: str, day: str) -> tuple[str, str]:
        return f"{self.prefix}b:{campaign_id}", f"{self.prefix}b:{campaign_id}:{day}"

    def budget_use(self, campaign_id: str, day: str) -> BudgetUse:
        """Read to steer (budget left, pacing): one round trip, no MULTI, or none from a copy
        young enough. The two hashes may be a step apart; what must not overspend,
        `reserve` and `settle`, reads them in Lua."""
        if self.steering_seconds:
            cached = self._budgets.get((campaign_id, day))
            if cached is not None and self._fresh(cached[0]):
                return cached[1]
        stamp = time.monotonic()
        use = self._read_budget(campaign_id, day)
        if self.steering_seconds:
            self._budgets[(campaign_id, day)] = (stamp, use)
        return use

    def _read_budget(self, campaign_id: str, day: str) -> BudgetUse:
        total_key, day_key = self._budget_keys(campaign_id, day)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(total_key, "spent", "reserved")
        pipe.hmget(day_key, "spent", "reserved")
        (spent_total, reserved_total), (spent_day, reserved_day) = pipe.execute()
        return BudgetUse(int(spent_total or 0), int(spent_day or 0), int(reserved_total or 0), int(reserved_day or 0))

    def account_use(self, account_id: str) -> AccountUse:
        if self.steering_seconds:
            cached = self._accounts.get(account_id)
            if cached is not None and self._fresh(cached[0]):
                return cached[1]
        stamp = time.monotonic()
        spent, reserved = self.redis.hmget(f"{self.prefix}a:{account_id}", "spent", "reserved")
        use = AccountUse(int(spent or 0), int(reserved or 0))
        if self.steering_seconds:
            self._accounts[account_id] = (stamp, use)
        return use

    @staticmethod
    def _daily(limits: BudgetLimits) -> str:
        return "" if limits.daily_micros is None else str(limits.daily_micros)

    @staticmethod
    def _account(limits: BudgetLimits) -> list[str]:
        funds = "" if limits.account_micros is None else str(limits.account_micros)
        return [limits.account_id or "", funds]

    def reserve(self, reservation_id: str, limits: BudgetLimits, amount_micros: int, expires_at: float) -> bool:
        done = self._reserve(args=[self.prefix, reservation_id, limits.campaign_id, limits.day, limits.total_micros,
                                   self._daily(limits), amount_micros, expires_at, DAY_KEY_SECONDS,
                                   RESERVATION_KEY_SECONDS, *self._account(limits)])
        if int(done) and self.steering_seconds:  # what this process holds now, in its copies too
            key = (limits.campaign_id, limits.day)
            if (cached := self._budgets.get(key)) is not None:
                use = cached[1]
                self._budgets[key] = (cached[0], BudgetUse(use.spent_total, use.spent_day,
                                                           use.reserved_total + amount_micros,
                                                           use.reserved_day + amount_micros))
            if limits.account_id is not None and (account := self._accounts.get(limits.account_id)) is not None:
                self._accounts[limits.account_id] = (account[0], AccountUse(account[1].spent,
                                                                            account[1].reserved + amount_micros))
        return bool(int(done))

    def _forget_campaign(self, campaign_id: str, day: str, account_id: str | None) -> None:
        self._budgets.pop((campaign_id, day), None)
        if account_id is not None:
            self._accounts.pop(account_id, None)

    def settle(self, reservation_id: str | None, limits: BudgetLimits, amount_micros: int) -> int:
        return self.settle_all([Charge(reservation_id, limits, amount_micros)])[0]

    def settle_all(self, charges: Sequence[Charge]) -> list[int]:
        """Each charge is the same Lua script, atomic on its own; a pipeline sends them all in
        one round trip and Redis runs them in order, so each is capped by those before it."""
        if not charges:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for c in charges:
            self._settle(args=[self.prefix, c.reservation_id or "", c.limits.campaign_id, c.limits.day,
                               c.limits.total_micros, self._daily(c.limits), c.amount_micros, DAY_KEY_SECONDS,
                               *self._account(c.limits)], client=pipe)
        charged = [int(micros) for micros in pipe.execute()]
        for c in charges:  # spent and held changed by amounts this process does not know
            self._forget_campaign(c.limits.campaign_id, c.limits.day, c.limits.account_id)
        return charged

    def refund(self, campaign_id: str, day: str, amount_micros: int, account_id: str | None = None) -> None:
        total_key, day_key = self._budget_keys(campaign_id, day)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(total_key, "spent", -amount_micros)
        pipe.hincrby(day_key, "spent", -amount_micros)
        if account_id is not None:
            pipe.hincrby(f"{self.prefix}a:{account_id}", "spent", -amount_micros)
        pipe.execute()
        self._forget_campaign(campaign_id, day, account_id)

    def release(self, reservation_id: str) -> None:
        self._release(args=[self.prefix, reservation_id])
        self._forget_steering()  # the reservation's campaign is known only to Redis

    def release_expired(self, now: float) -> int:
        released = 0
        while True:
            batch = int(self._release_expired(args=[self.prefix, now, RELEASE_BATCH]))
            released += batch
            if batch:
                self._forget_steering()
            if batch < RELEASE_BATCH:
                return released

    # --- frequency -------------------------------------------------------------------

    def frequency(self, key: str) -> int:
        return int(self.redis.get(f"{self.prefix}f:{key}") or 0)

    def count_frequency(self, key: str, expires_at: float) -> int:
        return int(self._count_frequency(args=[self.prefix, key, expires_at]))

    def forget_expired_frequency(self, now: float) -> None:
        while int(self._forget_frequency(args=[self.prefix, now, RELEASE_BATCH])) == RELEASE_BATCH:
            pass

    # --- pacing, CTR -----------------------------------------------------------

    def pacing(self, campaign_id: str) -> PacingState | None:
        if self.steering_seconds:
            cached = self._pacing.get(campaign_id)
            if cached is not None and self._fresh(cached[0]):
                return cached[1]
        stamp = time.monotonic()
        raw = self.redis.get(f"{self.prefix}pace:{campaign_id}")
        state = PacingState(**json.loads(raw)) if raw else None
        if self.steering_seconds:
            self._pacing[campaign_id] = (stamp, state)
        return state

    def set_pacing(self, campaign_id: str, state: PacingState) -> None:
        self.redis.set(f"{self.prefix}pace:{campaign_id}", json.dumps(asdict(state)), ex=DAY_KEY_SECONDS)
        if self.steering_seconds:
            self._pacing[campaign_id] = (time.monotonic(), state)

    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]:
        """Read through a cache of `CTR_CACHE_SECONDS`: an auction prices every CPC candidate,
        and a click rate a second old ranks as well as a fresh one."""
        place = (creative_id, placement_id)
        cached = self._ctr_cache.get(place)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        seen, clicked = self.redis.hmget(f"{self.prefix}ctr:{creative_id}:{placement_id}", "impressions", "clicks")
        stats = int(seen or 0), int(clicked or 0)
        self._ctr_cache[place] = (now + CTR_CACHE_SECONDS, stats)
        return stats

    def count_ctr(self, creative_id: str, placement_id: str, impressions: int, clicks: int) -> None:
        self.count_ctr_all({(creative_id, placement_id): (impressions, clicks)})

    def count_ctr_all(self, counts: CtrCounts) -> None:
        if not counts:
            return
        pipe = self.redis.pipeline(transaction=True)
        for (creative_id, placement_id), (impressions, clicks) in counts.items():
            self._ctr_cache.pop((creative_id, placement_id), None)  # this process sees its own counts at once
            name = f"{self.prefix}ctr:{creative_id}:{placement_id}"
            pipe.hincrby(name, "impressions", impressions)
            pipe.hincrby(name, "clicks", clicks)
        pipe.execute()

