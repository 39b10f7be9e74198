"""The lists of the brand's pages as tables (dashboard/tables.py): their columns, and the
comparison of a period's totals with the period before.

Campaigns on /brand, a campaign's results by day, line item, placement and creative, and
the creatives on /brand/creatives: each sorts by any column, filters and pages on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request

from shelfspace.catalog.campaign_state import CampaignState
from shelfspace.catalog.enums import ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.dashboard.periods import change
from shelfspace.dashboard.tables import Column, Table, table

Row = dict[str, Any]

# A report's metrics as its tables show them: key, heading, how the figure is written.
METRICS = (
    ("impressions", "Impressions", "count"),
    ("clicks", "Clicks", "count"),
    ("ctr", "CTR", "percent"),
    ("spend", "Spend", "amount"),
    ("cpm", "CPM", "price"),
    ("cpc", "CPC", "price"),
    ("conversions", "Conv.", "count"),
    ("revenue", "Revenue", "amount"),
    ("roas", "ROAS", "ratio"),
)
KIND = {key: kind for key, _, kind in METRICS}
COMPARED = ("impressions", "clicks", "ctr", "spend", "cpm", "cpc", "conversions", "revenue", "roas", "reach")
LOWER_IS_BETTER = frozenset({"cpm", "cpc"})  # a cost that falls is good news


def _metric(key: str, label: str) -> Column[Row]:
    return Column(key, label, lambda row: row.get(key), numeric=True)


def changes(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, float | None]:
    """Each compared total's change from the previous period (0.1 is +10%), None without one."""
    return {key: change(now.get(key), before.get(key)) for key in COMPARED}


def campaigns_table(
    request: Request, campaigns: Iterable[Campaign], results: Mapping[str, Row], states: Mapping[str, CampaignState]
) -> Table[Row]:
    """Status is each campaign's state (catalog/campaign_state.py), as its page and the API say it."""
    rows = [
        {
            "campaign": c,
            "name": c.name,
            "status": states[c.id].label,
            "state": states[c.id],
            "start": c.start,
            "budget": c.budget_total_micros,
        }
        | results.get(c.id, {})
        for c in campaigns
    ]
    columns = [
        Column[Row]("name", "Campaign", lambda r: r["name"], searchable=True),
        Column[Row]("status", "Status", lambda r: r["status"], choices=True),
        Column[Row]("start", "Flight", lambda r: r["start"]),
        Column[Row]("budget", "Budget", lambda r: r["budget"], numeric=True),
        _metric("spend", "Spend"),  # in the order of brand/home.html's cells
        *(_metric(key, label) for key, label, _ in METRICS if key not in ("spend", "cpm", "cpc", "revenue")),
    ]
    return table(request, "campaigns", "campaigns", rows, columns, sort="start", descending=True)


def breakdown_table(
    request: Request, name: str, label: str, key: str, rows: Iterable[Row], names: Mapping[str, str]
) -> Table[Row]:
    """A campaign's results by `key` (`day`, `line_item_id`, …); each row's `name` is what it
    is called on the page (an id the brand can no longer read is shown as is)."""
    named = [row | {"name": str(names.get(str(row.get(key)), row.get(key)) or "–")} for row in rows]
    heading = label.capitalize()
    columns = [
        Column[Row]("name", heading, lambda r: r["name"], searchable=True),
        *(_metric(k, text) for k, text, _ in METRICS),
    ]
    if key == "day":
        return table(request, name, f"{label}s", named, columns, sort="name", descending=True)
    return table(request, name, f"{label}s", named, columns, sort="spend", descending=True)


def creatives_table(
    request: Request,
    creatives: Iterable[Creative],
    line_items: Mapping[str, LineItem],
    describe: Callable[[Creative], str],
) -> Table[Row]:
    """The brand's creatives; review is "in review" while the operator has not decided."""
    rows = []
    for c in creatives:
        li = line_items.get(c.line_item_id or "")
        rows.append(
            {
                "creative": c,
                "li": li,
                "name": describe(c),
                "line_item": li.name if li else "–",
                "review": "in review" if c.status is ReviewStatus.PENDING else c.status.value,
                "note": c.review_note or "",
                "added": c.created_at,
            }
        )
    columns = [
        Column[Row]("preview", "Preview", lambda r: None, sortable=False),
        Column[Row]("name", "Creative", lambda r: r["name"], searchable=True),
        Column[Row]("line_item", "Line item", lambda r: r["line_item"], searchable=True),
        Column[Row]("review", "Review", lambda r: r["review"], choices=True),
        Column[Row]("note", "Operator's note", lambda r: r["note"], searchable=True),
        Column[Row]("added", "Added", lambda r: r["added"]),
        Column[Row]("actions", "Actions", lambda r: None, sortable=False),
    ]
    return table(request, "creatives", "creatives", rows, columns, sort="added", descending=True)
