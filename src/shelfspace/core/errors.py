"""The one error hierarchy of Shelfspace.

Services raise these; one handler in `shelfspace.app` renders every one of them as
`{"error": {"code", "message", "fields"}}` with the status the class names. A route never
builds an error response by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """What went wrong, as a stable, machine-readable word."""

    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    AWAITING_APPROVAL = "awaiting_approval"  # a brand that signed up and is not approved yet
    PAYLOAD_TOO_LARGE = "payload_too_large"
    TOO_MANY_REQUESTS = "too_many_requests"  # a quota of the caller's is spent; the message says which
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One bad field: its dotted path in the request (`targeting.countries.1`) and why."""

    field: str
    message: str


class ShelfspaceError(Exception):
    status_code: int = 500
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, fields: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []


class InvalidInput(ShelfspaceError):
    """The request is well-formed but breaks a rule; each broken rule names its field."""

    status_code = 422
    code = ErrorCode.VALIDATION_FAILED

    @classmethod
    def on(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldProblem(field, message)])

    @classmethod
    def collect(cls, problems: list[FieldProblem]) -> InvalidInput:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return cls(summary, problems)


class NotFound(ShelfspaceError):
    """Missing, or not visible to the caller: tenancy never reveals that an object exists."""

    status_code = 404
    code = ErrorCode.NOT_FOUND


class Conflict(ShelfspaceError):
    status_code = 409
    code = ErrorCode.CONFLICT


class Unauthorized(ShelfspaceError):
    status_code = 401
    code = ErrorCode.UNAUTHORIZED


class Forbidden(ShelfspaceError):
    """The caller is known but its role may not do this (e.g. an advertiser approving)."""

    status_code = 403
    code = ErrorCode.FORBIDDEN


class PayloadTooLarge(ShelfspaceError):
    status_code = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE


class TooManyRequests(ShelfspaceError):
    status_code = 429
    code = ErrorCode.TOO_MANY_REQUESTS


class UnsupportedMediaType(ShelfspaceError):
    status_code = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class Unavailable(ShelfspaceError):
    status_code = 503
    code = ErrorCode.UNAVAILABLE
