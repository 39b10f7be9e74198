"""JSON responses that write money as exact decimal numbers.

pydantic and FastAPI write a `Decimal` either as a string or through a float; neither
keeps `"bid": 2.50` exact for every amount. Routes return `JsonBody(model)`: the model
is dumped in Python mode (decimals stay decimals) and simplejson writes them as numbers.
FastAPI passes a returned `Response` through untouched, while the route's
`response_model` still documents the shape in OpenAPI.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import simplejson
from pydantic import BaseModel
from starlette.responses import Response


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(content: Any) -> bytes:
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="python")
    elif isinstance(content, Sequence) and not isinstance(content, str | bytes):
        content = [c.model_dump(mode="python") if isinstance(c, BaseModel) else c for c in content]
    text: str = simplejson.dumps(content, use_decimal=True, default=_default, ensure_ascii=False)
    return text.encode("utf-8")


class JsonBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
