"""Keyset pagination: `?limit=50&cursor=<last id>`, stable while rows are added.

Offsets skip or repeat rows when the list changes between pages; a cursor on the primary
key does not, and every list endpoint uses this one helper.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shelfspace.core.errors import InvalidInput
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageParams(BaseModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=200)


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, pattern=KEY_PATTERN, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


class Page(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


def fetch_page(
    db: Session, stmt: Select[Any], key: InstrumentedAttribute[Any], params: PageParams
) -> tuple[list[Any], str | None]:
    """Rows after the cursor in key order, and the cursor of the next page (or None)."""
    if params.cursor is not None:
        try:
            after = key.type.python_type(params.cursor)
        except ValueError:
            raise InvalidInput.on("cursor", "not a cursor returned by this list") from None
        stmt = stmt.where(key > after)
    rows = list(db.scalars(stmt.order_by(key).limit(params.limit + 1)))
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, str(getattr(rows[-1], key.key))
    return rows, None


def page_body(rows: list[Any], cursor: str | None, out: type[BaseModel]) -> JsonBody:
    """The answer of every list endpoint: `{"data", "has_more", "next_cursor"}`."""
    return JsonBody(
        {"data": [out.model_validate(r) for r in rows], "has_more": cursor is not None, "next_cursor": cursor}
    )
