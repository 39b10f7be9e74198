"""`GET /v1/reports`: rollups summed by the groupings asked for, with the metrics and the
disclosure a brand needs to trust them (attribution, viewability, invalid traffic)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from shelfspace.core.attribution import Windows
from shelfspace.reporting.metrics import Sums
from shelfspace.reporting.models import AttributedItem, RollupDay, RollupHour, RollupInteraction, RollupState
from shelfspace.reporting.rollup import Delivery
from shelfspace.tracking.counting import invalid_traffic_rules

ATTRIBUTION_RULE = (
    "last touch: a conversion item goes to at most one ad interaction of the same user; a click "
    "beats a view, then the same SKU beats the same brand, then the latest interaction wins"
)
VIEWABILITY_STANDARD = (
    "MRC/IAB: at least 50% of the ad's pixels in view for 1 continuous second "
    "(2 seconds for video), reported by the page's tag through the viewable URL"
)
INVALID_TRAFFIC_RULES = invalid_traffic_rules()


# Every count a rollup row holds, summed by reports.
DELIVERY_COUNTS = tuple(f.name for f in fields(Delivery))


class Grouping(StrEnum):
    DAY = "day"
    HOUR = "hour"
    ADVERTISER = "advertiser"
    CAMPAIGN = "campaign"
    LINE_ITEM = "line_item"
    CREATIVE = "creative"
    PLACEMENT = "placement"
    CHANNEL = "channel"
    SKU = "sku"


COLUMN = {
    Grouping.DAY: "day",
    Grouping.ADVERTISER: "advertiser_id",
    Grouping.CAMPAIGN: "campaign_id",
    Grouping.LINE_ITEM: "line_item_id",
    Grouping.CREATIVE: "creative_id",
    Grouping.PLACEMENT: "placement_id",
    Grouping.CHANNEL: "channel",
    Grouping.SKU: "sku",
}


@dataclass(frozen=True, slots=True)
class ReportQuery:
    start: date
    end: date  # included
    group_by: tuple[Grouping, ...]
    advertiser_id: str | None = None
    campaign_id: str | None = None

    def columns(self) -> list[str]:
        names: list[str] = []
        for grouping in self.group_by:
            names += ["day", "hour"] if grouping is Grouping.HOUR else [COLUMN[grouping]]
        return list(dict.fromkeys(names))  # hour brings day; day twice is once


@dataclass(frozen=True, slots=True)
class Report:
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    disclosure: dict[str, Any]


def _filtered(stmt: Select[Any], table: Any, query: ReportQuery) -> Select[Any]:
    stmt = stmt.where(table.day >= query.start.isoformat(), table.day <= query.end.isoformat())
    if query.advertiser_id is not None:
        stmt = stmt.where(table.advertiser_id == query.advertiser_id)
    if query.campaign_id is not None:
        stmt = stmt.where(table.campaign_id == query.campaign_id)
    return stmt


def _sums(db: Session, query: ReportQuery, columns: Sequence[str]) -> dict[tuple[Any, ...], Sums]:
    rows: dict[tuple[Any, ...], Sums] = defaultdict(Sums)
    table: Any = RollupHour if "hour" in columns else RollupDay  # days: 24 times fewer rows
    keys = [getattr(table, c) for c in columns]
    delivery = _filtered(select(*keys, *(func.sum(getattr(table, m)) for m in DELIVERY_COUNTS)), table, query).group_by(
        *keys
    )
    for row in db.execute(delivery):
        sums = rows[tuple(row[: len(keys)])]
        for name, value in zip(DELIVERY_COUNTS, row[len(keys) :], strict=True):
            setattr(sums, name, int(value or 0))
    keys = [getattr(RollupInteraction, c) for c in columns]
    reach = _filtered(select(*keys, func.count(func.distinct(RollupInteraction.user_id))), RollupInteraction, query)
    for row in db.execute(reach.where(RollupInteraction.kind == "view").group_by(*keys)):
        rows[tuple(row[: len(keys)])].reach = int(row[-1])
    keys = [getattr(AttributedItem, c) for c in columns]
    credited = _filtered(
        select(
            *keys,
            func.count(func.distinct(AttributedItem.conversion_id)),
            func.sum(AttributedItem.revenue_micros),
            func.sum(case((AttributedItem.match == "promoted", AttributedItem.revenue_micros), else_=0)),
            func.sum(case((AttributedItem.match == "halo", AttributedItem.revenue_micros), else_=0)),
            func.count(func.distinct(case((AttributedItem.new_to_brand, AttributedItem.conversion_id)))),
            func.count(func.distinct(case((AttributedItem.interaction == "click", AttributedItem.conversion_id)))),
            func.count(func.distinct(case((AttributedItem.interaction == "view", AttributedItem.conversion_id)))),
        ),
        AttributedItem,
        query,
    ).group_by(*keys)
    for row in db.execute(credited):
        sums = rows[tuple(row[: len(keys)])]
        (
            sums.conversions,
            sums.revenue_micros,
            sums.promoted_revenue_micros,
            sums.halo_revenue_micros,
            sums.new_to_brand_conversions,
            sums.click_conversions,
            sums.view_conversions,
        ) = (int(v or 0) for v in row[len(keys) :])
    return rows


def attribution_disclosure(windows: Windows) -> dict[str, Any]:
    """The attribution terms a report was counted under: its `disclosure.attribution`."""
    return {
        "rule": ATTRIBUTION_RULE,
        "post_click_days": windows.post_click_days,
        "post_view_days": windows.post_view_days,
        "windows_include_their_last_instant": True,
        "view_through": windows.view_through.value,
        "view_definition": windows.view_through.meaning,
        "conversions_dated_by": "the day of the ad interaction",
        "new_to_brand": f"no purchase of the brand in the {windows.new_to_brand_days} days before",
        "terms": attribution_terms(windows),
    }


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def attribution_terms(windows: Windows) -> str:
    """The terms in one sentence, as pages and exports state them beside attributed sales."""
    return (
        f"Sales are credited up to {_days(windows.post_click_days)} after a click and "
        f"{_days(windows.post_view_days)} after a view (both ends included); a view is "
        f"{windows.view_through.meaning}. A click beats a view, then the same SKU beats the same brand, "
        f"then the latest interaction wins."
    )


def build_report(db: Session, query: ReportQuery, windows: Windows, timezone: str) -> Report:
    columns = query.columns()
    grouped = _sums(db, query, columns)
    rows = []
    for key in sorted(grouped, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        dims = dict(zip(columns, key, strict=True))
        if "hour" in dims:
            dims["hour"] = f"{dims['day']}T{int(dims['hour']):02d}:00"
        rows.append(dims | grouped[key].metrics())
    total = _sums(db, query, []).get((), Sums())
    state = db.get(RollupState, 1)
    disclosure = {
        "time_zone": timezone,
        "attribution": attribution_disclosure(windows),
        "viewability": VIEWABILITY_STANDARD,
        "invalid_traffic": {
            "rules": INVALID_TRAFFIC_RULES,
            "impressions": {
                "gross": total.impressions + total.invalid_impressions,
                "invalid": total.invalid_impressions,
                "net": total.impressions,
            },
            "clicks": {
                "gross": total.clicks + total.invalid_clicks,
                "invalid": total.invalid_clicks,
                "net": total.clicks,
            },
        },
        "reach": "distinct user ids with a counted impression (impressions without a user id are not in reach)",
        "data_through": state.built_at.isoformat() if state else None,
    }
    return Report(rows, total.metrics(), disclosure)


def parse_groupings(raw: str) -> tuple[Grouping, ...]:
    """`day,campaign` → (DAY, CAMPAIGN); ValueError naming an unknown grouping."""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in Grouping.__members__.values()]
    if unknown:
        raise ValueError(f"unknown grouping {', '.join(unknown)}; use {', '.join(g.value for g in Grouping)}")
    return tuple(dict.fromkeys(Grouping(n) for n in names))
