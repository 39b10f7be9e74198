"""The base of every input shape, and the one character no database may receive.

PostgreSQL text cannot hold NUL (0x00), and SQLite would store it where no other tool
expects one; a NUL in any field, at any depth, is therefore refused at the door with a
422 naming the field, instead of failing deep in a query. Identifiers in paths and query
strings are held to `KEY_PATTERN`, which every id, slug and SKU Shelfspace makes fits.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

NUL = "\x00"
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
NUL_REFUSED = "must not contain the NUL character (\\u0000)"


def holds_nul(value: Any) -> bool:
    """True if a string anywhere inside `value` (lists, dicts, their keys) contains NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False  # numbers, dates, enums and nested models (which check themselves)


class InputModel(BaseModel):
    """What a caller sends: unknown fields are an error, strings are trimmed and NUL-free."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if holds_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


def _nul_free(value: str) -> str:
    if NUL in value:
        raise ValueError(NUL_REFUSED)
    return value


NulFree = Annotated[str, AfterValidator(_nul_free)]
"""A path or query parameter that is free text, not an id (e.g. the operator's user ids):
any character but NUL. (An id is held to `KEY_PATTERN` instead.)"""
