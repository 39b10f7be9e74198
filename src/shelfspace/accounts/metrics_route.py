"""The /metrics route, for the operator's scraper only (see `http/metrics.py` for why).

A scrape sends `Authorization: Bearer` with SHELFSPACE_METRICS_TOKEN or an operator API
key: checking the key is accounts' business, so the route lives here, above `http/`,
which keeps the middleware and the exposition.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response

from shelfspace.accounts.caller import principal_for
from shelfspace.config import Settings
from shelfspace.core.errors import Unauthorized
from shelfspace.http.deps import bearer
from shelfspace.http.metrics import HttpMetrics, MetricsMiddleware, exposition
from shelfspace.runtime import Rt


def install_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(registry))

    # A plain `def`: checking an API key reads the database, off the event loop.
    @app.get(
        "/metrics",
        include_in_schema=True,
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def metrics(rt: Rt, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Response:
        """Needs `Authorization: Bearer` with SHELFSPACE_METRICS_TOKEN or an operator API key."""
        require_scraper(rt.settings, rt.db_sessions, credentials, rt.clock.now())
        return Response(exposition(registry), media_type=CONTENT_TYPE_LATEST)


def require_scraper(
    settings: Settings, sessions: sessionmaker[Session], credentials: HTTPAuthorizationCredentials | None, now: datetime
) -> None:
    """/metrics names every demand partner and what the network serves: only the operator's
    scraper reads it. The metrics token (compared in constant time) needs no database; any
    other bearer must be an operator's API key. Unauthorized (401) or Forbidden (403)."""
    if credentials is None:
        raise Unauthorized("/metrics needs `Authorization: Bearer <SHELFSPACE_METRICS_TOKEN or an operator API key>`")
    token = settings.metrics_token
    if token is not None and hmac.compare_digest(credentials.credentials.encode(), token.get_secret_value().encode()):
        return
    principal_for(sessions, credentials, now).require_operator("read /metrics")
