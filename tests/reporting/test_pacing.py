"""A campaign's pacing as its brand reads it (reporting/pacing.py): budget used, today's
spend against the ad server's own target for the day, the spend projected to the end, and
a plain suggestion when it under-delivers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shelfspace.decisioning.pacing import day_target_micros
from shelfspace.reporting.pacing import (
    Flight,
    TargetKind,
    Verdict,
    method_words,
    pace,
    percent,
    projection_words,
    suggestion,
    today_words,
)

UNIT = 1_000_000
TZ = ZoneInfo("Europe/London")
START = datetime(2026, 12, 1, tzinfo=TZ)
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=TZ)  # the flight's tenth day, 10:00


def money(micros: int) -> str:
    return f"{micros / UNIT:,.2f}"


def days(first: date, count: int, micros: int) -> dict[date, int]:
    return {first + timedelta(days=n): micros for n in range(count)}


def test_the_issues_campaign_spending_8_36_of_12000_in_nine_days_is_told_plainly() -> None:
    flight = Flight(START, START + timedelta(days=30), 12_000 * UNIT, 500 * UNIT, even=True)
    spent = days(START.date(), 9, 928_889)  # 8.36 over nine days
    p = pace(flight, spent, 0, NOW, TZ, delivering=True)
    assert p.verdict is Verdict.UNDER_DELIVERING
    assert p.spent_micros == 8_360_001 and percent(p.used_share) == "0.07%"
    assert p.target_kind is TargetKind.DAILY_BUDGET and p.target_micros == 500 * UNIT
    assert p.expected_by_now_micros == round(500 * UNIT * 10 / 24)
    assert p.rate_micros == 928_889 and p.rate_days == 7
    # 8.36, then 14/24 of today and the 20 days after it at 0.93 a day.
    assert p.projected_micros == 8_360_001 + int(928_889 * 14 / 24) + 928_889 * 20
    assert p.allowed_micros == 8_360_001 + 500 * UNIT + 500 * UNIT * 20
    assert p.last_day == date(2026, 12, 30)
    assert today_words(p, money) == (
        "Spent today: 0.00 of the day's target of 500.00 (its daily budget). With 42% "
        "of the day gone, even pacing would have spent about 208.33 by now."
    )
    assert (
        projection_words(p, money) == "At this rate it will spend about 27.48 of its 12,000.00 budget by 30 Dec 2026."
    )
    assert suggestion(p, money) == (
        "At this rate it will spend about 27.48 of 12,000.00 (its daily budget allows 10,508.36 by the end). "
        "Raise the bid, or widen the targeting (more placements, keywords or audiences), so it wins more auctions."
    )
    assert method_words(p, money, "Europe/London").startswith(
        "Projected from the average spend of the last 7 days (0.93 a day) to the end date"
    )


def test_even_pacing_without_a_daily_budget_on_pace_has_the_ad_servers_even_share_as_target() -> None:
    flight = Flight(START, START + timedelta(days=30), 3_000 * UNIT, None, even=True)
    p = pace(flight, days(START.date(), 9, 100 * UNIT), 40 * UNIT, NOW, TZ, delivering=True)
    # The engine's rule: what was left when the day began (3,000 - 900) over the days to the end's day (22).
    assert (
        p.target_micros
        == day_target_micros(3_000 * UNIT, None, START + timedelta(days=30), 940 * UNIT, 40 * UNIT, NOW.date(), TZ)
        == 2_100 * UNIT // 22
    )
    assert p.target_kind is TargetKind.EVEN_SHARE
    assert p.verdict is Verdict.ON_PACE and p.allowed_micros == 3_000 * UNIT
    assert p.projected_micros == 940 * UNIT + int(100 * UNIT * 14 / 24) + 100 * UNIT * 20
    assert suggestion(p, money) is None
    assert "(the budget left spread evenly over the days left)" in today_words(p, money)


def test_the_day_target_is_the_daily_budget_else_the_even_share_else_the_whole_total() -> None:
    end = datetime(2026, 12, 11, tzinfo=TZ)
    assert day_target_micros(1000, 70, end, 500, 20, date(2026, 12, 9), TZ) == 70
    assert day_target_micros(1000, None, end, 500, 20, date(2026, 12, 9), TZ) == 520 // 3  # 9, 10 and 11 Dec
    assert day_target_micros(1000, None, None, 500, 20, date(2026, 12, 9), TZ) == 1000


def test_an_ended_campaign_says_what_it_spent_and_suggests_nothing() -> None:
    flight = Flight(START, START + timedelta(days=5), 1_000 * UNIT, None, even=True)
    p = pace(flight, days(START.date(), 5, 150 * UNIT), 0, NOW, TZ, delivering=False)
    assert p.verdict is Verdict.ENDED and p.projected_micros == p.spent_micros == 750 * UNIT
    assert projection_words(p, money) == "Ended: it spent 750.00 of its 1,000.00 budget (75%)."
    assert today_words(p, money) == "" and suggestion(p, money) is None
    assert p.target_micros is None


def test_an_open_ended_campaign_says_how_long_its_budget_lasts() -> None:
    flight = Flight(START, None, 1_000 * UNIT, 50 * UNIT, even=True)
    p = pace(flight, days(START.date(), 9, 45 * UNIT), 20 * UNIT, NOW, TZ, delivering=True)
    assert p.verdict is Verdict.ON_PACE and p.projected_micros is None and p.last_day is None
    # 405 + 20 spent; the rest of today adds 14/24 of 45 (26.25); the 548.75 left at 45 a day
    # lasts twelve days and part of a thirteenth.
    assert p.runs_out_on == date(2026, 12, 23)
    assert projection_words(p, money) == (
        "No end date. At this rate (45.00 a day) its 1,000.00 budget lasts until about 23 Dec 2026."
    )
    slow = pace(flight, days(START.date(), 9, 5 * UNIT), 0, NOW, TZ, delivering=True)
    assert slow.verdict is Verdict.UNDER_DELIVERING
    assert suggestion(slow, money) == (
        "It spends about 5.00 a day, 10% of its daily budget of 50.00. Raise the bid, "
        "or widen the targeting (more placements, keywords or audiences), so it "
        "wins more auctions."
    )


def test_without_a_daily_budget_or_an_end_there_is_no_target() -> None:
    flight = Flight(START, None, 1_000 * UNIT, None, even=True)
    p = pace(flight, days(START.date(), 9, 10 * UNIT), 3 * UNIT, NOW, TZ, delivering=True)
    assert p.verdict is Verdict.NO_TARGET and p.target_kind is TargetKind.NONE and p.target_micros is None
    assert today_words(p, money) == "Spent today: 3.00. No daily target: it spends what it wins as fast as it can."
    assert suggestion(p, money) is None
    idle = pace(flight, days(START.date(), 9, 0), 0, NOW, TZ, delivering=True)
    assert idle.verdict is Verdict.UNDER_DELIVERING
    assert suggestion(idle, money) is not None and suggestion(idle, money).startswith("It has spent nothing lately.")  # type: ignore[union-attr]


def test_as_fast_as_possible_is_held_to_its_daily_budget_with_no_expectation_by_the_hour() -> None:
    flight = Flight(START, START + timedelta(days=30), 12_000 * UNIT, 500 * UNIT, even=False)
    p = pace(flight, days(START.date(), 9, 500 * UNIT), 100 * UNIT, NOW, TZ, delivering=True)
    assert p.target_kind is TargetKind.DAILY_CAP and p.target_micros == 500 * UNIT and p.expected_by_now_micros is None
    assert today_words(p, money) == "Spent today: 100.00 of its daily budget of 500.00 (as fast as it can, no pacing)."
    # 4,600 spent, 4,891.67 by the end of today; the 7,108.33 left at 500 a day runs out on the 15th day
    # after today, before the 30 Dec end.
    assert p.verdict is Verdict.ON_PACE and p.projected_micros == 12_000 * UNIT
    assert p.runs_out_on == date(2026, 12, 25)
    assert projection_words(p, money).endswith("the budget runs out on about 25 Dec 2026, before the end.")


def test_a_campaign_that_cannot_serve_is_not_projected_nor_advised() -> None:
    flight = Flight(START, START + timedelta(days=30), 12_000 * UNIT, 500 * UNIT, even=True)
    p = pace(flight, days(START.date(), 9, UNIT), 0, NOW, TZ, delivering=False)
    assert p.verdict is Verdict.NOT_DELIVERING and p.projected_micros is None and suggestion(p, money) is None
    assert projection_words(p, money) == "Not delivering now (see its state above), so its spend is not projected."


def test_a_first_day_is_projected_from_today_after_its_first_hour() -> None:
    start = datetime(2026, 12, 10, 8, 0, tzinfo=TZ)
    flight = Flight(start, start + timedelta(days=10), 1_000 * UNIT, None, even=True)
    early = pace(flight, {}, 2 * UNIT, start + timedelta(minutes=30), TZ, delivering=True)
    assert early.verdict is Verdict.TOO_EARLY and early.rate_micros is None
    p = pace(flight, {}, 10 * UNIT, start + timedelta(hours=2), TZ, delivering=True)
    assert p.rate_days == 0 and p.rate_micros == 120 * UNIT  # 10 in two hours: 120 a day at that speed
    assert p.day_share == 2 / 16  # today's part of the flight runs 08:00 to midnight
    assert "today's spend so far, at its speed (120.00 a day)" in method_words(p, money, "Europe/London")


def test_a_spent_budget_and_a_campaign_not_started_yet() -> None:
    flight = Flight(START, START + timedelta(days=30), 1_000 * UNIT, None, even=True)
    spent = pace(flight, days(START.date(), 9, 111 * UNIT), 0, NOW, TZ, delivering=True)
    assert spent.verdict is Verdict.BUDGET_SPENT and projection_words(spent, money) == "Its 1,000.00 budget is spent."
    later = Flight(NOW + timedelta(days=2), None, 1_000 * UNIT, 100 * UNIT, even=True)
    waiting = pace(later, {}, 0, NOW, TZ, delivering=False)
    assert waiting.verdict is Verdict.NOT_STARTED and waiting.spent_micros == 0 and waiting.target_micros is None
    assert today_words(waiting, money) == ""
