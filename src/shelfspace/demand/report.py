"""A demand partner's report per day and placement.

Impressions and revenue are read from the event log (`EventLog.between`, the
`programmatic` events), not from `reporting/`'s rollups, which hold campaign facts only.
Bid requests, bids, wins and timeouts come from this process's `AuctionStats`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from shelfspace.core.days import day_bounds, day_of
from shelfspace.core.money import MICROS_PER_UNIT
from shelfspace.demand.schemas import PartnerReport, ReportRow
from shelfspace.demand.stats import AuctionStats, Measure
from shelfspace.events.log import EventLog
from shelfspace.events.model import EventType

SIX_PLACES = Decimal("0.000001")
MILLE = 1000


def partner_report(
    event_log: EventLog, stats: AuctionStats, partner_id: str, start: date, end: date, tz: ZoneInfo, currency: str
) -> PartnerReport:
    lo, _ = day_bounds(start.isoformat(), tz)
    _, hi = day_bounds(end.isoformat(), tz)
    shown: Counter[tuple[str, str]] = Counter()
    paid: Counter[tuple[str, str]] = Counter()  # price micros per thousand, summed
    for event in event_log.between(lo, hi, EventType.PROGRAMMATIC):
        data = event.data or {}
        if event.counted and data.get("partner_id") == partner_id:
            key = (day_of(event.time, tz), str(data["placement_id"]))
            shown[key] += 1
            paid[key] += int(data["price_micros"])
    counted = {
        key: n for key, n in stats.of_partner(partner_id).items() if start.isoformat() <= key[0] <= end.isoformat()
    }
    rows = []
    for day, placement in sorted(set(shown) | set(counted)):
        measures = counted.get((day, placement), Counter[Measure]())
        revenue = (Decimal(paid[(day, placement)]) / MICROS_PER_UNIT / MILLE).quantize(SIX_PLACES)
        impressions = shown[(day, placement)]
        ecpm = (
            (Decimal(paid[(day, placement)]) / MICROS_PER_UNIT / impressions).quantize(SIX_PLACES)
            if impressions
            else None
        )
        rows.append(
            ReportRow(
                day=date.fromisoformat(day),
                placement_id=placement,
                impressions=impressions,
                revenue=revenue,
                ecpm=ecpm,
                bid_requests=measures[Measure.BID_REQUESTS],
                bids=measures[Measure.BIDS],
                wins=measures[Measure.WINS],
                timeouts=measures[Measure.TIMEOUTS],
            )
        )
    return PartnerReport(
        partner_id=partner_id, currency=currency, start=start, end=end, counted_since=stats.since, rows=rows
    )


def month_revenue(event_log: EventLog, now: datetime, tz: ZoneInfo) -> dict[str, Decimal]:
    """Revenue so far this month by partner id, for the console's list."""
    first = now.astimezone(tz).date().replace(day=1)
    lo, _ = day_bounds(first.isoformat(), tz)
    paid: Counter[str] = Counter()
    for event in event_log.between(lo, now.timestamp() + 1, EventType.PROGRAMMATIC):
        data = event.data or {}
        if event.counted and "partner_id" in data:
            paid[str(data["partner_id"])] += int(data["price_micros"])
    return {pid: (Decimal(micros) / MICROS_PER_UNIT / MILLE).quantize(SIX_PLACES) for pid, micros in paid.items()}
