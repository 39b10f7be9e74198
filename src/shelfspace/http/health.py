"""Health for orchestrators: `GET /healthz/live` says the process answers (restart it if
not), `GET /healthz/ready` says it can serve (send it traffic only then: 503 with the
reason while it cannot). `GET /healthz`, older, is the readiness check.

Liveness touches nothing outside the process, so a database or Redis outage makes every
instance unready, never restarted in a loop for a fault they cannot mend."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from shelfspace.core.jsonbody import JsonBody
from shelfspace.db.migrate import current_revision
from shelfspace.runtime import runtime_of

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


@router.get("/healthz/live", response_model=Health, summary="Liveness")
async def live() -> JsonBody:
    """The process answers requests: nothing else is asked."""
    return JsonBody(Health(status="ok"))


READY_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {"model": Health, "description": "Not ready; `reason` says why."}
}


@router.get("/healthz/ready", response_model=Health, summary="Readiness", responses=READY_RESPONSES)
def ready(request: Request) -> JsonBody:
    """The database at the code's schema, the catalogue loaded, Redis reachable and spend
    restored (production): 200; otherwise 503 naming the first that is not."""
    return healthz(request)


@router.get("/healthz", response_model=Health, summary="Readiness (as /healthz/ready)", responses=READY_RESPONSES)
def healthz(request: Request) -> JsonBody:
    try:
        # The head is read from the migration scripts once, at start; each call asks the
        # database only for its current revision (one indexed read).
        ready = current_revision(runtime_of(request).db_engine) == runtime_of(request).schema_head
    except SQLAlchemyError:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.DATABASE_UNREACHABLE), status_code=503)
    if not ready:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.MIGRATIONS_PENDING), status_code=503)
    if not runtime_of(request).snapshots.ready:
        return JsonBody(Health(status="unavailable", reason=Unhealthy.NO_SNAPSHOT), status_code=503)
    backends = runtime_of(request).backends
    try:  # the event log is in the database checked above
        if backends.redis is not None:
            backends.redis.ping()
    except Exception:  # any driver's error: not ready, and the reason says which
        return JsonBody(Health(status="unavailable", reason=Unhealthy.REDIS_UNREACHABLE), status_code=503)
    if not backends.counters.restored():
        return JsonBody(Health(status="unavailable", reason=Unhealthy.SPEND_NOT_RESTORED), status_code=503)
    return JsonBody(Health(status="ok"))
