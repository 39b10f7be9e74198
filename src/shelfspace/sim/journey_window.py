"""Which days of the Complete Journey a demo replays, and the data of those days moved to now.

The data's year is 2017; a network shows the last weeks before today. A window is a run of
whole days in the data's own dates; it is moved by whole days (`JourneyData.shift`) so its
last day is the day the replay ends, keeping every basket's time of day (shoppers come in
the evening in 2017 as now). Baskets the move puts after the end of the replay (the rest of
today) are left out: they have not happened yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from shelfspace.sim import journey_data
from shelfspace.sim.journey_data import Household, Line, Product, Promotion

# Measured on this 2-core machine (README, "The demo on real baskets"): two weeks of
# baskets replay, with the ads and clicks on top, in about three minutes; the whole
# demo, seeding and reading included, starts within five.
WINDOW_WEEKS = 2
# The window ends before this Monday: the end of an ordinary autumn week (week 44), clear
# of the holidays, whose baskets read like no other month's.
DATA_WINDOW_END = date(2017, 10, 30)
FIRST_MONDAY = date(2017, 1, 2)  # the data's week 2 begins here; week 1 is New Year's Day
DAY = timedelta(days=1)
# A "manufacturer" with products in more departments than this is the data's catch-all
# for unbranded goods, not a brand: number 2 (loose produce, the salad bar, tickets...: 19
# departments), 5423 (13). Real makers stay within a few (the biggest, 764, six).
CATCH_ALL_DEPARTMENTS = 10


@dataclass(frozen=True, slots=True)
class Window:
    """The days `[first_day, first_day + days)`, in the data's dates."""

    first_day: date
    days: int

    @property
    def end(self) -> date:
        return self.first_day + timedelta(days=self.days)

    def weeks(self) -> list[int]:
        """The data's weeks that hold the window's days (a week runs Monday to Sunday; a
        week either side too, since the data's week boundaries fall near midnight)."""
        first = week_of(self.first_day) - 1
        last = week_of(self.end - DAY) + 1
        return [w for w in range(first, last + 1) if w in journey_data.WEEKS]

    def shift_to(self, until: datetime) -> timedelta:
        """Whole days that move the window's end onto the first midnight (UTC) at or after
        `until`: its last day is `until`'s day, or the day before when `until` is a midnight."""
        at = until.astimezone(UTC)
        day = at.date() if at.time() == time() else at.date() + DAY
        return day - self.end


def week_of(day: date) -> int:
    """The data's week number of a day (week 2 is the first whole one)."""
    return 2 + (day - FIRST_MONDAY).days // 7 if day >= FIRST_MONDAY else 1


def week_start(week: int) -> date:
    """The Monday a data week begins (week 1: New Year's Day)."""
    return FIRST_MONDAY + timedelta(days=7 * (week - 2)) if week >= 2 else date(2017, 1, 1)


def default_window(weeks: int = WINDOW_WEEKS) -> Window:
    """The demo's window: `weeks` whole weeks ending with `DATA_WINDOW_END`."""
    return Window(DATA_WINDOW_END - timedelta(days=7 * weeks), 7 * weeks)


@dataclass(frozen=True, slots=True)
class JourneyData:
    """The window's data, moved to now: every line is at its moved time (`at`), and `week`
    stays the data's own. Only lines of known products (a few hundred of the 1.47 million
    name a product missing from the catalogue file) and of moved times before `until`."""

    window: Window
    shift: timedelta
    until: datetime
    products: dict[int, Product]  # the products bought in the window
    lines: list[Line]  # in time order
    households: dict[int, Household]  # those who bought in the window, demographics where known
    promotions: list[Promotion]  # the window's weeks' displays and mailers of those products
    catch_alls: frozenset[int] = frozenset()  # manufacturer ids that are no brand (`CATCH_ALL_DEPARTMENTS`)

    def moved(self, day: date) -> datetime:
        """A data day's first instant, moved to now (UTC)."""
        return datetime.combine(day, time(), UTC) + self.shift

    @property
    def first_instant(self) -> datetime:
        return self.moved(self.window.first_day)


def load(window: Window, until: datetime, with_promotions: bool = True) -> JourneyData:
    """Read the window's lines, products, households and promotions, and move them to `until`."""
    shift = window.shift_to(until)
    catalogue = journey_data.products()
    start = datetime.combine(window.first_day, time(), UTC)
    end = datetime.combine(window.end, time(), UTC)
    lines = [
        replace(line, at=line.at + shift)
        for line in journey_data.lines(window.weeks())
        if start <= line.at < end and line.product_id in catalogue and line.at + shift < until
    ]
    bought = {line.product_id for line in lines}
    shoppers = {line.household_id for line in lines}
    households = {h: household for h, household in journey_data.households().items() if h in shoppers}
    promotions = (
        [p for p in journey_data.promotions(_promotion_weeks(window), bought)] if with_promotions and bought else []
    )
    departments: dict[int, set[str]] = {}
    for product in catalogue.values():
        departments.setdefault(product.manufacturer_id, set()).add(product.department)
    catch_alls = frozenset(m for m, ds in departments.items() if len(ds) > CATCH_ALL_DEPARTMENTS)
    return JourneyData(
        window,
        shift,
        until,
        {pid: catalogue[pid] for pid in sorted(bought)},
        lines,
        households,
        promotions,
        catch_alls,
    )


def _promotion_weeks(window: Window) -> list[int]:
    """The weeks whose promotions ran on some of the window's days."""
    return [w for w in window.weeks() if week_start(w) < window.end and week_start(w + 1) > window.first_day]
