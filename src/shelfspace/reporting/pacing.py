"""A campaign's pacing, as its brand reads it: budget used, today's spend against the day's
target, the spend projected to the end, and, when it under-delivers, what to do.

Pure: the page (dashboard/brand/pacing_panel.py) gives it the campaign's flight and
budgets, its spend per local day from the report rollups (reporting/report.py, the days
before today) and today's spend (the budget counters, which the rollups trail by seconds).

- Budget used: all spend so far against the total budget.
- Today's target: the ad server's own, `decisioning/pacing.py day_target_micros` (even
  pacing: the daily budget, or without one what is left spread over the days left).
  An as-fast-as-possible campaign has no target, only its daily budget if it has one.
  With even pacing, "by now" is that target times the share of today's part of the flight
  gone, as the pacing controller spreads it.
- The recent daily rate: the average spend of the last whole days of the flight (up to
  RATE_DAYS, today excluded: it has only begun); in a flight's first day, today's spend so
  far at its speed, once it has run SETTLING_SECONDS.
- Projected end spend: the spend so far, plus the rest of today and every later day of the
  flight at that rate, each day held to the daily budget, the whole to the total budget.
  Without an end date, how long the budget lasts at that rate.
- Under-delivering: projected below UNDER of what its budgets allow by the end (the total,
  or less when the daily budget over the days left allows less); without an end, a rate
  below UNDER of the daily budget. A campaign that cannot serve now (paused, out of funds,
  in review...) is not judged: its state says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from shelfspace.core.money_words import MoneyWords
from shelfspace.decisioning.pacing import day_target_micros

RATE_DAYS = 7
UNDER = 0.7  # the share of what the budgets allow below which a campaign under-delivers
SETTLING_SECONDS = 3600  # a first day's rate needs an hour of it
BUDGET_SLACK = 100  # within 1/100 of the total: spent (as catalog/campaign_state.py counts it)
DAY = timedelta(days=1)
DATE = "%d %b %Y"


class Verdict(StrEnum):
    UNDER_DELIVERING = "under_delivering"
    ON_PACE = "on_pace"
    NO_TARGET = "no_target"  # no end and no daily budget: it spends what it wins until the budget is gone
    TOO_EARLY = "too_early"  # its first hour: no rate yet
    BUDGET_SPENT = "budget_spent"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    NOT_DELIVERING = "not_delivering"  # it cannot serve now: its state says why


class TargetKind(StrEnum):
    DAILY_BUDGET = "daily_budget"  # even pacing with a daily budget
    EVEN_SHARE = "even_share"  # even pacing without one: what is left over the days left
    DAILY_CAP = "daily_cap"  # as fast as possible, held to a daily budget
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Flight:
    """The campaign's own terms (aware datetimes)."""

    start: datetime
    end: datetime | None  # exclusive; None: no end date
    budget_total_micros: int
    budget_daily_micros: int | None
    even: bool  # even pacing (else as fast as possible)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pacing:
    verdict: Verdict
    spent_micros: int
    budget_micros: int
    today_micros: int
    target_kind: TargetKind
    target_micros: int | None  # today's target (or the daily cap of an as-fast-as-possible campaign)
    expected_by_now_micros: int | None  # even pacing, today in the flight
    day_share: float  # of today's part of the flight, gone
    rate_micros: int | None  # a day, recent
    rate_days: int  # whole days the rate averages; 0: today so far
    projected_micros: int | None  # at the end date (None: no end, or no rate)
    allowed_micros: int | None  # what the budgets allow by the end date
    last_day: date | None  # the flight's last local day
    runs_out_on: date | None  # the day the total budget would be spent at the rate, before the end or without one

    @property
    def used_share(self) -> float:
        return self.spent_micros / self.budget_micros if self.budget_micros else 0.0

    @property
    def today_share(self) -> float | None:
        return self.today_micros / self.target_micros if self.target_micros else None


def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz)


def last_day(end: datetime | None, tz: tzinfo) -> date | None:
    """The flight's last local day: an end at midnight ends with the day before."""
    return None if end is None else (end - timedelta(microseconds=1)).astimezone(tz).date()


def _rate(
    by_day: Mapping[date, int], first: date, today: date, today_micros: int, elapsed: float
) -> tuple[int | None, int]:
    days = [first + timedelta(days=n) for n in range((today - first).days)][-RATE_DAYS:]
    if days:
        return sum(by_day.get(d, 0) for d in days) // len(days), len(days)
    if elapsed >= SETTLING_SECONDS:
        return int(today_micros * DAY.total_seconds() / elapsed), 0
    return None, 0


def pace(
    flight: Flight, by_day: Mapping[date, int], today_micros: int, now: datetime, tz: tzinfo, delivering: bool
) -> Pacing:
    """The campaign's pacing at `now`. `by_day`: spend per local day (days from today on
    are ignored: today's is `today_micros`); `delivering`: its state lets it serve now."""
    local = now.astimezone(tz)
    today = local.date()
    first, last = flight.start.astimezone(tz).date(), last_day(flight.end, tz)
    total, daily = flight.budget_total_micros, flight.budget_daily_micros
    in_flight = flight.start <= now and (flight.end is None or now < flight.end)
    spent = sum(v for d, v in by_day.items() if d < today) + today_micros

    window_start = max(_day_start(today, tz), flight.start)
    window_end = _day_start(today + DAY, tz) if flight.end is None else min(_day_start(today + DAY, tz), flight.end)
    length = (window_end - window_start).total_seconds()
    elapsed = max(0.0, (now - window_start).total_seconds())
    day_share = min(1.0, elapsed / length) if in_flight and length > 0 else 0.0

    kind, target, expected = TargetKind.NONE, None, None
    if in_flight and flight.even and (daily is not None or flight.end is not None):
        kind = TargetKind.DAILY_BUDGET if daily is not None else TargetKind.EVEN_SHARE
        target = day_target_micros(total, daily, flight.end, spent, today_micros, today, tz)
        expected = int(target * day_share)
    elif in_flight and daily is not None:
        kind, target = TargetKind.DAILY_CAP, daily

    rate, rate_days = _rate(by_day, first, today, today_micros, elapsed) if in_flight else (None, 0)
    base = Pacing(
        verdict=Verdict.ON_PACE,
        spent_micros=spent,
        budget_micros=total,
        today_micros=today_micros,
        target_kind=kind,
        target_micros=target,
        expected_by_now_micros=expected,
        day_share=day_share,
        rate_micros=rate,
        rate_days=rate_days,
        projected_micros=None,
        allowed_micros=None,
        last_day=last,
        runs_out_on=None,
    )

    def verdict(v: Verdict, **more: object) -> Pacing:
        return replace(base, verdict=v, **more)  # type: ignore[arg-type]

    if now < flight.start:
        return verdict(Verdict.NOT_STARTED)
    if not in_flight:
        return verdict(Verdict.ENDED, projected_micros=spent)
    if spent >= total - total // BUDGET_SLACK:
        return verdict(Verdict.BUDGET_SPENT, projected_micros=spent)
    if not delivering:
        return verdict(Verdict.NOT_DELIVERING)
    if rate is None:
        return verdict(Verdict.TOO_EARLY)

    a_day = rate if daily is None else min(rate, daily)
    rest_of_today = (window_end - max(now, window_start)).total_seconds() / DAY.total_seconds()
    today_end = today_micros + a_day * rest_of_today
    if daily is not None:
        today_end = max(today_micros, min(daily, today_end))
    if flight.end is None:
        runs_out = _runs_out(today, total - spent - (today_end - today_micros), a_day, None)
        if daily is None:
            return verdict(Verdict.NO_TARGET if a_day > 0 else Verdict.UNDER_DELIVERING, runs_out_on=runs_out)
        under = a_day < UNDER * daily
        return verdict(Verdict.UNDER_DELIVERING if under else Verdict.ON_PACE, runs_out_on=runs_out)

    later_days = max(0.0, (flight.end - _day_start(today + DAY, tz)).total_seconds() / DAY.total_seconds())
    uncapped = spent + (today_end - today_micros) + a_day * later_days
    projected = int(min(total, uncapped))
    allowed = total if daily is None else int(min(total, spent + max(0, daily - today_micros) + daily * later_days))
    runs_out = _runs_out(today, total - spent - (today_end - today_micros), a_day, last) if uncapped > total else None
    under = projected < UNDER * allowed
    return verdict(
        Verdict.UNDER_DELIVERING if under else Verdict.ON_PACE,
        projected_micros=projected,
        allowed_micros=allowed,
        runs_out_on=runs_out,
    )


def _runs_out(today: date, left_after_today: float, a_day: float, last: date | None) -> date | None:
    """The day the budget left after today would be spent at `a_day` (None: never, or after `last`)."""
    if a_day <= 0:
        return None
    if left_after_today <= 0:
        return today
    day = today + timedelta(days=max(1, -int(-left_after_today // a_day)))
    return day if last is None or day <= last else None


# --- in words -------------------------------------------------------------------------


def percent(share: float) -> str:
    """0.0697% for a sliver, 45% for most: two significant digits under 1%."""
    if share == 0:
        return "0%"
    if share < 0.01:
        return f"{share:.2%}"
    return f"{share:.0%}"


def today_words(p: Pacing, money: MoneyWords) -> str:
    """Today's spend against the day's target, and where even pacing would be by now."""
    if p.verdict in (Verdict.NOT_STARTED, Verdict.ENDED):
        return ""
    spent = money(p.today_micros)
    if p.target_kind is TargetKind.NONE or p.target_micros is None:
        return f"Spent today: {spent}. No daily target: it spends what it wins as fast as it can."
    if p.target_kind is TargetKind.DAILY_CAP:
        return f"Spent today: {spent} of its daily budget of {money(p.target_micros)} (as fast as it can, no pacing)."
    which = (
        "its daily budget"
        if p.target_kind is TargetKind.DAILY_BUDGET
        else "the budget left spread evenly over the days left"
    )
    words = f"Spent today: {spent} of the day's target of {money(p.target_micros)} ({which})."
    if p.expected_by_now_micros is not None and p.day_share > 0:
        words += (
            f" With {percent(p.day_share)} of the day gone, even pacing would have spent about "
            f"{money(p.expected_by_now_micros)} by now."
        )
    return words


def projection_words(p: Pacing, money: MoneyWords) -> str:
    """The spend projected to the end, or the state of a campaign that is not projected."""
    total = money(p.budget_micros)
    if p.verdict is Verdict.NOT_STARTED:
        return "Not started yet: nothing to project."
    if p.verdict is Verdict.ENDED:
        return f"Ended: it spent {money(p.spent_micros)} of its {total} budget ({percent(p.used_share)})."
    if p.verdict is Verdict.BUDGET_SPENT:
        return f"Its {total} budget is spent."
    if p.verdict is Verdict.NOT_DELIVERING:
        return "Not delivering now (see its state above), so its spend is not projected."
    if p.verdict is Verdict.TOO_EARLY:
        return "Its first hour: too early to project its spend."
    if p.last_day is None:
        if p.runs_out_on is None:
            return f"No end date. At this rate it spends nothing more of its {total} budget."
        return (
            f"No end date. At this rate ({money(p.rate_micros or 0)} a day) its {total} budget lasts until "
            f"about {p.runs_out_on:{DATE}}."
        )
    words = f"At this rate it will spend about {money(p.projected_micros or 0)} of its {total} budget by {p.last_day:{DATE}}"
    if p.runs_out_on is not None:
        return words + f": the budget runs out on about {p.runs_out_on:{DATE}}, before the end."
    return words + "."


def method_words(p: Pacing, money: MoneyWords, time_zone: str) -> str:
    """How the projection was made, said under it."""
    source = (
        f"Spend: the reports' daily figures for the days gone and the ad server's budget counters for "
        f"today (days in {time_zone})."
    )
    if p.rate_micros is None or p.verdict in (
        Verdict.NOT_STARTED,
        Verdict.ENDED,
        Verdict.NOT_DELIVERING,
        Verdict.BUDGET_SPENT,
    ):
        return source
    basis = (
        f"the average spend of the last {p.rate_days} day{'s' if p.rate_days != 1 else ''}"
        if p.rate_days
        else "today's spend so far, at its speed"
    )
    return (
        f"Projected from {basis} ({money(p.rate_micros)} a day) to the end date, each day held to the daily "
        f"budget and the whole to the total budget. {source}"
    )


def suggestion(p: Pacing, money: MoneyWords) -> str | None:
    """What to do about under-delivery, in plain words (the forecast, where there is one,
    says by how much: dashboard/brand/pacing_panel.py)."""
    if p.verdict is not Verdict.UNDER_DELIVERING:
        return None
    advice = "Raise the bid, or widen the targeting (more placements, keywords or audiences), so it wins more auctions."
    if p.last_day is None or p.projected_micros is None:
        a_day = money(p.rate_micros or 0)
        if p.target_micros:
            return (
                f"It spends about {a_day} a day, {percent((p.rate_micros or 0) / p.target_micros)} of its "
                f"daily budget of {money(p.target_micros)}. {advice}"
            )
        return f"It has spent nothing lately. {advice}"
    words = f"At this rate it will spend about {money(p.projected_micros)} of {money(p.budget_micros)}"
    if p.allowed_micros is not None and p.allowed_micros < p.budget_micros:
        words += f" (its daily budget allows {money(p.allowed_micros)} by the end)"
    return f"{words}. {advice}"
