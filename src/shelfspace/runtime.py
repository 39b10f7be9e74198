"""The app's collaborators, typed, in one frozen object: what a route or page reaches for.

`create_app` builds every collaborator, puts them in a `Runtime`, and stores it as the one
attribute of `app.state`. Nothing else reads `app.state`: routes take `rt: Rt`, helpers
given a request call `runtime_of(request)`, and services get the narrow piece they need.
The names say which engine or sessions they are (`db_engine` is SQLAlchemy's, `ad_engine`
the decision engine; `db_sessions` the sessionmaker, not cookie sessions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from shelfspace.audiences.membership import AudienceIndex
    from shelfspace.audiences.refresher import AudienceRefresher
    from shelfspace.backends import Backends
    from shelfspace.catalog.audience_check import AudienceCheck
    from shelfspace.catalog.campaign_state import CampaignFacts
    from shelfspace.catalog.services.creatives import ReviewListener
    from shelfspace.config import Settings
    from shelfspace.core.attribution import Windows
    from shelfspace.core.clock import Clock
    from shelfspace.counters.protocol import Counters
    from shelfspace.decisioning.engine import Engine as DecisionEngine
    from shelfspace.delivery.opportunities import Opportunities
    from shelfspace.delivery.serving import Serving
    from shelfspace.delivery.snapshots import SnapshotHolder
    from shelfspace.demand.serving import Demand
    from shelfspace.events.log import EventLog
    from shelfspace.measurement.study_log import StudyLog
    from shelfspace.reporting.job import RollupJob
    from shelfspace.reporting.runner import RollupRunner
    from shelfspace.tracking.keys import KeyRing
    from shelfspace.tracking.recorder import Recorder
    from shelfspace.tracking.urls import UrlLifetimes


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything the app's routes, pages and middleware share, built once per app."""

    settings: Settings
    clock: Clock
    db_engine: Engine
    db_sessions: sessionmaker[Session]
    schema_head: str | None
    backends: Backends
    counters: Counters
    event_log: EventLog
    snapshots: SnapshotHolder
    ad_engine: DecisionEngine
    audience_index: AudienceIndex
    audience_refresher: AudienceRefresher
    recorder: Recorder
    opportunities: Opportunities
    study_log: StudyLog
    rollups: RollupJob
    rollup_runner: RollupRunner | None  # None in production: the workers roll up
    attribution_windows: Windows
    url_lifetimes: UrlLifetimes
    keys: KeyRing  # loaded when the app starts
    demand: Demand
    metrics_registry: CollectorRegistry
    serving: Serving  # the narrow piece the ad-serving routes use
    # What the catalogue asks of the packages above it (they stand higher, so it cannot import them):
    campaign_facts: CampaignFacts  # campaign states: funds (billing) and last spend (rollups)
    audience_check: AudienceCheck  # line items' audiences (audiences/service.py)
    on_creative_review: ReviewListener  # a review's notice to the brand (notifications/reviews.py)


def install_runtime(app: Starlette, runtime: Runtime) -> None:
    """Keep the runtime as the app's one state attribute."""
    app.state.runtime = runtime


def runtime_of(source: HTTPConnection | Starlette) -> Runtime:
    """The app's runtime, from a request (or websocket) or from the app itself."""
    app: Starlette = source.app if isinstance(source, HTTPConnection) else source
    runtime: Runtime = app.state.runtime
    return runtime


def _runtime_dep(request: HTTPConnection) -> Runtime:
    return runtime_of(request)


Rt = Annotated[Runtime, Depends(_runtime_dep)]
"""A route's runtime: `def route(rt: Rt) -> ...`."""
