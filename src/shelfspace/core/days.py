"""Local days of the network's time zone: which day a moment falls on, and a day's bounds.

Rollups, reports and the archive all cut time into the network's days; one definition
keeps a day's events the same wherever they are counted."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_of(moment: float, tz: ZoneInfo) -> str:
    """The local date (YYYY-MM-DD) of an epoch moment."""
    return datetime.fromtimestamp(moment, tz).date().isoformat()


def day_bounds(day: str, tz: ZoneInfo) -> tuple[float, float]:
    """The epoch seconds [start, end) of a local day (23 or 25 hours on a clock change)."""
    start = datetime.combine(date.fromisoformat(day), time(), tz)
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tz)
    return start.timestamp(), end.timestamp()
