"""Date windows in the network's own time zone, as reports count days.

A report page offers shortcuts (the last 7, 30 or 90 days) and any range of days from
`from` to `to` (both included, at most MAX_DAYS); its figures are compared with the
period of the same length just before. A range that cannot be read is named beside its
field and the page shows the default window meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request

from shelfspace.dashboard.forms import FieldErrors
from shelfspace.runtime import runtime_of

WINDOWS = (7, 30, 90)  # the choices a page offers, in days
DEFAULT_DAYS = 30
MAX_DAYS = 400  # as the reports API
MAX_TYPED = 20  # a date field's text read from a query, at most


@dataclass(frozen=True, slots=True)
class Window:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def before(self) -> Window:
        """The window of the same length just before this one, for "vs previous" figures."""
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Period:
    """The window a report page shows, how it was chosen and what was wrong with the choice."""

    window: Window
    preset: int | None  # the shortcut chosen (7, 30, 90), None for a range of dates
    today: date
    time_zone: str
    errors: FieldErrors = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)  # `from` and `to` as typed, when wrong

    presets = WINDOWS

    @property
    def previous(self) -> Window:
        return self.window.before()

    def value(self, name: str) -> str:
        """What the `from` or `to` field shows: the text typed when it was wrong, else the window's day."""
        if name in self.typed:
            return self.typed[name]
        return (self.window.start if name == "from" else self.window.end).isoformat()

    def query(self) -> str:
        """`from=…&to=…`: the same window for a link (an export, a terms file)."""
        return urlencode({"from": self.window.start.isoformat(), "to": self.window.end.isoformat()})


def today(request: Request) -> date:
    rt = runtime_of(request)
    now: datetime = rt.clock.now()
    return now.astimezone(ZoneInfo(rt.settings.timezone)).date()


def last_days(request: Request, days: int) -> Window:
    """The last `days` local days, today included; an unknown choice falls back to 30."""
    days = days if days in WINDOWS else DEFAULT_DAYS
    end = today(request)
    return Window(end - timedelta(days=days - 1), end)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _range(first: str, last: str, now: date) -> tuple[Window | None, FieldErrors]:
    """`from` and `to` as typed → the window, or the message for each field at fault."""
    errors: FieldErrors = {}
    start, end = _day(first) if first else None, _day(last) if last else now
    if first and start is None:
        errors["from"] = "Enter a date such as 2026-11-01."
    if last and end is None:
        errors["to"] = "Enter a date such as 2026-11-30."
    if start is None or end is None:
        if not first:
            errors["from"] = "Choose the first day."
        return None, errors
    if start > now:
        errors["from"] = "That day has not come yet: choose today or earlier."
    elif end > now:
        errors["to"] = "That day has not come yet: choose today or earlier."
    elif end < start:
        errors["to"] = "The last day comes before the first: swap them."
    elif (end - start).days >= MAX_DAYS:
        errors["to"] = f"A report covers at most {MAX_DAYS} days: choose a shorter range."
    return (None, errors) if errors else (Window(start, end), {})


def chosen_period(request: Request, default_days: int = DEFAULT_DAYS) -> Period:
    """The window the query asks for: `days` (a shortcut) wins over `from` and `to`;
    neither gives the last `default_days` days."""
    params = request.query_params
    now, zone = today(request), runtime_of(request).settings.timezone
    days = params.get("days", "")[:MAX_TYPED]
    first, last = params.get("from", "")[:MAX_TYPED].strip(), params.get("to", "")[:MAX_TYPED].strip()
    if days or not (first or last):
        chosen = int(days) if days.isdigit() and int(days) in WINDOWS else default_days
        return Period(last_days(request, chosen), chosen, now, zone)
    window, errors = _range(first, last, now)
    if window is None:
        fallback = last_days(request, default_days)  # shown meanwhile, its shortcut marked
        return Period(fallback, default_days, now, zone, errors, {"from": first, "to": last})
    return Period(window, window.days if window.end == now and window.days in WINDOWS else None, now, zone)


def change(now: float | int | None, before: float | int | None) -> float | None:
    """The change from `before` to `now` as a fraction (0.25 is +25%); None when there was
    nothing before to compare with."""
    if now is None or not before:
        return None
    return (float(now) - float(before)) / float(before)
