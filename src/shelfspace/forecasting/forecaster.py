"""The forecasting service: one baseline at a time, shared by every forecast.

Builds the baseline (`baseline.build`: the last `LOOKBACK_DAYS` whole days of sampled
requests replayed through the engine) when first asked, and again when the day turns
(callers wait for that one); when the catalogue has changed and the baseline is older
than `REBUILD_AFTER_CHANGE`, or when it is older than `MAX_AGE`, a new one is built in the
background while the current one goes on answering. One build at a time. Everything
here is blocking work (SQL, the replay): callers are plain `def` routes, in the thread pool.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.roles import Principal
from shelfspace.audiences.membership import AudienceIndex
from shelfspace.catalog.version import catalogue_version
from shelfspace.core.clock import Clock
from shelfspace.counters.protocol import Counters
from shelfspace.db.session import session_scope
from shelfspace.decisioning.ctr import SmoothedCtr
from shelfspace.delivery.snapshot_loader import load_inventory
from shelfspace.forecasting import baseline as baselines
from shelfspace.forecasting.baseline import Baseline
from shelfspace.forecasting.inventory_forecast import InventoryForecast, forecast_inventory, live_spending
from shelfspace.forecasting.proposals import ForecastIn, proposal_of
from shelfspace.forecasting.replay import forecast
from shelfspace.forecasting.replay_types import Forecast, Proposal
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import user_hash

log = structlog.get_logger(__name__)

LOOKBACK_DAYS = 14
REBUILD_AFTER_CHANGE = timedelta(minutes=1)
MAX_AGE = timedelta(minutes=10)
FREEZE_FROM = 20_000  # sampled requests: a baseline this big is kept out of garbage collections


@dataclass(frozen=True, slots=True)
class Answer:
    """A forecast with what it was made from; `forecast` is None without history."""

    proposal: Proposal
    forecast: Forecast | None
    baseline: Baseline


class Forecaster:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        requests: RequestLog,
        counters: Counters,
        audiences: AudienceIndex,
        pseudonym: Callable[[str], str],
        clock: Clock,
        timezone: ZoneInfo,
        lookback_days: int = LOOKBACK_DAYS,
    ) -> None:
        self._sessions = sessions
        self._requests = requests
        self._counters = counters
        self._audiences = audiences
        self._pseudonym = pseudonym
        self._clock = clock
        self._tz = timezone
        self.lookback_days = lookback_days
        self._ctr = SmoothedCtr(counters)  # the current estimates, unbounded: nothing is served from them
        self._baseline: Baseline | None = None
        self._building = threading.Lock()

    def today(self) -> date:
        return self._clock.now().astimezone(self._tz).date()

    def baseline(self, today: date | None = None) -> Baseline:
        """The baseline for `today` (the days before it). A stale one of the same day is
        answered while a fresh one is built in the background (a forecast never waits on a
        catalogue change); one of another day, or none, is built now."""
        now = self._clock.now()
        today = today or now.astimezone(self._tz).date()
        with session_scope(self._sessions) as db:
            version = catalogue_version(db)
        current = self._baseline
        if current is not None and current.end == today - timedelta(days=1):
            age = now - current.built_at
            if age >= MAX_AGE or (current.version != version and age >= REBUILD_AFTER_CHANGE):
                self._rebuild_in_background(today, version)
            return current
        with self._building:
            current = self._baseline  # built by another caller while this one waited
            if current is None or current.end != today - timedelta(days=1):
                current = self._baseline = self._build(today, version, self._clock.now())
            return current

    def _rebuild_in_background(self, today: date, version: int) -> None:
        if not self._building.acquire(blocking=False):
            return  # a build is under way

        def rebuild() -> None:
            try:
                self._baseline = self._build(today, version, self._clock.now())
            except Exception:  # the stale baseline goes on answering; the next forecast tries again
                log.exception("forecast_baseline_failed")
            finally:
                self._building.release()

        threading.Thread(target=rebuild, name="forecast-baseline", daemon=True).start()

    def _build(self, today: date, version: int, now: datetime) -> Baseline:
        start, end = baselines.window(today, self.lookback_days)
        self._requests.flush()
        since = datetime.combine(start, datetime.min.time(), self._tz)
        until = datetime.combine(today, datetime.min.time(), self._tz)
        with session_scope(self._sessions) as db:
            inventory = load_inventory(db, now)
            sampled = self._requests.read(db, since, until)
        segments = baselines.hashed_segments(
            self._audiences.visible_members(), lambda user: user_hash(self._pseudonym, user)
        )
        built = baselines.build(
            inventory,
            sampled,
            version=version,
            built_at=now,
            weight=self._requests.weight,
            tz=self._tz,
            counters=self._counters,
            ctr=self._ctr,
            segments_by_hash=segments,
            start=start,
            end=end,
        )
        if built.requests >= FREEZE_FROM:
            # Millions of long-lived objects: without this, each full collection the
            # forecasts' own allocations set off walks them all (seconds at a 1% sample of a
            # million requests a day). Garbage first, then the rest is left out of collections;
            # a replaced baseline is still freed by reference counting (it holds no cycles).
            gc.collect()
            gc.freeze()
        log.info(
            "forecast_baseline_built",
            requests=built.requests,
            version=version,
            start=str(start),
            seconds=round((self._clock.now() - now).total_seconds(), 3),
        )
        return built

    def forecast(self, by: Principal, spec: ForecastIn, today: date | None = None) -> Answer:
        """Validate the proposed line item as a real one (422 naming the field) and replay it."""
        baseline = self.baseline(today)
        today = today or self.today()
        proposal = proposal_of(
            self._sessions, by, spec, self._counters, today.isoformat(), baseline.inventory.placements
        )
        return Answer(proposal, forecast(baseline, proposal, today, self._ctr.predict), baseline)

    def forecast_proposal(self, proposal: Proposal, today: date | None = None) -> Forecast | None:
        """A proposal already built (a backtest forecasting a live line item)."""
        baseline = self.baseline(today)
        return forecast(baseline, proposal, today or self.today(), self._ctr.predict)

    def inventory(self, days: int, today: date | None = None) -> InventoryForecast:
        """The operator's inventory forecast (`inventory_forecast.py`) for the next `days`
        days, with each campaign's spend and each advertiser's funds as the counters have them."""
        baseline = self.baseline(today)
        today = today or self.today()
        spending = live_spending(self._counters, baseline.inventory, today)
        return forecast_inventory(baseline, today, days, spending, self._ctr.predict)
