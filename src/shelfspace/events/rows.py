"""An event as a flat row and back: one column list for every place that stores events
(the SQLite log, the PostgreSQL log, the Parquet archive), so they cannot drift apart."""

from __future__ import annotations

import json
from typing import Any, Protocol

from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason

AD_COLUMNS = (
    "ad_id",
    "placement_id",
    "advertiser_id",
    "campaign_id",
    "line_item_id",
    "creative_id",
    "sku",
    "pricing",
    "price_micros",
    "served_at",
    "budget_day",
)
COLUMNS = ("key", "type", "time", "user_id", "invalid", "charged_micros", *AD_COLUMNS, "data")


def to_row(event: Event) -> tuple[Any, ...]:
    """The values of `COLUMNS`; `data` as compact JSON with sorted keys (the same event, the same text)."""
    ad = event.ad
    facts = tuple(getattr(ad, name) for name in AD_COLUMNS) if ad else (None,) * len(AD_COLUMNS)
    data = json.dumps(event.data, separators=(",", ":"), sort_keys=True) if event.data is not None else None
    return (
        event.key,
        str(event.type),
        event.time,
        event.user_id,
        event.invalid and str(event.invalid),
        event.charged_micros,
        *facts,
        data,
    )


class Row(Protocol):
    def __getitem__(self, column: str) -> Any: ...


def from_row(row: Row) -> Event:
    """The event of a row read back by column name (sqlite3.Row, a psycopg dict row, a dict)."""
    ad = None
    if row["ad_id"] is not None:
        ad = AdFacts(
            ad_id=row["ad_id"],
            placement_id=row["placement_id"],
            advertiser_id=row["advertiser_id"],
            campaign_id=row["campaign_id"],
            line_item_id=row["line_item_id"],
            creative_id=row["creative_id"],
            sku=row["sku"],
            pricing=row["pricing"],
            price_micros=row["price_micros"],
            user_id=row["user_id"],
            served_at=row["served_at"],
            budget_day=row["budget_day"],
        )
    return Event(
        key=row["key"],
        type=EventType(row["type"]),
        time=row["time"],
        ad=ad,
        user_id=row["user_id"],
        invalid=InvalidReason(row["invalid"]) if row["invalid"] else None,
        charged_micros=row["charged_micros"],
        data=json.loads(row["data"]) if row["data"] is not None else None,
    )
