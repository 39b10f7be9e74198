"""How many ad slots were asked for and filled, per placement and local hour.

The decision route counts in memory (a dict update on the event loop); a background
thread (`core/periodic.py`) adds the counts to `placement_requests_hourly` every few
seconds and at shutdown. A crash loses at most the last few seconds of counts: this feeds
fill rates, not money, so it is not worth a durable write per page view.

What was asked for is also what forecasts replay: the request log (forecasting/
request_log.py), given, is offered every request counted here and flushed with the counts.
It is handed in as a `RequestSink`: forecasting stands above delivery (it replays the
snapshot delivery loads), so delivery names only what it calls.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.core.periodic import PeriodicFlush
from shelfspace.db.session import session_scope
from shelfspace.db.upsert import Upsert, insert_for
from shelfspace.decisioning.request import DecisionRequest
from shelfspace.delivery.models import PlacementRequests

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 5.0

Key = tuple[str, int, str]  # local day, local hour, placement id


class RequestSink(Protocol):
    """Where asked-for requests go besides the counts: the forecaster's request log."""

    def offer(self, request: DecisionRequest, at: datetime) -> None: ...

    def flush(self) -> int: ...


class Opportunities(PeriodicFlush):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tz: ZoneInfo,
        flush_seconds: float = FLUSH_SECONDS,
        requests: RequestSink | None = None,
    ) -> None:
        super().__init__("opportunities", flush_seconds)
        self.requests = requests  # the sampled request log, for the forecaster
        self._sessions = sessions
        self._tz = tz
        self._counts: defaultdict[Key, list[int]] = defaultdict(lambda: [0, 0])
        self._lock = threading.Lock()
        self._hour_start = 0.0
        self._hour_key: tuple[str, int] = ("", 0)

    def asked(self, request: DecisionRequest, now: datetime, slots: list[tuple[str, int, int]]) -> None:
        """One decision: count its slots (`count`) and offer the request to the request log."""
        self.count(now, slots)
        if self.requests is not None:
            self.requests.offer(request, now)

    def count(self, now: datetime, slots: list[tuple[str, int, int]]) -> None:
        """`slots`: (placement id, slots asked for, ads served) for one decision."""
        stamp = now.timestamp()
        if not self._hour_start <= stamp < self._hour_start + 3600:
            local = now.astimezone(self._tz).replace(minute=0, second=0, microsecond=0)
            self._hour_start, self._hour_key = local.timestamp(), (local.date().isoformat(), local.hour)
        day, hour = self._hour_key
        with self._lock:
            for placement_id, asked, served in slots:
                counts = self._counts[(day, hour, placement_id)]
                counts[0] += asked
                counts[1] += served

    def write_batch(self) -> int:
        """Add what was counted to the table, and write the request log's batch; returns
        the rows written."""
        written = self.requests.flush() if self.requests is not None else 0
        return written + self._write_counts()

    def _write_counts(self) -> int:
        with self._lock:
            taken, self._counts = self._counts, defaultdict(lambda: [0, 0])
        if not taken:
            return 0
        rows = [
            {"day": d, "hour": h, "placement_id": p, "requests": r, "filled": f} for (d, h, p), (r, f) in taken.items()
        ]
        try:
            with session_scope(self._sessions) as db:
                db.execute(_adding_upsert(db), rows)
        except Exception:
            log.exception("placement_requests_flush_failed", rows=len(rows))
            with self._lock:  # keep them for the next try
                for key, (asked, served) in taken.items():
                    counts = self._counts[key]
                    counts[0] += asked
                    counts[1] += served
            return 0
        return len(rows)


def _adding_upsert(db: Session) -> Upsert:
    """INSERT ... ON CONFLICT DO UPDATE adding the new counts: safe with several writers."""
    stmt = insert_for(db)(PlacementRequests)
    table = PlacementRequests.__table__
    return stmt.on_conflict_do_update(
        index_elements=["day", "hour", "placement_id"],
        set_={"requests": table.c.requests + stmt.excluded.requests, "filled": table.c.filled + stmt.excluded.filled},
    )
