"""What `/openapi.json` promises about errors, derived from each operation's own shape.

Routes declare their success answers (`response_model=`, or a media type); the errors an
operation can answer follow from what it takes, so they are added here, for every
operation, rather than listed by hand on each router (a list that a new route forgets):

- a parameter or a body: 422, invalid input, naming each bad field;
- a body: 400 (bytes that are not the declared media type, e.g. broken UTF-8) and 413
  (over its route's limit, `http/body_limits.py`);
- an API key (`security`): 401 (missing, unknown or revoked) and 403 (the role may not);
- an API key and a path parameter: 404 (no such object, or another advertiser's);
- an API key and a write: 409 (conflicts with the stored state, or a race on a new id).

Every error answer in the document, these and any a route declares itself (e.g. a 429 for
a rate limit: `responses=error_responses(ErrorStatus.TOO_MANY_REQUESTS)`), is described by
the one error model, `{"error": {"code", "message", "fields"}}` (`http/errors.py`
ErrorBody), in place of FastAPI's default validation-error model, which this API never
sends.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from fastapi import FastAPI

from shelfspace.http.errors import ErrorBody

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {"$ref": REF.format(model=ErrorBody.__name__)}
WRITES = {"post", "put", "patch", "delete"}
FASTAPI_VALIDATION_MODELS = ("HTTPValidationError", "ValidationError")


class ErrorStatus(IntEnum):
    """The error statuses the API documents, each with what it means for any operation."""

    BAD_REQUEST = 400
    UNAUTHORIZED = 401
    FORBIDDEN = 403
    NOT_FOUND = 404
    CONFLICT = 409
    PAYLOAD_TOO_LARGE = 413
    UNPROCESSABLE = 422
    TOO_MANY_REQUESTS = 429

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ErrorStatus.BAD_REQUEST: "The body cannot be read as its declared media type (e.g. not UTF-8).",
    ErrorStatus.UNAUTHORIZED: "Missing, unknown or revoked API key.",
    ErrorStatus.FORBIDDEN: "The key's role may not do this.",
    ErrorStatus.NOT_FOUND: "No such object, or it belongs to another advertiser.",
    ErrorStatus.CONFLICT: "The change conflicts with the object's state (e.g. archived, duplicate id).",
    ErrorStatus.PAYLOAD_TOO_LARGE: "The body is over this route's size limit; the message names it.",
    ErrorStatus.UNPROCESSABLE: "Invalid input: `fields` names each bad field and why.",
    ErrorStatus.TOO_MANY_REQUESTS: "Too many requests; try again later.",
}


def error_responses(*statuses: ErrorStatus, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` for errors it answers beyond those its shape implies
    (`descriptions` by status name, e.g. `TOO_MANY_REQUESTS="..."`, replace the meaning)."""
    return {int(s): {"model": ErrorBody, "description": descriptions.get(s.name, s.meaning)} for s in statuses}


def implied_errors(method: str, operation: dict[str, Any]) -> set[ErrorStatus]:
    """The errors an operation can answer by its shape alone (see the module's docstring)."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    # `[{}]` is how a route says it needs no key (e.g. asked by pages): not secured.
    secured = any(operation.get("security", []))
    statuses: set[ErrorStatus] = set()
    if parameters or has_body:
        statuses.add(ErrorStatus.UNPROCESSABLE)
    if has_body:
        statuses |= {ErrorStatus.BAD_REQUEST, ErrorStatus.PAYLOAD_TOO_LARGE}
    if secured:
        statuses |= {ErrorStatus.UNAUTHORIZED, ErrorStatus.FORBIDDEN}
        if any(p.get("in") == "path" for p in parameters):
            statuses.add(ErrorStatus.NOT_FOUND)
        if method in WRITES:
            statuses.add(ErrorStatus.CONFLICT)
    return statuses


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every operation's errors added and described by the error model."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in implied_errors(method, operation):
                responses.setdefault(str(int(status)), {"description": status.meaning})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = {"application/json": {"schema": _error_schema(response)}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    model = ErrorBody.model_json_schema(ref_template=REF, mode="serialization")
    for name, part in [*model.pop("$defs", {}).items(), (ErrorBody.__name__, model)]:
        schemas.setdefault(name, part)
    for name in FASTAPI_VALIDATION_MODELS:  # described by nothing now: never sent
        schemas.pop(name, None)
    return document


def _error_schema(response: dict[str, Any]) -> dict[str, Any]:
    """The error model; or it or the body a route declared for that status itself (e.g. the
    product import's 422 lists every rejected row)."""
    declared = response.get("content", {}).get("application/json", {}).get("schema")
    own = declared is not None and not str(declared.get("$ref", "")).endswith(
        (f"/{ErrorBody.__name__}", *(f"/{name}" for name in FASTAPI_VALIDATION_MODELS))
    )
    return {"anyOf": [dict(ERROR_SCHEMA), declared]} if own else dict(ERROR_SCHEMA)


def install_openapi(app: FastAPI) -> None:
    """Document every operation's errors, on top of whatever builds the document so far."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
