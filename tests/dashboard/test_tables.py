"""dashboard/tables.py: rows sorted, filtered and paged from the query string alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from shelfspace.dashboard.tables import Column, Table, table

Row = dict[str, Any]
ROWS: list[Row] = [
    {
        "name": f"Campaign {i:02d}",
        "status": "live" if i % 3 else "paused",
        "spend": None if i == 7 else Decimal(i * 10) / 3,
    }
    for i in range(1, 61)
]
COLUMNS = [
    Column[Row]("name", "Campaign", lambda r: r["name"], searchable=True),
    Column[Row]("status", "Status", lambda r: r["status"], choices=True),
    Column[Row]("spend", "Spend", lambda r: r["spend"], numeric=True),
]


def shown(query: dict[str, str] | str = "", **kwargs: Any) -> Table[Row]:
    text = query if isinstance(query, str) else urlencode(query)
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/brand",
            "headers": [],
            "query_string": text.lstrip("?").split("#", 1)[0].encode(),
        }
    )
    return table(request, "campaigns", "campaigns", ROWS, COLUMNS, sort="name", **kwargs)


def names(t: Table[Row]) -> list[str]:
    return [r["name"] for r in t.rows]


def test_the_first_page_in_the_default_order() -> None:
    t = shown()
    assert names(t) == [f"Campaign {i:02d}" for i in range(1, 26)]
    assert (t.total, t.pages, t.first, t.last, t.filtered) == (60, 3, 1, 25, False)


def test_sorting_by_a_number_puts_the_largest_first_and_empty_values_last_both_ways() -> None:
    t = shown({"campaigns_sort": "spend"})
    column = COLUMNS[2]
    assert t.descending and t.aria_sort(column) == "descending" and t.aria_sort(COLUMNS[0]) is None
    assert names(t)[:2] == ["Campaign 60", "Campaign 59"]
    assert names(shown({"campaigns_sort": "spend", "campaigns_dir": "asc", "campaigns_page": "3"}))[-1] == "Campaign 07"
    assert names(shown({"campaigns_sort": "spend", "campaigns_page": "3"}))[-1] == "Campaign 07"
    # The header's link turns the order round, back on the first page, keeping the rest of the query.
    link = dict(parse_qsl(t.sort_link(column).split("?", 1)[1].split("#")[0]))
    assert link == {"campaigns_sort": "spend", "campaigns_dir": "asc"}
    assert t.sort_link(column).endswith("#campaigns")


def test_text_and_choice_filters_combine_and_clear() -> None:
    t = shown({"campaigns_q": "campaign 1", "campaigns_status": "paused", "days": "7"})
    assert names(t) == ["Campaign 12", "Campaign 15", "Campaign 18"]
    assert t.filtered and t.total == 3 and t.unfiltered == 60
    assert t.options == {"status": ["live", "paused"]}
    cleared = dict(parse_qsl(t.clear_link().split("?", 1)[1].split("#")[0]))
    assert cleared == {"days": "7"}  # the period stays, the filters go
    assert t.kept_fields() == [("days", "7")]  # what the filter form carries besides its own fields


def test_paging_keeps_the_order_and_the_filters() -> None:
    t = shown({"campaigns_sort": "name", "campaigns_dir": "desc", "campaigns_q": "Campaign"})
    second = t.page_link(2)
    assert "campaigns_page=2" in second and "campaigns_q=Campaign" in second and "campaigns_dir=desc" in second
    page_two = shown(second.split("#")[0])
    assert page_two.page == 2 and names(page_two)[0] == "Campaign 35"
    assert "campaigns_page" not in page_two.page_link(1)  # page 1 is the plain URL


def test_wrong_values_fall_back_to_the_defaults() -> None:
    for query in (
        {"campaigns_sort": "password"},
        {"campaigns_page": "-1"},
        {"campaigns_page": "zz"},
        {"campaigns_status": "deleted"},
        {"campaigns_dir": "sideways"},
    ):
        t = shown(query)
        assert t.sort == "name" and t.page == 1 and t.chosen == {} and t.total == 60, query
    assert shown({"campaigns_page": "999"}).page == 3  # past the end: the last page
    assert shown({"campaigns_q": "x" * 5000}).text == "x" * 100  # the filter's text is capped
    assert shown({"campaigns_q": "nothing like it"}).rows == []


def test_a_short_table_offers_no_filter_and_no_pages_until_one_is_asked_for() -> None:
    def few(query: str) -> Table[Row]:
        request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": query.encode()})
        return table(request, "campaigns", "campaigns", ROWS[:5], COLUMNS, sort="name")

    assert (few("").offers_filter, few("").offers_pages) == (False, False)
    assert (few("campaigns_q=03").offers_filter, few("campaigns_q=03").offers_pages) == (True, True)
    assert (shown().offers_filter, shown().offers_pages) == (True, True)


def test_a_column_may_sort_by_a_rank_rather_than_its_value() -> None:
    """A state sorts by its urgency (Column.order), filters and reads by its words."""
    urgency = ["paused", "live"]  # not the alphabet
    ranked = [
        *COLUMNS[:1],
        Column[Row](
            "status", "Status", lambda r: r["status"], choices=True, order=lambda r: urgency.index(r["status"])
        ),
    ]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    t = table(request, "campaigns", "campaigns", ROWS, ranked, sort="status", per_page=100)
    assert names(t)[:20] == [f"Campaign {i:02d}" for i in range(3, 61, 3)]  # paused first, stable within
    assert t.options == {"status": ["live", "paused"]}
    flipped = table(request, "campaigns", "campaigns", ROWS, ranked, sort="status", descending=True, per_page=100)
    assert names(flipped)[0] == "Campaign 01" and names(flipped)[-1] == "Campaign 60"
