"""A process's budget leases: slices of what a campaign day may still spend, taken from
Redis in one atomic step and handed out to served ads here, with no round trip.

Redis counts a lease as held the moment it is granted, so the slices of every process
together never pass what is left; a slice is at most a quarter of what is left (the Lua
script decides), so slices shrink as a budget nears its end. What a process hands out is
told back to Redis when the lease is renewed or returned: each ad's hold then sits in the
bucket of when it lapses, where the ad's own event (on whichever process) finds it. A
process that dies leaves its lease in the bucket of the lease's end; it lapses there.

This module is the bookkeeping only (no I/O): `counters/redis.py` does the round trips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shelfspace.counters.protocol import BudgetLimits

# A lease hands out ads whose holds lapse within this of its first ad's (on the engine's
# clock plus the hold's lifetime): a process that dies leaves nothing held much longer
# than its ads would have held it themselves.
LEASE_SECONDS = 5.0
# Holds lapse together per bucket of this width (in Redis, one field per bucket).
HOLD_BUCKET_SECONDS = 10.0
# The smallest slice worth a round trip, in ads of the size just asked for.
MIN_LEASE_ADS = 4
# A renewal takes what the lease handed out since the last one, this many times over.
RENEWAL_HEADROOM = 4


@dataclass(frozen=True, slots=True)
class Bucket:
    """Holds lapsing together: the bucket's number and its end (epoch seconds)."""

    index: int
    ends: int

    @classmethod
    def of(cls, expires_at: float, width: float = HOLD_BUCKET_SECONDS) -> Bucket:
        index = math.ceil(expires_at / width)
        return cls(index, math.ceil(index * width))


@dataclass(slots=True, kw_only=True)
class Lease:
    """One campaign day's slice in this process."""

    epoch: str  # Redis's state it was granted in: after a restart, nothing to give back
    limits: BudgetLimits  # the latest an ad was handed out under: what a renewal asks with
    ends_at: float  # the latest hold expiry it may hand out
    bucket: Bucket  # where Redis keeps it until it is told what was handed out
    granted: int
    unused: int
    last_amount: int  # the size of its last ad: what a renewal must at least allow
    newest_expiry: float
    handed: dict[Bucket, list[int]] = field(default_factory=dict)  # bucket -> [micros, ads]
    used_since_tend: int = 0
    stale: bool = False  # a charge here found the budget held past what is left

    @property
    def account_id(self) -> str | None:
        return self.limits.account_id

    def can_hand(self, amount: int, expires_at: float, account_id: str | None) -> bool:
        return not self.stale and self.unused >= amount and expires_at <= self.ends_at and account_id == self.account_id

    def hand(self, amount: int, expires_at: float, width: float) -> None:
        self.unused -= amount
        self.used_since_tend += amount
        self.last_amount = amount
        self.newest_expiry = max(self.newest_expiry, expires_at)
        counts = self.handed.setdefault(Bucket.of(expires_at, width), [0, 0])
        counts[0] += amount
        counts[1] += 1

    def report(self) -> list[int]:
        """What it handed out, as the Lua script reads it: index, end, micros, ads per bucket."""
        return [
            value for bucket, (micros, ads) in self.handed.items() for value in (bucket.index, bucket.ends, micros, ads)
        ]


def first_target(amount: int, last: Lease | None) -> int:
    """A lease asked for on the serving path: a few ads' worth, or twice the last one's
    size when that one ran dry before the background renewal came round."""
    return max(MIN_LEASE_ADS * amount, 2 * last.granted if last is not None else 0)


def renewal_target(lease: Lease) -> int:
    """A background renewal: what the lease handed out since the last one, with headroom."""
    return max(MIN_LEASE_ADS * lease.last_amount, RENEWAL_HEADROOM * lease.used_since_tend)
