"""The in-process `Counters` backend: dicts under one lock.

Right for one server process (the embedded default) and for tests; the state lives as
long as the process. Several processes share state through the Redis backend instead.
"""

from __future__ import annotations

import heapq
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shelfspace.counters.protocol import AccountUse, BudgetLimits, BudgetUse, Charge, CtrCounts, Hold, PacingState


@dataclass(slots=True)
class _Reservation:
    campaign_id: str
    day: str
    amount: int
    expires_at: float
    account_id: str | None


class MemoryCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spent_total: dict[str, int] = defaultdict(int)
        self._spent_day: dict[tuple[str, str], int] = defaultdict(int)
        self._reserved_total: dict[str, int] = defaultdict(int)
        self._reserved_day: dict[tuple[str, str], int] = defaultdict(int)
        self._account_spent: dict[str, int] = defaultdict(int)
        self._account_reserved: dict[str, int] = defaultdict(int)
        self._reservations: dict[str, _Reservation] = {}
        self._expiry: list[tuple[float, str]] = []  # heap: the next reservation to expire first
        self._frequency: dict[tuple[str, str], tuple[int, float]] = {}  # (user, counter) -> (count, ends)
        self._pacing: dict[str, PacingState] = {}
        self._ctr: dict[tuple[str, str], tuple[int, int]] = {}
        self._restored = False

    # --- spend from the log --------------------------------------------------------------

    def restored(self) -> bool:
        return self._restored

    def restore(self, charged: Iterable[tuple[str, str, int]], accounts: Iterable[tuple[str, int]] = ()) -> None:
        with self._lock:
            totals: dict[str, int] = defaultdict(int)
            for campaign, day, micros in charged:
                self._spent_day[(campaign, day)] = micros
                totals[campaign] += micros
            self._spent_total.update(totals)
            self._account_spent.update(dict(accounts))
            self._restored = True

    # --- budgets ---------------------------------------------------------------------

    def budget_use(self, campaign_id: str, day: str) -> BudgetUse:
        with self._lock:
            return self._use(campaign_id, day)

    def _use(self, campaign_id: str, day: str) -> BudgetUse:
        return BudgetUse(
            spent_total=self._spent_total[campaign_id],
            spent_day=self._spent_day[(campaign_id, day)],
            reserved_total=self._reserved_total[campaign_id],
            reserved_day=self._reserved_day[(campaign_id, day)],
        )

    def account_use(self, account_id: str) -> AccountUse:
        with self._lock:
            return AccountUse(self._account_spent[account_id], self._account_reserved[account_id])

    def _account_left(self, limits: BudgetLimits, reserved: bool) -> int | None:
        if limits.account_id is None or limits.account_micros is None:
            return None
        used = self._account_spent[limits.account_id]
        if reserved:
            used += self._account_reserved[limits.account_id]
        return limits.account_micros - used

    def reserve(self, ad_id: str, limits: BudgetLimits, amount_micros: int, expires_at: float) -> bool:
        with self._lock:
            left = self._use(limits.campaign_id, limits.day).left(limits)
            account_left = self._account_left(limits, reserved=True)
            if amount_micros > left or (account_left is not None and amount_micros > account_left):
                return False
            self._reservations[ad_id] = _Reservation(
                limits.campaign_id, limits.day, amount_micros, expires_at, limits.account_id
            )
            heapq.heappush(self._expiry, (expires_at, ad_id))
            self._reserved_total[limits.campaign_id] += amount_micros
            self._reserved_day[(limits.campaign_id, limits.day)] += amount_micros
            if limits.account_id is not None:
                self._account_reserved[limits.account_id] += amount_micros
            return True

    def _drop(self, reservation_id: str) -> None:
        held = self._reservations.pop(reservation_id, None)
        if held is not None:
            self._reserved_total[held.campaign_id] -= held.amount
            self._reserved_day[(held.campaign_id, held.day)] -= held.amount
            if held.account_id is not None:
                self._account_reserved[held.account_id] -= held.amount

    def settle(self, hold: Hold | None, limits: BudgetLimits, amount_micros: int) -> int:
        """One process saw every reservation: a hold is dropped by its ad's id, with the
        amount this process recorded for it."""
        with self._lock:
            if hold is not None:
                self._drop(hold.ad_id)
            campaign, day = limits.campaign_id, limits.day
            room = limits.total_micros - self._spent_total[campaign]
            if limits.daily_micros is not None:
                room = min(room, limits.daily_micros - self._spent_day[(campaign, day)])
            account_room = self._account_left(limits, reserved=False)
            if account_room is not None:
                room = min(room, account_room)
            charged = max(0, min(amount_micros, room))
            self._spent_total[campaign] += charged
            self._spent_day[(campaign, day)] += charged
            if limits.account_id is not None:
                self._account_spent[limits.account_id] += charged
            return charged

    def settle_all(self, charges: Sequence[Charge]) -> list[int]:
        return [self.settle(c.hold, c.limits, c.amount_micros) for c in charges]

    def refund(self, campaign_id: str, day: str, amount_micros: int, account_id: str | None = None) -> None:
        with self._lock:
            self._spent_total[campaign_id] -= amount_micros
            self._spent_day[(campaign_id, day)] -= amount_micros
            if account_id is not None:
                self._account_spent[account_id] -= amount_micros

    def release(self, hold: Hold) -> None:
        with self._lock:
            self._drop(hold.ad_id)

    def release_expired(self, now: float) -> int:
        released = 0
        with self._lock:
            while self._expiry and self._expiry[0][0] <= now:
                _, rid = heapq.heappop(self._expiry)
                if rid in self._reservations:  # not settled or released meanwhile
                    self._drop(rid)
                    released += 1
        return released

    def close(self) -> None:
        """Nothing is held per process beyond the state itself."""

    # --- frequency -------------------------------------------------------------------

    def frequency(self, user_id: str, counter: str) -> int:
        with self._lock:
            count, _ = self._frequency.get((user_id, counter), (0, 0.0))
            return count

    def count_frequency(self, user_id: str, counter: str, expires_at: float) -> int:
        with self._lock:
            count, _ = self._frequency.get((user_id, counter), (0, 0.0))
            self._frequency[(user_id, counter)] = (count + 1, expires_at)
            return count + 1

    def forget_expired_frequency(self, now: float) -> None:
        with self._lock:
            for key in [k for k, (_, expires) in self._frequency.items() if expires <= now]:
                del self._frequency[key]

    # --- pacing, CTR -----------------------------------------------------------

    def pacing(self, campaign_id: str) -> PacingState | None:
        return self._pacing.get(campaign_id)

    def set_pacing(self, campaign_id: str, state: PacingState) -> None:
        self._pacing[campaign_id] = state

    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]:
        return self._ctr.get((creative_id, placement_id), (0, 0))

    def count_ctr(self, creative_id: str, placement_id: str, impressions: int, clicks: int) -> None:
        self.count_ctr_all({(creative_id, placement_id): (impressions, clicks)})

    def count_ctr_all(self, counts: CtrCounts) -> None:
        with self._lock:
            for place, (impressions, clicks) in counts.items():
                seen, clicked = self._ctr.get(place, (0, 0))
                self._ctr[place] = (seen + impressions, clicked + clicks)
