"""The `Counters` protocol: every piece of state the engine changes while it serves.

Each method is one atomic step, so a backend can be a dict under a lock or a Redis script,
and the engine never reads a value and writes it back in two steps where a race could
overspend. Money is integer micros; times are epoch seconds (the engine's clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """A campaign's budgets on one day of the network's time zone, and its advertiser's
    account: when the advertiser pays from a wallet or a capped credit line, every one of
    its campaigns reserves and charges against those funds too, in the same atomic step."""

    campaign_id: str
    day: str  # YYYY-MM-DD
    total_micros: int
    daily_micros: int | None
    account_id: str | None = None  # the advertiser: its charges are summed across campaigns
    # Its top-ups and credits plus its credit limit, less refunds: what all its charges may
    # reach. None: no limit (credit without a cap).
    account_micros: int | None = None


@dataclass(frozen=True, slots=True)
class BudgetUse:
    spent_total: int
    spent_day: int
    reserved_total: int
    reserved_day: int

    def left(self, limits: BudgetLimits) -> int:
        """What may still be reserved: the smaller of what the total and the day allow."""
        left = limits.total_micros - self.spent_total - self.reserved_total
        if limits.daily_micros is not None:
            left = min(left, limits.daily_micros - self.spent_day - self.reserved_day)
        return left


# How long a served ad holds its expected cost: its billable event may come this late and
# still find the money there. Afterwards the hold lapses (`release_expired`); a later event
# is still charged, capped by what is left.
RESERVATION_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class Hold:
    """What one served ad holds from its campaign's budget, as its billable event tells it:
    the ad, its campaign and budget day, the micros reserved when it was served and when
    that reservation lapses. Settling or releasing it gives those micros back. The event
    carries everything, so any process can give back what another process reserved."""

    ad_id: str
    campaign_id: str
    day: str
    micros: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class Charge:
    """One billable event's `settle`: its hold (None when it holds nothing any more), its
    limits and its cost."""

    hold: Hold | None
    limits: BudgetLimits
    amount_micros: int


CtrCounts = Mapping[tuple[str, str], tuple[int, int]]  # (creative, placement) -> (impressions, clicks)


@dataclass(frozen=True, slots=True)
class AccountUse:
    """An advertiser's charges over all time, and what its served ads hold, across campaigns."""

    spent: int
    reserved: int

    def left(self, funds_micros: int) -> int:
        return funds_micros - self.spent - self.reserved


@dataclass(frozen=True, slots=True)
class PacingState:
    """A campaign's even-pacing throttle: the share of its eligible requests it may take."""

    pass_rate: float
    updated_at: float
    day: str
    used_at_update: int  # the day's spend plus reservations when the rate was last set


class Counters(Protocol):
    # Spend is also in the event log, which outlives the counters (a restart, Redis losing
    # its data): until `restore` has loaded it, spend is unknown and nothing is reserved.
    def restored(self) -> bool:
        """Whether spend has been loaded from the log since this state began."""
        ...

    def restore(self, charged: Iterable[tuple[str, str, int]], accounts: Iterable[tuple[str, int]] = ()) -> None:
        """Set spend to (campaign id, budget day, micros) and each advertiser's charges to
        (advertiser id, micros), as summed from the log."""
        ...

    # Budgets: reserve when serving, settle when the billable event arrives.
    def budget_use(self, campaign_id: str, day: str) -> BudgetUse: ...

    def account_use(self, account_id: str) -> AccountUse: ...

    def reserve(self, ad_id: str, limits: BudgetLimits, amount_micros: int, expires_at: float) -> bool:
        """Hold `amount_micros` for a served ad until `expires_at` if the total, the day and
        the account's funds still allow it; False leaves nothing held."""
        ...

    def settle(self, hold: Hold | None, limits: BudgetLimits, amount_micros: int) -> int:
        """Charge a billable event, giving back its hold if any. The charge is capped so
        spend never passes the total, the day's budget or the account's funds; returns
        what was charged."""
        ...

    def settle_all(self, charges: Sequence[Charge]) -> list[int]:
        """`settle` for each charge, in order (one round trip for a batch of events); what
        each was charged."""
        ...

    def refund(self, campaign_id: str, day: str, amount_micros: int, account_id: str | None = None) -> None:
        """Take back a charge whose event turned out to be stored already (sent to two
        processes at once: both charged it before one insert lost to the unique key)."""
        ...

    def release(self, hold: Hold) -> None:
        """Give back what a served ad holds when its event will charge nothing."""
        ...

    def release_expired(self, now: float) -> int:
        """Drop reservations whose event never came; returns how many. Called every half
        second by the snapshot thread, it is also where a backend tends what it keeps per
        process (production renews its budget leases here)."""
        ...

    def close(self) -> None:
        """The process is stopping: give back what it holds only to serve faster (its
        budget leases), so the other processes can spend it at once."""
        ...

    # Frequency caps: impressions per user and counter (a line item and period bucket).
    def frequency(self, user_id: str, counter: str) -> int: ...

    def count_frequency(self, user_id: str, counter: str, expires_at: float) -> int: ...

    def forget_expired_frequency(self, now: float) -> None:
        """Drop counts whose period is over, so the state does not grow without end."""
        ...

    # Pacing.
    def pacing(self, campaign_id: str) -> PacingState | None: ...

    def set_pacing(self, campaign_id: str, state: PacingState) -> None: ...

    # Observed impressions and clicks per creative and placement, for predicted CTR.
    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]: ...

    def count_ctr(self, creative_id: str, placement_id: str, impressions: int, clicks: int) -> None: ...

    def count_ctr_all(self, counts: CtrCounts) -> None:
        """`count_ctr` for many creatives and placements at once (a batch of events)."""
        ...
