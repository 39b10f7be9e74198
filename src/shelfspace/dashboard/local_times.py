"""Times as the network lives them: in its reporting time zone, which the page names.

The database keeps UTC; a page shows the network's local time. A flight that ends at
local midnight ends with the day before it: "ends 30 Nov 2026", not "01 Dec 2026 00:00".
A start or end at midnight is shown as a date alone; any other time keeps its hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import HTTPConnection

from shelfspace.runtime import runtime_of

DASH = "–"
NO_END = "no end date"
DATE = "%d %b %Y"
DATE_TIME = "%d %b %Y %H:%M"


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """`value` in `zone`; a naive time is UTC, as the database keeps it."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def start_text(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return DASH
    moment = local(value, zone)
    return moment.strftime(DATE if moment.time() == time(0) else DATE_TIME)


def end_text(value: datetime | None, zone: ZoneInfo) -> str:
    """The last moment of a flight as people say it: its last day when it ends at midnight."""
    if value is None:
        return NO_END
    moment = local(value, zone)
    if moment.time() == time(0):
        return (moment.date() - timedelta(days=1)).strftime(DATE)
    if moment.time() >= time(23, 59, 59):
        return moment.strftime(DATE)
    return moment.strftime(DATE_TIME)


def when_text(value: datetime | None, zone: ZoneInfo) -> str:
    return DASH if value is None else local(value, zone).strftime(DATE_TIME)


def _zone(context: Context) -> ZoneInfo:
    """The network's zone, from the runtime of the request the page renders for."""
    request = context.get("request")
    return ZoneInfo(runtime_of(request).settings.timezone if isinstance(request, HTTPConnection) else "UTC")


@pass_context
def flight_start(context: Context, value: datetime | None) -> str:
    """`{{ campaign.start | flight_start }}`."""
    return start_text(value, _zone(context))


@pass_context
def flight_end(context: Context, value: datetime | None) -> str:
    """`{{ campaign.end | flight_end }}`: "no end date" for an open flight."""
    return end_text(value, _zone(context))


@pass_context
def local_when(context: Context, value: datetime | None) -> str:
    """`{{ creative.created_at | local_when }}`: a moment in the network's time zone."""
    return when_text(value, _zone(context))


@pass_context
def time_zone(context: Context) -> str:
    """`{{ time_zone() }}`: the zone pages name ("Times in Europe/London")."""
    return _zone(context).key


FILTERS = {"flight_start": flight_start, "flight_end": flight_end, "local_when": local_when}
GLOBALS = {"time_zone": time_zone}
