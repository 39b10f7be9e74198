"""JSON bodies parsed by the route itself, for the hot path, yet documented like the rest.

FastAPI reads a body parameter through `json.loads`, its dependency solver and a Python
validation pass; the decision route takes every page view, so it hands the raw bytes to
pydantic's own JSON parser instead (about a sixth more requests per second, measured by
`benchmarks/decisions.py`). The errors keep the API's 422 shape, and the body's schema is
still in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from shelfspace.core import json_depth
from shelfspace.core.errors import PayloadTooLarge
from shelfspace.http.body_limits import BodyTooLarge, limit_for

Model = TypeVar("Model", bound=BaseModel)
REF = "#/components/schemas/{model}"


async def read_body(request: Request) -> bytes:
    """The request's body, refused with 413 as soon as it passes its route's limit
    (`http/body_limits.py`; a declared Content-Length over it is refused before anything is
    read). Counted here too, so the route is capped even in an app without the middleware.
    The refusal is a `PayloadTooLarge`, which the hot routes' own handling renders (the
    OpenRTB route adds its CORS headers to it)."""
    limit = limit_for(request.scope["path"])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit.max_bytes:
        raise PayloadTooLarge(limit.message)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit.max_bytes:
                raise PayloadTooLarge(limit.message)
            chunks.append(chunk)
    except BodyTooLarge as refused:
        raise PayloadTooLarge(refused.limit.message) from None
    return b"".join(chunks)


def parse_body(model: type[Model], raw: bytes) -> Model:
    json_depth.check(raw)  # the one depth rule (core/json_depth.py): 422 before the parser recurses
    try:
        return model.model_validate_json(raw)
    except ValidationError as invalid:
        raise RequestValidationError(invalid.errors(include_url=False)) from None


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """The route's `openapi_extra`: its JSON request body is `model`."""
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install_body_schemas(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add the models of `documented_body` routes to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template=REF)
            for name, part in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
                if components.setdefault(name, part) != part:
                    raise RuntimeError(f"two different schemas are named {name} in the OpenAPI document")
        return document

    app.openapi = openapi  # type: ignore[method-assign]
