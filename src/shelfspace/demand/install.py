"""Demand partners wired into an app: the live list kept current by the snapshot thread,
the auction counters on the app's metrics registry, the routes and the console page, and
`app.state.demand` for the decision route."""

from __future__ import annotations

from fastapi import FastAPI

from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.demand import console
from shelfspace.demand.api import router, tracking
from shelfspace.demand.directory import PartnerDirectory
from shelfspace.demand.serving import Demand
from shelfspace.demand.stats import AuctionStats, bids_metric, notices_metric


def install_demand(app: FastAPI, snapshots: SnapshotHolder) -> Demand:
    """Call after `install_metrics`. The partner list loads at the snapshot thread's first
    poll, and again whenever the catalogue version moves."""
    state = app.state
    directory = PartnerDirectory(state.sessions, snapshots)
    snapshots.chores.append(directory.refresh)
    stats = AuctionStats(since=state.clock.now(), metric=bids_metric(state.metrics_registry),
                         notice_metric=notices_metric(state.metrics_registry))
    demand = Demand(state, directory, stats)
    state.demand = demand
    app.include_router(router)
    app.include_router(tracking)
    app.include_router(console.router)  # /console/demand-partners
    return demand
