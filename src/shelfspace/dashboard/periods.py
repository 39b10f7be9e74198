"""Date windows in the network's own time zone, as reports count days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

WINDOWS = (7, 30, 90)  # the choices a page offers, in days


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


def today(request: Request) -> date:
    state = request.app.state
    now: datetime = state.clock.now()
    return now.astimezone(ZoneInfo(state.settings.timezone)).date()


def last_days(request: Request, days: int) -> Window:
    """The last `days` local days, today included; an unknown choice falls back to 30."""
    days = days if days in WINDOWS else 30
    end = today(request)
    return Window(end - timedelta(days=days - 1), end)
