"""Keeps the engine's snapshot current: rebuilt in the background when the catalogue changes.

A thread polls the catalogue version (one indexed read) every `poll_seconds`; when it
moved, it loads and compiles a new snapshot and swaps it in with one assignment, so a
request sees either the old snapshot or the new one, never a mix. The same thread
releases budget reservations whose billable event never came.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.catalog.version import catalogue_version
from shelfspace.core.clock import Clock
from shelfspace.counters.protocol import Counters
from shelfspace.db.session import session_scope
from shelfspace.decisioning.index import Snapshot, compile_snapshot
from shelfspace.decisioning.inventory import LiveCampaign
from shelfspace.delivery.snapshot_loader import load_inventory

log = structlog.get_logger(__name__)

POLL_SECONDS = 0.5
# Campaigns end and products change by the clock too; rebuild at least this often.
MAX_AGE_SECONDS = 60.0
# Expired frequency counts are swept this often (a full pass over the counts).
FREQUENCY_SWEEP_SECONDS = 60.0


class SnapshotHolder:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        timezone: ZoneInfo,
        clock: Clock,
        counters: Counters,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.timezone = timezone
        self.clock = clock
        self.counters = counters
        self.poll_seconds = poll_seconds
        self._snapshot: Snapshot | None = None
        self._swept = 0.0  # when expired frequency counts were last forgotten (clock seconds)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Other checks that must run often and must not stop the refresh when they fail
        # (in production: spend rebuilt from the log if Redis lost it).
        self.chores: list[Callable[[], object]] = []

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise RuntimeError("no snapshot yet: call refresh() or start() first")
        return self._snapshot

    def campaign(self, campaign_id: str) -> LiveCampaign | None:
        """A live campaign's budgets, for charging its events; None before the first snapshot."""
        snapshot = self._snapshot
        return snapshot.campaigns.get(campaign_id) if snapshot is not None else None

    def placement_format(self, placement_id: str) -> str | None:
        """A live placement's format (its expected click rate, for the click rules); None
        before the first snapshot or for a placement gone from it."""
        snapshot = self._snapshot
        index = snapshot.placements.get(placement_id) if snapshot is not None else None
        return index.placement.format if index is not None else None

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def refresh(self, force: bool = False) -> bool:
        """Rebuild if the catalogue changed (or `force`); True when a new snapshot is live."""
        now = self.clock.now()
        with session_scope(self.sessions) as db:
            version = catalogue_version(db)
            current = self._snapshot
            stale = current is None or (now - current.built_at).total_seconds() >= MAX_AGE_SECONDS
            if not force and not stale and current is not None and current.version == version:
                return False
            inventory = load_inventory(db, now)
        self._snapshot = compile_snapshot(inventory, version, now, self.timezone)
        log.info("snapshot_built", version=version, line_items=self._snapshot.line_item_count)
        return True

    def start(self) -> None:
        self.refresh(force=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="snapshot-refresher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the catalogue version now instead of at the next poll (a change was committed)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sweep(self) -> None:
        """Release budget reservations whose billable event never came (in production, first
        renew or give back this process's budget leases), and forget expired frequency
        counts. The refresher thread does it every poll; a replay that moves the
        clock itself stops the thread and calls this at fixed simulated times, because a
        release at a wall-clock moment would change budgets, pacing and so who wins."""
        stamp = self.clock.now().timestamp()
        self.counters.release_expired(stamp)
        if stamp - self._swept >= FREQUENCY_SWEEP_SECONDS:
            self.counters.forget_expired_frequency(stamp)
            self._swept = stamp

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.refresh()
                self.sweep()
            except Exception:  # keep serving the last good snapshot; say why loudly
                log.exception("snapshot_refresh_failed")
            for chore in self.chores:
                try:
                    chore()
                except Exception:
                    log.exception("snapshot_chore_failed", chore=getattr(chore, "__qualname__", repr(chore)))
