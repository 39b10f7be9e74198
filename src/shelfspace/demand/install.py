"""Demand partners wired into an app: the live list kept current by the snapshot thread,
the auction counters on the app's metrics registry, and the routes; the `Demand` it
returns goes into the app's runtime for the decision route. The console's page is the dashboard's (dashboard/console/
demand_partners.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.config import Settings
from shelfspace.core.clock import Clock
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.demand.api import router, tracking
from shelfspace.demand.directory import PartnerDirectory
from shelfspace.demand.serving import Demand, ImpressionSigning
from shelfspace.demand.stats import AuctionStats, bids_metric, notices_metric


def build_demand(
    sessions: sessionmaker[Session],
    snapshots: SnapshotHolder,
    registry: CollectorRegistry,
    settings: Settings,
    clock: Clock,
    signing: ImpressionSigning,
) -> Demand:
    """The partner list loads at the snapshot thread's first poll, and again whenever the
    catalogue version moves; the auction counters go on the app's metrics registry."""
    directory = PartnerDirectory(sessions, snapshots)
    snapshots.chores.append(directory.refresh)
    stats = AuctionStats(since=clock.now(), metric=bids_metric(registry), notice_metric=notices_metric(registry))
    return Demand(
        directory,
        stats,
        outbound=settings.outbound_policy(),
        currency=settings.currency,
        zone=ZoneInfo(settings.timezone),
        clock=clock,
        signing=signing,
    )


def install_demand(app: FastAPI) -> None:
    """The demand partners' routes."""
    app.include_router(router)
    app.include_router(tracking)
