"""Bulk import of the product catalogue from a JSON or CSV feed.

Each row is validated on its own and every problem is reported with its line and field.
The caller chooses what a bad row does: `skip` keeps the good rows, `reject` writes
nothing unless every row is good. Rows are upserted by SKU in chunks with one
INSERT … ON CONFLICT per chunk, so ten thousand products take well under a second of SQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.models import Product
from shelfspace.catalog.schemas import ImportProblem, ImportResult, ProductIn
from shelfspace.catalog.services.products import row_values
from shelfspace.catalog.version import bump_catalogue_version
from shelfspace.core import json_depth
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import InvalidInput, UnsupportedMediaType
from shelfspace.db.upsert import insert_for

MAX_ROWS = 200_000
CHUNK = 1_000
_product = TypeAdapter(ProductIn)
PRODUCT_COLUMNS = tuple(ProductIn.model_fields)


class OnError(StrEnum):
    SKIP = "skip"  # import the good rows, report the bad ones
    REJECT = "reject"  # import nothing unless every row is good


def rows_from_json(raw: bytes) -> Iterator[tuple[int, Any]]:
    try:
        document = json_depth.loads(raw)  # the one depth rule: 422, never Python's RecursionError
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.on("body", f"not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("products"), list):
        raise InvalidInput.on("products", 'send {"products": [ … ]}')
    return enumerate(document["products"], start=1)


def rows_from_csv(raw: bytes) -> Iterator[tuple[int, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.on("body", "the CSV must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in PRODUCT_COLUMNS]
    if unknown or "sku" not in header or "title" not in header:
        raise InvalidInput.on(
            "header",
            f"columns must be among {', '.join(PRODUCT_COLUMNS)} and include sku and title"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
        )
    for row in reader:
        if None in row:
            yield reader.line_num, {"__extra__": row[None]}
            continue
        # An empty cell means "no value", not an empty string.
        yield reader.line_num, {k: v for k, v in row.items() if v not in (None, "")}


def _validate(rows: Iterator[tuple[int, Any]]) -> tuple[list[ProductIn], list[ImportProblem], int]:
    good: dict[str, tuple[int, ProductIn]] = {}
    problems: list[ImportProblem] = []
    received = 0
    for line, row in rows:
        received += 1
        if received > MAX_ROWS:
            raise InvalidInput.on("products", f"at most {MAX_ROWS} products per import; split the feed")
        if not isinstance(row, dict):
            problems.append(ImportProblem(line=line, field="", reason="a product must be an object"))
            continue
        if "__extra__" in row:
            problems.append(ImportProblem(line=line, field="", reason="more cells than header columns"))
            continue
        try:
            product = _product.validate_python(row)
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or ""
                problems.append(
                    ImportProblem(line=line, field=field, reason=error["msg"].removeprefix("Value error, "))
                )
            continue
        if product.sku in good:
            first = good[product.sku][0]
            problems.append(ImportProblem(line=line, field="sku", reason=f"{product.sku!r} already on line {first}"))
            continue
        good[product.sku] = (line, product)
    return [p for _, p in good.values()], problems, received


def _upsert(db: Session, products: list[ProductIn]) -> tuple[int, int]:
    """Insert or update by SKU; returns (created, updated).

    One statement, compiled once and run with a list of parameter sets, so SQLAlchemy
    batches it (insertmanyvalues) instead of compiling a thousand-row VALUES per chunk.
    """
    table = cast(Table, Product.__table__)
    stmt = insert_for(db)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.sku],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in {"sku", "created_at"}},
    )
    created = updated = 0
    now = utcnow()
    for start in range(0, len(products), CHUNK):
        chunk = [
            row_values(p) | {"archived_at": None, "created_at": now, "updated_at": now}
            for p in products[start : start + CHUNK]
        ]
        existing = len(db.scalars(select(Product.sku).where(Product.sku.in_([r["sku"] for r in chunk]))).all())
        db.execute(stmt, chunk)
        updated += existing
        created += len(chunk) - existing
    return created, updated


def import_feed(db: Session, by: Principal, raw: bytes, content_type: str, on_error: OnError) -> ImportResult:
    by.require_operator("import the product catalogue")
    media = content_type.split(";")[0].strip().lower()
    if media in {"application/json", ""}:
        rows = rows_from_json(raw)
    elif media in {"text/csv", "application/csv"}:
        rows = rows_from_csv(raw)
    else:
        raise UnsupportedMediaType(f"send application/json or text/csv, not {media!r}")
    products, problems, received = _validate(rows)
    if problems and on_error is OnError.REJECT:
        return ImportResult(received=received, imported=0, created=0, updated=0, rejected=problems, written=False)
    # Expire the identity map after the bulk statement so later reads see the new rows.
    created, updated = _upsert(db, products)
    if products:
        bump_catalogue_version(db)  # the bulk statement bypasses the unit of work's listener
    db.expire_all()
    record(
        db,
        by,
        AuditAction.IMPORT,
        "product",
        "feed",
        {"received": received, "created": created, "updated": updated, "rejected": len(problems)},
    )
    db.flush()
    return ImportResult(
        received=received, imported=created + updated, created=created, updated=updated, rejected=problems, written=True
    )
