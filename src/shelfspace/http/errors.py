"""One renderer for every error: `{"error": {"code", "message", "fields"}}`.

Domain errors, request validation, unknown routes and unexpected failures all leave in
the same shape, so integrators parse one thing. A 500 is logged with its traceback and
answers without internals.

Pages answer errors with pages: the dashboard's renderer (dashboard/errors.py), which
stands above `http/`, is handed to `install_error_handlers` by create_app. The handlers
are made per app around it, so an app built without pages (None) answers JSON alone,
whatever another app of the process renders.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shelfspace.core import json_depth
from shelfspace.core.errors import ErrorCode, FieldProblem, ShelfspaceError
from shelfspace.core.jsonbody import JsonBody

log = structlog.get_logger(__name__)


class PageErrors(Protocol):
    """How pages answer errors: the dashboard's (dashboard/errors.py `PAGE_ERRORS`)."""

    def wants_page(self, request: Request) -> bool: ...

    def error_page(self, request: Request, status: int, message: str) -> Response: ...


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the bad field, e.g. `targeting.countries.1`.")
    message: str


class ErrorDetail(BaseModel):
    code: ErrorCode
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _doc("Missing, unknown or revoked API key."),
    403: _doc("The key's role may not do this."),
    404: _doc("No such object, or it belongs to another advertiser."),
    409: _doc("The change conflicts with the object's state (e.g. archived, duplicate id)."),
    422: _doc("Invalid input: `fields` names each bad field and why."),
}

_STATUS_CODES = {
    400: ErrorCode.VALIDATION_FAILED,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def error_response(status: int, code: ErrorCode, message: str, fields: list[FieldProblem] | None = None) -> Response:
    body = ErrorBody(
        error=ErrorDetail(
            code=code,
            message=message,
            fields=[FieldError(field=f.field, message=f.message) for f in fields or []],
        )
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JsonBody(body, status_code=status, headers=headers)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problems(errors: list[Any]) -> list[FieldProblem]:
    problems = []
    for error in errors:
        message = str(error.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(_field_path(tuple(error.get("loc", ()))), message))
    return problems


async def _request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(list(exc.errors()))
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return error_response(422, ErrorCode.VALIDATION_FAILED, summary or "invalid request", problems)


class _Handlers:
    """One app's handlers, with the page renderer it was given (None: JSON only). They stay
    async: JSON errors of the hot routes need no thread hop, and the OpenRTB route awaits
    them directly."""

    def __init__(self, pages: PageErrors | None) -> None:
        self._pages = pages

    async def _answer(
        self, request: Request, status: int, code: ErrorCode, message: str, fields: list[FieldProblem] | None = None
    ) -> Response:
        """JSON for the API; for a dashboard page, the same error as a page, rendered in the
        thread pool (the page reads the signed-in user from the database)."""
        pages = self._pages
        if pages is not None and pages.wants_page(request):
            return await run_in_threadpool(pages.error_page, request, status, message)
        return error_response(status, code, message, fields)

    async def shelfspace_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ShelfspaceError)
        return await self._answer(request, exc.status_code, exc.code, exc.message, exc.fields)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and json_depth.is_too_deep_failure(exc.__cause__):  # FastAPI's body parse
            return await self.shelfspace_error(request, json_depth.JsonTooDeep())
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL)
        return await self._answer(request, exc.status_code, code, str(exc.detail))

    async def integrity_error(self, request: Request, exc: Exception) -> Response:
        # Two requests raced past the service's own check (e.g. the same new id at once).
        log.warning("integrity_conflict", path=request.url.path, error=str(exc.__cause__ or exc))
        return await self._answer(request, 409, ErrorCode.CONFLICT, "the change conflicts with existing data; retry")

    async def database_unavailable(self, request: Request, exc: Exception) -> Response:
        log.error("database_unavailable", path=request.url.path, error=str(exc))
        return await self._answer(
            request, 503, ErrorCode.UNAVAILABLE, "the database is unavailable; nothing was changed"
        )

    async def counters_unavailable(self, request: Request, exc: Exception) -> Response:
        """Production mode: Redis (budgets, caps, pacing) cannot be reached. Nothing was served
        or charged; the caller may try again."""
        log.error("counters_unavailable", path=request.url.path, error=str(exc))
        return await self._answer(
            request,
            503,
            ErrorCode.UNAVAILABLE,
            "budgets and caps (Redis) are unreachable; nothing was served or charged, try again",
        )

    async def unexpected(self, request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path, exc_info=exc)
        return await self._answer(request, 500, ErrorCode.INTERNAL, "internal error; nothing was changed")


def install_error_handlers(app: FastAPI, pages: PageErrors | None) -> None:
    """Every error of `app` in the one shape; on pages, as pages by `pages` (None: an app
    without the dashboard, JSON only)."""
    handlers = _Handlers(pages)
    app.add_exception_handler(ShelfspaceError, handlers.shelfspace_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, handlers.http_error)
    app.add_exception_handler(IntegrityError, handlers.integrity_error)
    app.add_exception_handler(OperationalError, handlers.database_unavailable)
    app.add_exception_handler(RedisConnectionError, handlers.counters_unavailable)
    app.add_exception_handler(RedisTimeoutError, handlers.counters_unavailable)
    app.add_exception_handler(Exception, handlers.unexpected)
