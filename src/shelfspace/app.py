"""The ASGI application: settings in, one FastAPI app out, every domain's router mounted."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from shelfspace import __version__
from shelfspace.accounts.access_policy_api import router as access_policy_router
from shelfspace.accounts.api import router as accounts_router
from shelfspace.accounts.metrics_route import install_metrics
from shelfspace.accounts.service import ensure_bootstrap_key
from shelfspace.audiences.api import router as audiences_router
from shelfspace.audiences.membership import AudienceIndex
from shelfspace.audiences.refresher import OVERLAP, AudienceRefresher
from shelfspace.audiences.service import check_targeting
from shelfspace.backends import open_backends
from shelfspace.billing.api import router as billing_router
from shelfspace.catalog.api import router as catalog_router
from shelfspace.config import Settings
from shelfspace.core.clock import Clock, SystemClock
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.supervisor import Supervisor
from shelfspace.dashboard.errors import PAGE_ERRORS
from shelfspace.dashboard.install import install_dashboard
from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import head_revision
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.decisioning.engine import Engine as DecisionEngine
from shelfspace.delivery.api import router as decisions_router
from shelfspace.delivery.catalogue_listener import CatalogueListener
from shelfspace.delivery.openrtb_api import auction as openrtb_auction
from shelfspace.delivery.openrtb_api import router as openrtb_router
from shelfspace.delivery.opportunities import Opportunities
from shelfspace.delivery.publisher_tag import router as publisher_tag_router
from shelfspace.delivery.schemas import DecisionIn
from shelfspace.delivery.serving import Serving
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.delivery.vast_api import router as vast_router
from shelfspace.demand.install import build_demand, install_demand
from shelfspace.demand.serving import ImpressionSigning
from shelfspace.forecasting.api import forecasts_router
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.inventory_api import inventory_forecast_router
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import RequestSampler
from shelfspace.forecasting.sample_key import SampleKeyRing
from shelfspace.http.body_limits import BodyLimits
from shelfspace.http.docs import install_docs
from shelfspace.http.errors import install_error_handlers
from shelfspace.http.fast_lane import FastLane, hot_routes
from shelfspace.http.health import router as health_router
from shelfspace.http.loop_lag import LoopLagMonitor
from shelfspace.http.openapi import install_openapi
from shelfspace.http.raw_body import install_body_schemas
from shelfspace.http.security_headers import HeaderPolicy, SecurityHeaders
from shelfspace.measurement.api import router as measurement_router
from shelfspace.measurement.case_study_api import public as shared_case_study_router
from shelfspace.measurement.case_study_api import router as case_study_router
from shelfspace.measurement.study_log import StudyLog
from shelfspace.measurement.survey_api import router as survey_router
from shelfspace.notifications.api import router as notifications_router
from shelfspace.notifications.reviews import creative_reviewed
from shelfspace.notifications.runner import Notifier
from shelfspace.reporting.api import router as reports_router
from shelfspace.reporting.campaign_facts import LedgerAndRollups
from shelfspace.reporting.job import RollupJob
from shelfspace.reporting.runner import RollupRunner
from shelfspace.runtime import Runtime, install_runtime
from shelfspace.tracking.api import router as tracking_router
from shelfspace.tracking.counting import expected_ctr_of
from shelfspace.tracking.first_party import BehaviourBatch, ConversionBatch
from shelfspace.tracking.first_party_api import router as first_party_router
from shelfspace.tracking.keys import KeyRing
from shelfspace.tracking.recorder import Recorder, duplicates_metric, refused_metric
from shelfspace.tracking.urls import UrlLifetimes

log = structlog.get_logger(__name__)

DESCRIPTION = """
Shelfspace runs a media network: placements on the operator's own channels, advertisers
buying them through campaigns and line items, creatives reviewed by the operator.

Authenticate with `Authorization: Bearer <api key>`. Operator keys see the whole network;
an advertiser key sees only its own advertiser's objects (anything else answers 404).
Money is a decimal number in the network currency with at most 6 decimals; times are
ISO 8601 with an offset. Errors are `{"error": {"code", "message", "fields"}}`.
"""


def create_app(
    settings: Settings, engine: Engine | None = None, clock: Clock | None = None, rng: random.Random | None = None
) -> FastAPI:
    """Build the app. The database must already be migrated (`shelfspace serve` does it).

    `clock` is the system clock and `rng` an unseeded source unless given: the demo replays
    a week of history through the real app on a clock it moves itself, reproducibly.
    """
    engine = engine or make_engine(settings.sqlalchemy_url())
    sessions = make_sessionmaker(engine)
    clock = clock or SystemClock()
    backends = open_backends(settings)
    counters, event_log = backends.counters, backends.event_log
    snapshots = SnapshotHolder(sessions, ZoneInfo(settings.timezone), clock, counters)
    windows = settings.attribution_windows()
    rollups = RollupJob(sessions, event_log, ZoneInfo(settings.timezone), windows, clock.now)
    # Embedded, this process rolls up its own log; in production the workers do.
    rollup_runner = None if backends.shared else RollupRunner(rollups)
    # The sample forecasts replay; users' hashes keyed by the sample's own key (loaded at start).
    sample_keys = SampleKeyRing(sessions)
    sampler = RequestSampler(settings.request_sample_percent, pseudonym=sample_keys.digest)
    request_log = RequestLog(sessions, sampler, ZoneInfo(settings.timezone), clock.now)
    opportunities = Opportunities(sessions, ZoneInfo(settings.timezone), requests=request_log)
    study_log = StudyLog(sessions)
    on_stored = backends.publish if rollup_runner is None else rollup_runner.nudge
    metrics_registry = CollectorRegistry()  # this app's own: tests build many apps in one process
    recorder = Recorder(
        event_log,
        counters,
        budgets=snapshots.campaign,
        on_stored=on_stored,
        duplicates_counter=duplicates_metric(metrics_registry),
        refused_counter=refused_metric(metrics_registry),
        expected_ctr=expected_ctr_of(snapshots.placement_format),
    )
    audience_index = AudienceIndex(settings.audience_min_size)
    forecaster = Forecaster(
        sessions, request_log, counters, audience_index, sample_keys.digest, clock, ZoneInfo(settings.timezone)
    )
    # Only a shared log (PostgreSQL, many writers) commits positions out of order.
    audience_refresher = AudienceRefresher(
        audience_index, sessions, event_log, clock.now, overlap=OVERLAP if backends.shared else 0
    )
    snapshots.chores.append(audience_refresher.refresh)
    listener = None
    if backends.shared:  # Redis may lose its data while we serve: rebuild spend from the log
        snapshots.chores.append(recorder.ensure_restored)
        listener = CatalogueListener(settings.postgres_conninfo(), snapshots.wake)
    campaign_facts = LedgerAndRollups()  # campaign states' funds and last spend, for the catalogue
    # Brands' notices: the sweep and the e-mails.
    notifier = Notifier(sessions, settings, counters, campaign_facts, clock)
    loop_lag = LoopLagMonitor()  # shelfspace_event_loop_lag_seconds: blocking work in async code shows here
    keys = KeyRing(sessions, clock, load=False)  # loaded when the app starts
    url_lifetimes = UrlLifetimes(settings.impression_url_ttl_seconds, settings.click_url_ttl_seconds)
    ad_engine = DecisionEngine(counters, clock, audiences=audience_index, rng=rng)
    serving = Serving(
        ad_engine=ad_engine,
        in_thread_pool=backends.shared,
        opportunities=opportunities,
        note_study=study_log.note,
        keys=keys,
        base_url=settings.base_url(),
        url_lifetimes=url_lifetimes,
        currency=settings.currency,
    )
    # Demand partners: the live list, kept by the snapshot thread, and the auction metrics.
    signing = ImpressionSigning(keys, settings.base_url(), url_lifetimes.impression_seconds)
    demand = build_demand(sessions, snapshots, metrics_registry, settings, clock, signing)

    # Started in this order, stopped in the reverse: the recorder first (it restores spend
    # from the log before the first decision) and last (the others' last writes reach it).
    workers = Supervisor([recorder, snapshots, listener, rollup_runner, notifier, study_log, opportunities, loop_lag])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.bootstrap_key is not None:
            try:
                with session_scope(sessions) as db:
                    if ensure_bootstrap_key(db, settings.bootstrap_key.get_secret_value()):
                        log.info("bootstrap_key_created")
            except IntegrityError:  # processes starting together: another one created it
                log.info("bootstrap_key_created_elsewhere")
        keys.load()
        sample_keys.load()  # before the first decision: no SQL on the event loop after
        workers.start()
        try:
            yield
        finally:  # uvicorn has finished the requests in flight: drain what they queued
            await workers.stop()
            try:
                counters.close()
            except Exception:  # Redis away: the leases lapse with their buckets instead
                log.warning("counters_close_failed", exc_info=True)
            event_log.close()
            await demand.aclose()  # the demand partners' connection pool

    app = FastAPI(
        title="Shelfspace",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JsonBody,
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
    )
    runtime = Runtime(
        settings=settings,
        clock=clock,
        db_engine=engine,
        db_sessions=sessions,
        schema_head=head_revision(engine),
        backends=backends,
        counters=counters,
        event_log=event_log,
        snapshots=snapshots,
        ad_engine=ad_engine,
        audience_index=audience_index,
        audience_refresher=audience_refresher,
        recorder=recorder,
        opportunities=opportunities,
        study_log=study_log,
        rollups=rollups,
        rollup_runner=rollup_runner,
        attribution_windows=windows,
        url_lifetimes=url_lifetimes,
        keys=keys,
        demand=demand,
        metrics_registry=metrics_registry,
        serving=serving,
        campaign_facts=campaign_facts,
        audience_check=check_targeting,
        on_creative_review=creative_reviewed,
    )
    install_runtime(app, runtime)
    install_error_handlers(app, PAGE_ERRORS)  # errors on the dashboard's pages answer as pages
    # Innermost of the middleware, so metrics and sessions still see every request.
    hot = [
        *hot_routes(decisions_router.routes),
        *hot_routes(tracking_router.routes),
        *hot_routes(vast_router.routes),
        *hot_routes(openrtb_router.routes, endpoints=[openrtb_auction]),
    ]
    app.add_middleware(FastLane, routes=hot, handlers=app.exception_handlers)
    app.add_middleware(BodyLimits)  # every body capped while it streams, the hot routes' too
    # Around the fast lane, so the ad-serving routes get nosniff too (and nothing more).
    app.add_middleware(
        SecurityHeaders,
        policy=HeaderPolicy.for_network(settings.public_url),
        hot_prefixes=tuple({h.prefix for h in hot}),
    )
    install_metrics(app, metrics_registry)
    metrics_registry.register(loop_lag.histogram)
    install_docs(app)
    install_body_schemas(app, DecisionIn, ConversionBatch, BehaviourBatch)
    install_openapi(app)  # every operation's errors, in the one error model (after the line above)
    # The decision route first: requests are matched against routes in order, and it
    # takes the traffic of every page view.
    app.include_router(decisions_router)
    app.include_router(tracking_router)
    app.include_router(publisher_tag_router)
    app.include_router(vast_router)
    app.include_router(openrtb_router)
    app.include_router(health_router)
    app.include_router(catalog_router)
    app.include_router(accounts_router)
    app.include_router(access_policy_router)
    app.include_router(first_party_router)
    app.include_router(audiences_router)
    app.include_router(billing_router)
    app.include_router(notifications_router)
    app.include_router(reports_router)
    app.include_router(measurement_router)
    app.include_router(forecasts_router(forecaster))
    app.include_router(inventory_forecast_router(forecaster))
    app.include_router(survey_router)
    app.include_router(case_study_router)
    app.include_router(shared_case_study_router)
    install_demand(app)  # demand partners' routes
    install_dashboard(app, settings, forecaster)
    return app
