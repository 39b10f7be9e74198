"""The rollup worker (`shelfspace worker`): production's rollups, fed by the event stream.

Each step takes a batch of stream entries (first any a dead worker left pending, then new
ones), reads their events from the log of record, folds them into their days' rollups and commits
(`RollupJob.apply`), and only then acknowledges the entries. A worker killed between the
commit and the acknowledgement leaves the entries pending; another worker claims them
and rolls them again, which writes the same rows: nothing is counted twice, nothing is
skipped. Every `SWEEP_SECONDS` it also publishes events an API process stored but could
not publish, or that the stream lost (a Redis restart): when the stream is empty, an event
stored seconds ago and not rolled up was never heard of, so every stored event is rolled
up in the end. Once a day is over it archives the day's raw events as Parquet
(events/archive.py), and again if a late event of that day comes.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from shelfspace.core.days import day_of
from shelfspace.events.archive import archive_day, archive_path
from shelfspace.events.model import Event
from shelfspace.events.postgres_log import PostgresEventLog
from shelfspace.events.stream import Delivery, EventStream
from shelfspace.reporting.job import RollupJob

log = structlog.get_logger(__name__)

BATCH_ENTRIES = 200  # stream entries per step (each holds one API batch's keys)
BLOCK_MS = 1_000  # how long a step waits for new entries
GATHER_SECONDS = 0.5
MAX_ENTRIES = 5_000
SWEEP_SECONDS = 10.0
UNPUBLISHED_AFTER_SECONDS = 5.0  # an API process publishes within milliseconds, or never
ARCHIVE_DAYS_BACK = 7  # a worker started after a pause archives the days it missed
RETRY_SECONDS = 1.0  # after a failed step (PostgreSQL or Redis away): try again, nothing acknowledged


def consumer_name() -> str:
    """Unique per process, readable in XINFO: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class RollupWorker:
    def __init__(
        self,
        job: RollupJob,
        event_log: PostgresEventLog,
        stream: EventStream,
        archive: Path | None = None,
        name: str | None = None,
    ) -> None:
        self.job = job
        self.event_log = event_log
        self.stream = stream
        self.archive = archive  # Parquet files by day; None: no archive
        self.name = name or consumer_name()
        self.stopping = threading.Event()
        self.rolled_events = 0
        self._swept_at = 0.0

    def step(self, block_ms: int = BLOCK_MS) -> int:
        """One batch: claimed stale entries first, else new ones. Returns events rolled up.

        A run folds each day's last seconds of events again (reporting/job.py), so after the
        first entries it gathers what else is waiting (up to `GATHER_SECONDS`,
        `MAX_ENTRIES`): under load one run takes many API batches instead of one each."""
        delivery = self.stream.claim_stale(self.name, MAX_ENTRIES)
        if not delivery.ids:
            delivery = self.stream.take(self.name, BATCH_ENTRIES, block_ms)
            gather_until = time.monotonic() + GATHER_SECONDS
            while delivery.ids and len(delivery.ids) < MAX_ENTRIES and time.monotonic() < gather_until:
                more = self.stream.take(self.name, BATCH_ENTRIES, None)
                if not more.ids:
                    break
                delivery = Delivery(delivery.ids + more.ids, delivery.keys + more.keys)
        if not delivery.ids:
            return 0
        return self._roll(delivery)

    def _roll(self, delivery: Delivery) -> int:
        events = self.event_log.get(set(delivery.keys))
        self.job.apply(events, mark_rolled_up=True)  # committed in PostgreSQL before the acknowledgement
        try:
            self._archive_late(events)
        except OSError:  # the archive is for audits: a full disk must not stop the rollups
            log.exception("archive_failed")
        self.stream.acknowledge(delivery)
        self.rolled_events += len(events)
        return len(events)

    def _archive_late(self, events: list[Event]) -> None:
        """An event of a day already archived (a late conversion, say): archive that day again."""
        if self.archive is None:
            return
        today = day_of(time.time(), self.job.tz)
        for day in sorted({day_of(e.time, self.job.tz) for e in events} - {today}):
            if archive_path(self.archive, day).exists():
                archive_day(self.event_log, day, self.job.tz, self.archive)

    def archive_closed_days(self) -> None:
        """Yesterday's file, once the day is over (and every day before it back to `ARCHIVE_DAYS_BACK`)."""
        if self.archive is None:
            return
        yesterday = datetime.now(self.job.tz).date() - timedelta(days=1)
        for back in range(ARCHIVE_DAYS_BACK):
            day = (yesterday - timedelta(days=back)).isoformat()
            if not archive_path(self.archive, day).exists():
                path, count = archive_day(self.event_log, day, self.job.tz, self.archive)
                log.info("events_archived", day=day, events=count, path=str(path))

    def sweep(self) -> int:
        """Publish again what the stream never carried or lost; returns how many events."""
        if self.stream.backlog():  # entries in flight: what they carry is not lost
            return 0
        keys = self.event_log.unrolled(UNPUBLISHED_AFTER_SECONDS)
        if keys:
            self.stream.publish(keys)
            log.info("unrolled_events_published_again", events=len(keys))
        return len(keys)

    def _join_group(self) -> bool:
        """Make sure the group exists, trying again while Redis is away (a worker that starts
        during a Redis restart waits for it rather than dying); False if stopped first."""
        while not self.stopping.is_set():
            try:
                self.stream.ensure_group()
                return True
            except Exception:  # Redis away: the same wait as a failed step
                log.exception("rollup_group_unavailable")
                self.stopping.wait(RETRY_SECONDS)
        return False

    def run(self) -> None:
        """Until `stopping` is set (SIGTERM, Ctrl-C): the step in progress finishes first."""
        if not self._join_group():
            return
        log.info("rollup_worker_started", consumer=self.name)
        while not self.stopping.is_set():
            try:
                if time.monotonic() - self._swept_at >= SWEEP_SECONDS:
                    self._swept_at = time.monotonic()
                    self.sweep()
                    self.archive_closed_days()
                self.step()
            except Exception:  # PostgreSQL or Redis away: nothing acknowledged, try again
                log.exception("rollup_step_failed")
                self.stopping.wait(RETRY_SECONDS)
        log.info("rollup_worker_stopped", consumer=self.name, events=self.rolled_events)
