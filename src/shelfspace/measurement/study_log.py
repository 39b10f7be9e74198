"""Writes the engine's lift-study marks to `lift_study_users`, in batches.

The decision route hands each decision's marks to `note` (a dict update); the periodic
flush upserts one row per (campaign, user): the earliest eligibility and exposure, and the
exposures added. The upsert is commutative, so the order of flushes, and which process
flushes, change nothing. Like fill rates, a crash may lose the last few seconds of marks:
a user who comes back is marked again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from shelfspace.core.periodic import PeriodicFlush
from shelfspace.db.session import session_scope
from shelfspace.decisioning.holdout import StudyMark
from shelfspace.measurement.models import LiftStudyUser

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 5.0


@dataclass(slots=True)
class _Row:
    group: str
    eligible_at: float
    exposed_at: float | None
    exposures: int


class StudyLog(PeriodicFlush):
    def __init__(self, sessions: sessionmaker[Session], flush_seconds: float = FLUSH_SECONDS) -> None:
        super().__init__("lift-study-log", flush_seconds)
        self._sessions = sessions
        self._rows: dict[tuple[str, str], _Row] = {}
        self._lock = threading.Lock()

    def note(self, marks: Iterable[StudyMark]) -> None:
        with self._lock:
            for mark in marks:
                key = (mark.campaign_id, mark.user_id)
                row = self._rows.get(key)
                if row is None:
                    self._rows[key] = _Row(mark.group.value, mark.time, mark.time if mark.exposed else None,
                                           int(mark.exposed))
                    continue
                row.eligible_at = min(row.eligible_at, mark.time)
                if mark.exposed:
                    row.exposed_at = mark.time if row.exposed_at is None else min(row.exposed_at, mark.time)
                    row.exposures += 1

    def flush(self) -> int:
        with self._lock:
            taken, self._rows = self._rows, {}
        if not taken:
            return 0
        rows = [{"campaign_id": c, "user_id": u, "study_group": r.group, "eligible_at": r.eligible_at,
                 "exposed_at": r.exposed_at, "exposures": r.exposures} for (c, u), r in taken.items()]
        try:
            with session_scope(self._sessions) as db:
                db.execute(_merging_upsert(db.get_bind().dialect.name), rows)
        except Exception:
            log.exception("lift_study_flush_failed", rows=len(rows))
            with self._lock:  # keep them for the next try, merged with what came since
                for (campaign_id, user_id), row in taken.items():
                    self._merge((campaign_id, user_id), row)
            return 0
        return len(rows)

    def _merge(self, key: tuple[str, str], row: _Row) -> None:
        mine = self._rows.get(key)
        if mine is None:
            self._rows[key] = row
            return
        mine.eligible_at = min(mine.eligible_at, row.eligible_at)
        times = [t for t in (mine.exposed_at, row.exposed_at) if t is not None]
        mine.exposed_at = min(times) if times else None
        mine.exposures += row.exposures


def _merging_upsert(dialect: str):  # type: ignore[no-untyped-def]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LiftStudyUser)
    table = LiftStudyUser.__table__.c

    def earlier(old: ColumnElement[float], new: ColumnElement[float]) -> ColumnElement[float]:
        # PostgreSQL's LEAST skips NULLs; SQLite's two-argument min() returns NULL if
        # either is, hence the COALESCE: the earliest known time, or NULL if neither is.
        smallest = func.least(old, new) if dialect == "postgresql" else func.min(old, new)
        return func.coalesce(smallest, old, new)

    return stmt.on_conflict_do_update(
        index_elements=["campaign_id", "user_id"],
        set_={"eligible_at": earlier(table.eligible_at, stmt.excluded.eligible_at),
              "exposed_at": earlier(table.exposed_at, stmt.excluded.exposed_at),
              "exposures": table.exposures + stmt.excluded.exposures},
    )
