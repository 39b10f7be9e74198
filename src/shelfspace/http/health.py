"""`GET /healthz`: 200 once the server can serve, 503 with the reason while it cannot."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from shelfspace.core.jsonbody import JsonBody
from shelfspace.db.migrate import current_revision

router = APIRouter(tags=["operations"])


class Unhealthy(StrEnum):
    DATABASE_UNREACHABLE = "database_unreachable"
    MIGRATIONS_PENDING = "migrations_pending"
    NO_SNAPSHOT = "no_snapshot"  # the decision engine has not loaded the catalogue yet
    REDIS_UNREACHABLE = "redis_unreachable"  # production: the shared counters
    SPEND_NOT_RESTORED = "spend_not_restored"  # Redis lost its data and spend is being rebuilt


class Health(BaseModel):
    status: str
    reason: Unhealthy | None = None


@router.get("/healthz", response_model=Health, summary="Liveness and readiness",
            responses={503: {"model": Health, "description": "Not ready; `reason` says why."}})
def healthz(request: Request) -> JsonBody:
    try:
        # The head is read from the migration scripts once, at start; each call asks the
        # database only for its current revision (one indexed read).
        ready = current_revision(request.app.state.engine) == request.app.state.schema_head
    except SQLAlchemyError:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.DATABASE_UNREACHABLE), status_code=503)
    if not ready:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.MIGRATIONS_PENDING), status_code=503)
    if not request.app.state.snapshots.ready:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.NO_SNAPSHOT), status_code=503)
    backends = request.app.state.backends
    try:  # the event log is in the database checked above
        if backends.redis is not None:
            backends.redis.ping()
    except Exception:  # any driver's error: not ready, and the reason says which
        return JsonBody(Health(status="unavailable", reason=Unhealthy.REDIS_UNREACHABLE), status_code=503)
    if not backends.counters.restored():
        return JsonBody(Health(status="unavailable", reason=Unhealthy.SPEND_NOT_RESTORED), status_code=503)
    return JsonBody(Health(status="ok"))
