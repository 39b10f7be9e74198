"""Sortable, filterable, paged tables, done on the server so they work without JavaScript.

A page hands `table()` all its rows and the columns; the request's query says how to
show them. Each table has a name, so a page can hold several, and its state travels in
the query string under that name: `<name>_sort` (a column's key), `<name>_dir` (`asc`
or `desc`), `<name>_q` (text that any searchable column contains, case ignored),
`<name>_<key>` for a column filtered by a choice, and `<name>_page`. Every link a table
makes keeps the rest of the query (the period, the other tables) and jumps back to the
table (`#<name>`). Wrong values fall back to the defaults: a table never answers 422.

Templates draw it with the macros of `_table.html`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

T = TypeVar("T")

PER_PAGE = 25
FILTER_FROM = 6  # a table of fewer rows offers no filter: there is nothing to look for
MAX_TEXT = 100  # a filter's text, at most
MAX_PAGE = 100_000
ASC, DESC = "asc", "desc"


@dataclass(frozen=True)  # no slots: `Column[Row](...)` sets __orig_class__
class Column(Generic[T]):
    key: str
    label: str
    value: Callable[[T], Any]  # what the column sorts by (and filters on)
    numeric: bool = False  # right-aligned; sorted largest first on the first click
    searchable: bool = False  # the filter's text is looked for in it
    choices: bool = False  # filtered by a menu of the values it holds
    sortable: bool = True
    # Sorts by this rather than the value, where the value's alphabet says nothing: a state
    # by its urgency (the most urgent first), not "Live" after "Draft".
    order: Callable[[T], Any] | None = None

    def rank(self, row: T) -> Any:
        """What the rows are sorted by in this column."""
        return (self.order or self.value)(row)


def _sort_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


@dataclass(frozen=True, slots=True)
class Table(Generic[T]):
    """One page of rows, and the links that change what is shown."""

    name: str
    label: str  # what the rows are, in words ("campaigns")
    columns: tuple[Column[T], ...]
    rows: list[T]
    total: int  # rows that pass the filters
    unfiltered: int
    sort: str
    descending: bool
    text: str
    chosen: dict[str, str]  # column key → the choice filtered on
    options: dict[str, list[str]]  # column key → the choices it offers
    page: int
    per_page: int
    params: tuple[tuple[str, str], ...]  # the request's query, kept by every link

    def param(self, what: str) -> str:
        return f"{self.name}_{what}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.chosen)

    @property
    def searchable(self) -> bool:
        return any(c.searchable for c in self.columns)

    @property
    def offers_filter(self) -> bool:
        """Whether the page shows the filter form: on a table long enough to look through,
        and always while a filter is on (so it can be changed or cleared)."""
        return self.filtered or (self.unfiltered >= FILTER_FROM and bool(self.searchable or self.options))

    @property
    def offers_pages(self) -> bool:
        """Whether the page shows the count and the pages: more than one page, or a filter on."""
        return self.pages > 1 or self.filtered

    def link(self, **changes: str | int | None) -> str:
        """This page's URL with this table's `changes` (None drops one), back at the table."""
        wanted = {self.param(k): v for k, v in changes.items()}
        kept = [(k, v) for k, v in self.params if k not in wanted]
        kept += [(k, str(v)) for k, v in wanted.items() if v is not None and v != ""]
        return f"?{urlencode(kept)}#{self.name}"

    def sort_link(self, column: Column[T]) -> str:
        """Sorted by `column`; again on the sorted column, the other way round. Back to page 1."""
        if column.key == self.sort:
            descending = not self.descending
        else:
            descending = column.numeric
        return self.link(sort=column.key, dir=DESC if descending else ASC, page=None)

    def aria_sort(self, column: Column[T]) -> str | None:
        if column.key != self.sort:
            return None
        return "descending" if self.descending else "ascending"

    def page_link(self, page: int) -> str:
        return self.link(page=page if page > 1 else None)

    def clear_link(self) -> str:
        return self.link(q=None, page=None, **dict.fromkeys(self.chosen))

    def kept_fields(self) -> list[tuple[str, str]]:
        """The query a filter form carries as hidden fields: all but this table's filters and page."""
        own = {self.param("q"), self.param("page")} | {self.param(c.key) for c in self.columns if c.choices}
        return [(k, v) for k, v in self.params if k not in own]


def _page(raw: str) -> int:
    return min(int(raw), MAX_PAGE) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def table(
    request: Request,
    name: str,
    label: str,
    rows: Iterable[T],
    columns: Sequence[Column[T]],
    *,
    sort: str,
    descending: bool = False,
    per_page: int = PER_PAGE,
) -> Table[T]:
    """The rows as the query asks: filtered, sorted (empty values last either way), paged."""
    query = request.query_params
    by_key = {c.key: c for c in columns}
    everything = list(rows)

    wanted = query.get(f"{name}_sort", "")
    if wanted in by_key and by_key[wanted].sortable:
        sort, descending = wanted, query.get(f"{name}_dir", DESC if by_key[wanted].numeric else ASC) == DESC
    text = query.get(f"{name}_q", "").strip()[:MAX_TEXT]
    options = {
        c.key: sorted({_text(c.value(r)) for r in everything} - {""}, key=str.casefold) for c in columns if c.choices
    }
    chosen = {key: query[f"{name}_{key}"] for key in options if query.get(f"{name}_{key}", "") in options[key]}

    kept = everything
    if text:
        needle = text.casefold()
        searched = [c for c in columns if c.searchable]
        kept = [r for r in kept if any(needle in _text(c.value(r)).casefold() for c in searched)]
    for key, choice in chosen.items():
        kept = [r for r in kept if _text(by_key[key].value(r)) == choice]

    column = by_key[sort]
    present = [r for r in kept if column.rank(r) is not None]
    ordered = sorted(present, key=lambda r: _sort_key(column.rank(r)), reverse=descending)
    ordered += [r for r in kept if column.rank(r) is None]

    pages = max(1, -(-len(ordered) // per_page))
    page = min(_page(query.get(f"{name}_page", "1")), pages)
    shown = ordered[(page - 1) * per_page : page * per_page]
    params = tuple((k, v[:MAX_TEXT]) for k, v in query.multi_items())
    return Table(
        name=name,
        label=label,
        columns=tuple(columns),
        rows=shown,
        total=len(ordered),
        unfiltered=len(everything),
        sort=sort,
        descending=descending,
        text=text,
        chosen=chosen,
        options=options,
        page=page,
        per_page=per_page,
        params=params,
    )
