"""Report rows by day → the JSON a page's chart draws (static/shelfspace.js)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from shelfspace.dashboard.periods import Window


class Format(StrEnum):
    NUMBER = "number"
    PERCENT = "percent"
    MONEY = "money"


def _plain(value: Any) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def daily_chart(
    window: Window, rows: list[dict[str, Any]], metrics: list[tuple[str, str, Format]], currency: str | None = None
) -> dict[str, Any]:
    """One point per day of the window; a day without data is 0 for counts and a gap for ratios.
    With `currency`, hovering a money series names it (static/shelfspace.js)."""
    by_day = {row["day"]: row for row in rows}
    x = [d.isoformat() for d in window.dates()]
    series = []
    for key, name, fmt in metrics:
        values = []
        for day in x:
            row = by_day.get(day)
            value = _plain(row.get(key)) if row else None
            if value is None and fmt is not Format.PERCENT and key not in RATIOS:
                value = 0
            values.append(value)
        series.append({"name": name, "values": values, "format": fmt.value})
    chart = {"x": x, "series": series, "kind": "line", "xtype": "date"}
    return chart | ({"currency": currency} if currency else {})


RATIOS = {"ctr", "cpm", "cpc", "cpa", "roas", "frequency", "viewability", "fill_rate", "ecpm"}


def monthly_chart(rows: list[dict[str, Any]], metrics: list[tuple[str, str, Format]]) -> dict[str, Any]:
    """Rows keyed by `month` ("YYYY-MM", any order) → bars, oldest month first, on a date axis
    labelled by month; Plotly spaces the labels (`dtick` None), so a phone's axis stays legible."""
    ordered = sorted(rows, key=lambda row: str(row["month"]))
    series = [
        {"name": name, "values": [_plain(row.get(key)) or 0 for row in ordered], "format": fmt.value}
        for key, name, fmt in metrics
    ]
    return {
        "x": [f"{row['month']}-01" for row in ordered],
        "series": series,
        "kind": "bar",
        "xtype": "date",
        "tickformat": "%b %Y",
        "dtick": None,
    }
