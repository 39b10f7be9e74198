"""How many ad slots were asked for and filled, per placement and local hour.

The decision route counts in memory (a dict update on the event loop); a background
thread (`core/periodic.py`) adds the counts to `placement_requests_hourly` every few
seconds and at shutdown. A crash loses at most the last few seconds of counts: this feeds
fill rates, not money, so it is not worth a durable write per page view.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.core.periodic import PeriodicFlush
from shelfspace.db.session import session_scope
from shelfspace.reporting.models import PlacementRequests

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 5.0

Key = tuple[str, int, str]  # local day, local hour, placement id


class Opportunities(PeriodicFlush):
    def __init__(self, sessions: sessionmaker[Session], tz: ZoneInfo, flush_seconds: float = FLUSH_SECONDS) -> None:
        super().__init__("opportunities", flush_seconds)
        self._sessions = sessions
        self._tz = tz
        self._counts: defaultdict[Key, list[int]] = defaultdict(lambda: [0, 0])
        self._lock = threading.Lock()
        self._hour_start = 0.0
        self._hour_key: tuple[str, int] = ("", 0)

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
        """Add what was counted to the table; returns the rows written."""
        with self._lock:
            taken, self._counts = self._counts, defaultdict(lambda: [0, 0])
        if not taken:
            return 0
        rows = [{"day": d, "hour": h, "placement_id": p, "requests": r, "filled": f} for (d, h, p), (r, f) in taken.items()]
        try:
            with session_scope(self._sessions) as db:
                db.execute(_adding_upsert(db.get_bind()), rows)
        except Exception:
            log.exception("placement_requests_flush_failed", rows=len(rows))
            with self._lock:  # keep them for the next try
                for key, (asked, served) in taken.items():
                    counts = self._counts[key]
                    counts[0] += asked
                    counts[1] += served
            return 0
        return len(rows)


def _adding_upsert(bind: Engine | object):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO UPDATE adding the new counts: safe with several writers."""
    dialect = getattr(getattr(bind, "dialect", None), "name", "sqlite")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(PlacementRequests)
    table = PlacementRequests.__table__
    return stmt.on_conflict_do_update(
        index_elements=["day", "hour", "placement_id"],
        set_={"requests": table.c.requests + stmt.excluded.requests, "filled": table.c.filled + stmt.excluded.filled},
    )
