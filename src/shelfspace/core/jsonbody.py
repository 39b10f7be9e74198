"""JSON responses that write money as exact decimal numbers.

pydantic and FastAPI write a `Decimal` either as a string or through a float; neither
keeps `"bid": 2.50` exact for every amount. Routes return `JsonBody(model)`: the model
is dumped in Python mode (decimals stay decimals) and orjson writes them, each decimal as
the number its exact text spells (a raw fragment), in a fraction of simplejson's time:
every decision's answer goes through here.
FastAPI passes a returned `Response` through untouched, while the route's
`response_model` still documents the shape in OpenAPI: `JsonBody` is a `JSONResponse`
so that FastAPI documents that model (for any other response class it writes a bare
string), and `ExactDecimal` documents a decimal as the number it is sent as.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, WithJsonSchema
from starlette.responses import JSONResponse

OPTIONS = orjson.OPT_NON_STR_KEYS

# pydantic documents an output `Decimal` as a string (how it would write one); this module
# writes it as a number. Every decimal a model sends carries this, so the document says so.
SENT_AS_NUMBER = WithJsonSchema({"type": "number"}, mode="serialization")
ExactDecimal = Annotated[Decimal, SENT_AS_NUMBER]
"""A decimal in an answer: written as the exact number its text spells."""


def _default(value: object) -> object:
    """What orjson cannot write itself (datetimes, dates and enums it writes natively)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"cannot write {value} as a JSON number")
        return orjson.Fragment(f"{value:f}")  # plain digits, never an exponent
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(content: Any) -> bytes:
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="python")
    elif isinstance(content, Sequence) and not isinstance(content, str | bytes):
        content = [c.model_dump(mode="python") if isinstance(c, BaseModel) else c for c in content]
    return orjson.dumps(content, default=_default, option=OPTIONS)


class JsonBody(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
