"""Even pacing: a feedback controller that spreads a campaign's day across the day.

Every `interval` seconds the pass rate (the share of eligible requests the campaign may
take) is set so that, at the spend rate just observed, the budget left is spent evenly
over the time left: rate × (wanted spend / observed spend). Traffic that swells makes
the observed spend rise and the rate fall, and the other way round; near the end of the
day the budget left is all that may be spent, so the day ends close to its budget, and
the reservations stop it ever going over. A campaign's line items share its budget, so
they share its pass rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from shelfspace.counters.protocol import PacingState

MIN_PASS_RATE = 0.0005
MAX_STEP = 4.0  # the rate moves by at most this factor per update, against noise


@dataclass(frozen=True, slots=True)
class DayWindow:
    """The part of today (epoch seconds) the campaign may spend in, and its target for it."""

    day: str
    start: float
    end: float
    target_micros: int


def day_target_micros(
    budget_total_micros: int,
    budget_daily_micros: int | None,
    end: datetime | None,
    spent_total: int,
    spent_day: int,
    today: date,
    timezone: tzinfo,
) -> int:
    """What even pacing aims to spend on `today` (a local date): the daily budget; without
    one, what was left of the total when the day began spread evenly over the days left,
    today and the end's day included; without an end either, the whole total (nothing to
    spread it over). The brand's pacing panel (reporting/pacing.py) reads the same figure."""
    if budget_daily_micros is not None:
        return budget_daily_micros
    if end is None:
        return budget_total_micros
    days_left = max(1, (end.astimezone(timezone).date() - today).days + 1)
    return (budget_total_micros - spent_total + spent_day) // days_left


def next_state(
    state: PacingState | None, now: float, used_today: int, window: DayWindow, interval: float
) -> PacingState:
    """The pacing state after looking at spend (plus reservations) so far today."""
    if state is None or state.day != window.day:
        return PacingState(pass_rate=1.0, updated_at=now, day=window.day, used_at_update=used_today)
    elapsed = now - state.updated_at
    if elapsed < interval:
        return state
    left = window.target_micros - used_today
    if left <= 0:
        return PacingState(MIN_PASS_RATE, now, window.day, used_today)
    time_left = max(window.end - now, interval)
    wanted = left * min(1.0, elapsed / time_left)
    observed = used_today - state.used_at_update
    if observed <= 0:
        rate = state.pass_rate * MAX_STEP
    else:
        rate = state.pass_rate * max(1 / MAX_STEP, min(MAX_STEP, wanted / observed))
    return PacingState(max(MIN_PASS_RATE, min(1.0, rate)), now, window.day, used_today)
