"""The Redis `Counters` backend: the same state as `memory.py`, shared by every process.

Budgets go through per-process leases (counters/leases.py): a served ad is handed its
hold from this process's slice, with no round trip; a slice is taken, renewed and given
back by one Lua script (counters/redis_scripts.py) each, so processes never race on a
budget, and their slices together never pass what is left. A charge runs in Redis on
whichever process its event reaches, capped there, and gives the ad's hold back by the
facts the event carries. Day counts expire a few days after their day, holds when their
bucket ends, frequency counts when the engine's sweep finds their period over: nothing
grows without end. Spend is also in the event log: when Redis has lost it (the
`restored` marker is gone with the rest), no lease is granted until a process has
rebuilt it from the log (`restore`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from shelfspace.counters.leases import (
    HOLD_BUCKET_SECONDS,
    LEASE_SECONDS,
    Bucket,
    Lease,
    first_target,
    renewal_target,
)
from shelfspace.counters.protocol import AccountUse, BudgetLimits, BudgetUse, Charge, CtrCounts, Hold, PacingState
from shelfspace.counters.redis_frequency import RedisFrequency
from shelfspace.counters.redis_scripts import (
    LEASE,
    RELEASE,
    RELEASE_EXPIRED,
    RESTORE,
    SETTLE,
)
from shelfspace.counters.steering import Kind, SteeringCopies

DAY_KEY_SECONDS = 4 * 86400  # a day's counts outlive it: late events still charge that day
RELEASE_BATCH = 1000
# Production: reads that only steer the auction (budget and funds left, the pacing state)
# come from this process's copy, at most this old. See `RedisCounters`.
STEERING_SECONDS = 0.25
RENEWAL_LOCKS = 64

CampaignDay = tuple[str, str]


class RedisCounters:
    """`reserve` hands a served ad its hold from this process's lease on the campaign day;
    only when the lease is short does it take a new one (one round trip). `release_expired`,
    which the snapshot thread calls every half second, renews busy leases in the
    background, gives idle ones back and lets lapsed holds go.

    What a process reads to steer (`budget_use`, `account_use`) counts its own lease's
    unused part as free: one process sees exactly what one in-process backend would.
    With `steering_seconds` > 0 those reads, and `pacing`, answer from a per-process copy
    at most that old, so most decisions make no round trip for them; they only steer, and
    what must never overspend (leases and charges) always runs in Redis."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "shelfspace:",
        steering_seconds: float = 0.0,
        hold_bucket_seconds: float = HOLD_BUCKET_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.steering_seconds = steering_seconds
        self.hold_bucket_seconds = hold_bucket_seconds
        self._lock = threading.Lock()  # the leases
        self._leases: dict[CampaignDay, Lease] = {}
        # One renewal of a campaign day's lease at a time: a fixed set of locks, by the key's
        # hash, so no lock is ever dropped while a thread is about to take it.
        self._renewals = [threading.Lock() for _ in range(RENEWAL_LOCKS)]
        self._lease = redis.register_script(LEASE)
        self._restore = redis.register_script(RESTORE)
        self._settle = redis.register_script(SETTLE)
        self._release = redis.register_script(RELEASE)
        self._release_expired = redis.register_script(RELEASE_EXPIRED)
        self._frequency = RedisFrequency(redis, prefix, write_behind=bool(steering_seconds))
        self._copies = (
            SteeringCopies(lambda: redis.pipeline(transaction=False), steering_seconds, chores=[self._frequency.flush])
            if steering_seconds
            else None
        )
        # Budget and funds left are versioned (counters/steering.py): a decision skips a
        # campaign on them, so a copy must never count a step of this process twice.
        self._budget = Kind("budget", self._queue_budget, _parse_budget, version=_version)
        self._account_kind = Kind(
            "account",
            lambda pipe, account: _queued(pipe.hmget(f"{prefix}a:{account}", "spent", "reserved", "v")),
            lambda answers: AccountUse(*_ints(answers[0][:2])),
            version=_version,
        )
        self._pacing_kind = Kind(
            "pacing",
            lambda pipe, campaign: _queued(pipe.get(f"{prefix}pace:{campaign}")),
            lambda answers: PacingState(**json.loads(answers[0])) if answers[0] else None,
        )
        self._ctr_kind = Kind(
            "ctr",
            lambda pipe, place: _queued(pipe.hmget(f"{prefix}ctr:{place[0]}:{place[1]}", "impressions", "clicks")),
            lambda answers: _ints(answers[0]),
            every=4,
        )

    @classmethod
    def from_url(cls, url: str, prefix: str = "shelfspace:", steering_seconds: float = 0.0) -> RedisCounters:
        return cls(
            Redis.from_url(url, decode_responses=True, socket_timeout=5, health_check_interval=30),
            prefix,
            steering_seconds,
        )

    def _pipelined(self, script: Script, calls: Sequence[Sequence[str | int]]) -> list[Any]:
        """Each call of one Lua script, in one round trip. By EVALSHA alone: redis-py's
        pipelined scripts first ask whether the script is loaded, a second round trip;
        when Redis has lost its scripts (a restart), they are loaded and the calls sent again."""
        for attempt in range(2):
            pipe = self.redis.pipeline(transaction=False)
            for args in calls:
                pipe.evalsha(script.sha, 0, *args)
            try:
                return pipe.execute()
            except NoScriptError:
                if attempt:
                    raise
                self.redis.script_load(script.script)
        raise AssertionError("unreachable")

    def _steer(self, kind: Kind, key: Hashable) -> Any:
        """A value that only steers: from this process's copy, or straight from Redis."""
        if self._copies is not None:
            return self._copies.get(kind, key)
        pipe = self.redis.pipeline(transaction=False)
        kind.queue(pipe, key)
        return kind.parse(pipe.execute())

    def _own_step(self, kind: Kind, key: Hashable, how: Callable[[Any], Any]) -> None:
        if self._copies is not None:
            self._copies.change(kind, key, how)

    def _queue_budget(self, pipe: Pipeline, key: CampaignDay) -> int:
        total_key, day_key = self._budget_keys(*key)
        pipe.hmget(total_key, "spent", "reserved", "v")  # the version covers the day's hash too
        pipe.hmget(day_key, "spent", "reserved")
        return 2

    def _answered(
        self, campaign_id: str, day: str, account_id: str | None, state: Sequence[Any] | None, sent: float
    ) -> None:
        """This process's own charge or hold, in its copies at once (others' show within
        `steering_seconds`, or with this process's next step): the campaign day's and its
        account's state right after the step, as its script answered it (`state` in
        counters/redis_scripts.py), the step sent at `sent` (monotonic)."""
        if self._copies is None or not state:
            return
        spent_total, reserved_total, version, spent_day, reserved_day, spent, reserved, account_version = (
            int(value) for value in state
        )
        self._copies.answered(
            self._budget,
            (campaign_id, day),
            BudgetUse(spent_total, spent_day, reserved_total, reserved_day),
            version,
            sent,
        )
        if account_id:
            self._copies.answered(self._account_kind, account_id, AccountUse(spent, reserved), account_version, sent)

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
        self._restore(args=[*args, uuid.uuid4().hex])  # a new epoch: leases of the lost state are void
        with self._lock:
            self._leases.clear()
        if self._copies is not None:
            self._copies.forget()

    def ping(self) -> None:
        self.redis.ping()

    # --- reading to steer ----------------------------------------------------------------

    def _budget_keys(self, campaign_id: str, day: str) -> tuple[str, str]:
        return f"{self.prefix}b:{campaign_id}", f"{self.prefix}b:{campaign_id}:{day}"

    def budget_use(self, campaign_id: str, day: str) -> BudgetUse:
        """Read to steer (budget left, pacing): from the copy, or one round trip without
        MULTI. The two hashes may be a step apart; what must not overspend (leases and
        charges) reads them in Lua. This process's unused slice counts as free."""
        key = (campaign_id, day)
        use: BudgetUse = self._steer(self._budget, key)
        with self._lock:
            lease = self._leases.get(key)
            own = lease.unused if lease is not None else 0
        if not own:
            return use
        return BudgetUse(use.spent_total, use.spent_day, use.reserved_total - own, use.reserved_day - own)

    def account_use(self, account_id: str) -> AccountUse:
        use: AccountUse = self._steer(self._account_kind, account_id)
        with self._lock:
            own = sum(lease.unused for lease in self._leases.values() if lease.account_id == account_id)
        return AccountUse(use.spent, use.reserved - own) if own else use

    # --- budgets: leases -----------------------------------------------------------------

    @staticmethod
    def _daily(limits: BudgetLimits) -> str:
        return "" if limits.daily_micros is None else str(limits.daily_micros)

    @staticmethod
    def _account(limits: BudgetLimits) -> list[str]:
        funds = "" if limits.account_micros is None else str(limits.account_micros)
        return [limits.account_id or "", funds]

    def _hand_out(self, key: CampaignDay, limits: BudgetLimits, amount: int, expires_at: float) -> bool:
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or not lease.can_hand(amount, expires_at, limits.account_id):
                return False
            lease.hand(amount, expires_at, self.hold_bucket_seconds)
            lease.limits = limits
            return True

    def _renewal_lock(self, key: CampaignDay) -> threading.Lock:
        return self._renewals[hash(key) % RENEWAL_LOCKS]

    def reserve(self, ad_id: str, limits: BudgetLimits, amount_micros: int, expires_at: float) -> bool:
        """From this process's lease when it has enough (no round trip); otherwise the lease
        is given back and a new one taken in one step. False: not even one ad is left."""
        key = (limits.campaign_id, limits.day)
        if self._hand_out(key, limits, amount_micros, expires_at):
            return True
        with self._renewal_lock(key):
            if self._hand_out(key, limits, amount_micros, expires_at):  # another thread renewed it
                return True
            with self._lock:
                last = self._leases.pop(key, None)
            lease = self._take(
                [(limits, last, amount_micros, first_target(amount_micros, last), expires_at + LEASE_SECONDS)]
            )[0]
            if lease is None and limits.account_id is not None and self._give_back_account(limits.account_id):
                # The funds ran short while this process's other campaigns of the advertiser
                # hold slices of them: those go back, and the ask is made once more.
                lease = self._take(
                    [(limits, None, amount_micros, first_target(amount_micros, None), expires_at + LEASE_SECONDS)]
                )[0]
            if lease is None:
                return False
            with self._lock:
                lease.hand(amount_micros, expires_at, self.hold_bucket_seconds)
                self._leases[key] = lease
            return True

    def _take(self, asks: Sequence[tuple[BudgetLimits, Lease | None, int, int, float]]) -> list[Lease | None]:
        """One LEASE script per (limits, last lease, wanted, target, new lease's end), in one
        round trip: each gives its last lease back and takes a new one (none when wanted is 0)."""
        calls: list[list[str | int]] = []
        for limits, last, wanted, target, ends_at in asks:
            bucket = Bucket.of(ends_at, self.hold_bucket_seconds)
            old: list[str | int] = (
                [last.epoch, last.bucket.index, last.bucket.ends, last.unused] if last else ["", 0, 0, 0]
            )
            calls.append(
                [
                    self.prefix,
                    limits.campaign_id,
                    limits.day,
                    limits.total_micros,
                    self._daily(limits),
                    *self._account(limits),
                    DAY_KEY_SECONDS,
                    *old,
                    wanted,
                    max(target, wanted),
                    bucket.index,
                    bucket.ends,
                    *(last.report() if last else []),
                ]
            )
        leases: list[Lease | None] = []
        sent = time.monotonic()
        for (limits, _, wanted, _, ends_at), answer in zip(asks, self._pipelined(self._lease, calls), strict=True):
            granted, epoch = int(answer[0]), answer[1]
            self._answered(
                limits.campaign_id, limits.day, limits.account_id, answer[2] if len(answer) > 2 else None, sent
            )
            leases.append(
                Lease(
                    epoch=epoch,
                    limits=limits,
                    ends_at=ends_at,
                    bucket=Bucket.of(ends_at, self.hold_bucket_seconds),
                    granted=granted,
                    unused=granted,
                    last_amount=wanted,
                    newest_expiry=ends_at - LEASE_SECONDS,
                )
                if granted
                else None
            )
        return leases

    def _tend(self, now: float) -> None:
        """Renew the leases that served since the last time and are half used or half way
        through; give back the idle ones and those past their end. A lease a request is
        renewing right now is left to it."""
        due: list[tuple[CampaignDay, Lease, bool, threading.Lock]] = []  # (key, lease, renew?, its lock)
        with self._lock:
            for key, lease in list(self._leases.items()):
                lock = self._renewal_lock(key)
                if not lock.acquire(blocking=False):  # a request renews it (or one sharing its lock)
                    continue
                idle = (
                    lease.used_since_tend == 0
                    or lease.stale
                    or lease.ends_at <= now
                    or lease.newest_expiry + LEASE_SECONDS <= now
                )
                lapsing = any(bucket.ends <= now for bucket in lease.handed)  # their holds must go back now
                if (
                    not idle
                    and not lapsing
                    and lease.unused * 2 >= lease.granted
                    and lease.ends_at - lease.newest_expiry >= LEASE_SECONDS / 2
                ):
                    lease.used_since_tend = 0
                    lock.release()
                    continue
                del self._leases[key]
                due.append((key, lease, not idle, lock))
        if not due:
            return
        try:
            renewed = self._take(
                [
                    (
                        lease.limits,
                        lease,
                        lease.last_amount if renew else 0,
                        renewal_target(lease) if renew else 0,
                        lease.newest_expiry + LEASE_SECONDS,
                    )
                    for _, lease, renew, _ in due
                ]
            )
            with self._lock:
                for (key, _, _, _), new in zip(due, renewed, strict=True):
                    if new is not None:
                        self._leases[key] = new
        finally:
            for *_, lock in due:
                lock.release()

    def close(self) -> None:
        """Every lease back to Redis (a process stopping): what it did not hand out is free
        for the others at once instead of when its bucket ends; frequency counts written."""
        if self._copies is not None:
            self._copies.stop()
        self._frequency.flush()
        with self._lock:
            leases = list(self._leases.values())
            self._leases.clear()
        self._give_back(leases)

    def _give_back(self, leases: Sequence[Lease]) -> None:
        """Leases already taken out of the book, back to Redis in one round trip."""
        if leases:
            self._take([(lease.limits, lease, 0, 0, lease.ends_at) for lease in leases])

    def _give_back_account(self, account_id: str) -> bool:
        """This process's unused slices of an advertiser's funds, back to Redis; whether any
        were. Leases being renewed by another thread are left to it."""
        with self._lock:
            keys = [key for key, lease in self._leases.items() if lease.account_id == account_id and lease.unused]
        given: list[Lease] = []
        for key in keys:
            lock = self._renewal_lock(key)
            if not lock.acquire(blocking=False):
                continue
            try:
                with self._lock:
                    if (lease := self._leases.pop(key, None)) is not None:
                        given.append(lease)
            finally:
                lock.release()
        self._give_back(given)
        return bool(given)

    # --- budgets: charges and holds ------------------------------------------------------

    def _hold_args(self, hold: Hold | None) -> list[str | int]:
        if hold is None:
            return ["", 0, 0]
        bucket = Bucket.of(hold.expires_at, self.hold_bucket_seconds)
        return [hold.micros, bucket.index, bucket.ends]

    def settle(self, hold: Hold | None, limits: BudgetLimits, amount_micros: int) -> int:
        return self.settle_all([Charge(hold, limits, amount_micros)])[0]

    def settle_all(self, charges: Sequence[Charge]) -> list[int]:
        """Each charge is the same Lua script, atomic on its own; a pipeline sends them all in
        one round trip and Redis runs them in order, so each is capped by those before it."""
        if not charges:
            return []
        sent = time.monotonic()
        answers = self._pipelined(
            self._settle,
            [
                [
                    self.prefix,
                    c.limits.campaign_id,
                    c.limits.day,
                    c.limits.total_micros,
                    self._daily(c.limits),
                    c.amount_micros,
                    DAY_KEY_SECONDS,
                    *self._account(c.limits),
                    *self._hold_args(c.hold),
                ]
                for c in charges
            ],
        )
        for c, (_charged, over, state) in zip(charges, answers, strict=True):
            self._answered(c.limits.campaign_id, c.limits.day, c.limits.account_id, state, sent)
            if int(over):  # held past what is left: this process's slices go back before more is handed out
                self._stale(c.limits)
        return [int(charged) for charged, *_ in answers]

    def _stale(self, limits: BudgetLimits) -> None:
        """The campaign day's lease, and every lease on the same advertiser's funds: the
        next ad they would hand out asks Redis first."""
        with self._lock:
            for (campaign_id, day), lease in self._leases.items():
                if (campaign_id, day) == (limits.campaign_id, limits.day) or (
                    limits.account_id is not None and lease.account_id == limits.account_id
                ):
                    lease.stale = True

    def refund(self, campaign_id: str, day: str, amount_micros: int, account_id: str | None = None) -> None:
        """One MULTI: the charge taken back, the versions moved, and the state after read
        for this process's copies (as a script's `state` answers it)."""
        total_key, day_key = self._budget_keys(campaign_id, day)
        account_key = f"{self.prefix}a:{account_id}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(total_key, "spent", -amount_micros)
        pipe.hincrby(day_key, "spent", -amount_micros)
        pipe.hincrby(total_key, "v", 1)
        if account_id is not None:
            pipe.hincrby(account_key, "spent", -amount_micros)
            pipe.hincrby(account_key, "v", 1)
        pipe.hmget(total_key, "spent", "reserved", "v")
        pipe.hmget(day_key, "spent", "reserved")
        if account_id is not None:
            pipe.hmget(account_key, "spent", "reserved", "v")
        sent = time.monotonic()
        answers = pipe.execute()
        total, daily, funds = answers[-3:] if account_id is not None else (*answers[-2:], [None] * 3)
        self._answered(campaign_id, day, account_id, [int(value or 0) for value in [*total, *daily, *funds]], sent)

    def release(self, hold: Hold) -> None:
        sent = time.monotonic()
        _, account, state = self._release(args=[self.prefix, hold.campaign_id, hold.day, *self._hold_args(hold)])
        self._answered(hold.campaign_id, hold.day, account or None, state, sent)

    def release_expired(self, now: float) -> int:
        """Tend this process's leases, then give back the holds of every bucket that has
        ended (any process's); returns how many ads' holds lapsed."""
        self._tend(now)
        released = 0
        while True:
            buckets, ads = self._release_expired(args=[self.prefix, now, RELEASE_BATCH])
            released += int(ads)
            if int(buckets) and self._copies is not None:  # which campaigns, only Redis knows: read again
                self._copies.forget(self._budget)
                self._copies.forget(self._account_kind)
            if int(buckets) < RELEASE_BATCH:
                return released

    # --- frequency -------------------------------------------------------------------

    def frequency(self, user_id: str, key: str) -> int:
        return self._frequency.count_of(user_id, key)

    def count_frequency(self, user_id: str, key: str, expires_at: float) -> int:
        if self._copies is not None:
            self._copies.start()  # its thread writes the count behind
        return self._frequency.count(user_id, key, expires_at)

    def forget_expired_frequency(self, now: float) -> None:
        self._frequency.forget_expired(now)

    # --- pacing, CTR -----------------------------------------------------------

    def pacing(self, campaign_id: str) -> PacingState | None:
        state: PacingState | None = self._steer(self._pacing_kind, campaign_id)
        return state

    def set_pacing(self, campaign_id: str, state: PacingState) -> None:
        self.redis.set(f"{self.prefix}pace:{campaign_id}", json.dumps(asdict(state)), ex=DAY_KEY_SECONDS)
        if self._copies is not None:
            self._copies.put(self._pacing_kind, campaign_id, state)

    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]:
        """An auction prices every CPC candidate: a click rate a moment old ranks as well as
        a fresh one, so it comes from the copy."""
        stats: tuple[int, int] = self._steer(self._ctr_kind, (creative_id, placement_id))
        return stats

    def count_ctr(self, creative_id: str, placement_id: str, impressions: int, clicks: int) -> None:
        self.count_ctr_all({(creative_id, placement_id): (impressions, clicks)})

    def count_ctr_all(self, counts: CtrCounts) -> None:
        if not counts:
            return
        pipe = self.redis.pipeline(transaction=True)
        for (creative_id, placement_id), (impressions, clicks) in counts.items():
            name = f"{self.prefix}ctr:{creative_id}:{placement_id}"
            pipe.hincrby(name, "impressions", impressions)
            pipe.hincrby(name, "clicks", clicks)
        pipe.execute()
        for place, added in counts.items():  # this process sees its own counts at once
            self._own_step(self._ctr_kind, place, _adder(added))


def _adder(added: tuple[int, int]) -> Callable[[tuple[int, int]], tuple[int, int]]:
    return lambda stats: (stats[0] + added[0], stats[1] + added[1])


def _queued(_: object) -> int:
    """One command queued on the pipeline."""
    return 1


def _ints(values: Sequence[str | None]) -> tuple[int, int]:
    first, second = values
    return int(first or 0), int(second or 0)


def _parse_budget(answers: list[Any]) -> BudgetUse:
    (spent_total, reserved_total), (spent_day, reserved_day) = _ints(answers[0][:2]), _ints(answers[1])
    return BudgetUse(spent_total, spent_day, reserved_total, reserved_day)


def _version(answers: list[Any]) -> int:
    """A versioned kind's version: the third field of its first read (`v`, counted by Redis)."""
    return int(answers[0][2] or 0)
