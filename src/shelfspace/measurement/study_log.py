"""Writes the engine's lift-study marks to `lift_study_users`, in batches.

The decision route hands each decision's marks to `note` (a dict update); the periodic
flush upserts one row per (campaign, user): the earliest eligibility and exposure, and the
exposures added. The upsert is commutative, so the order of flushes, and which process
flushes, change nothing. Like fill rates, a crash may lose the last few seconds of marks:
a user who comes back is marked again.

Marks not yet written stay readable (`unwritten_exposures`) until their write commits, so a
survey asked a second after an exposure in this process finds it, whenever the flush runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from sqlalchemy import func
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from shelfspace.core.periodic import PeriodicFlush
from shelfspace.db.session import session_scope
from shelfspace.db.upsert import Dialect, Upsert, dialect_of, insert_for
from shelfspace.decisioning.holdout import StudyGroup, StudyMark
from shelfspace.measurement.models import LiftStudyUser

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 5.0


@dataclass(slots=True)
class _Row:
    group: str
    eligible_at: float
    exposed_at: float | None
    exposures: int

    def merge(self, other: _Row) -> None:
        self.eligible_at = min(self.eligible_at, other.eligible_at)
        times = [t for t in (self.exposed_at, other.exposed_at) if t is not None]
        self.exposed_at = min(times) if times else None
        self.exposures += other.exposures


Pending = dict[str, dict[str, _Row]]  # user id -> campaign id -> row


class StudyLog(PeriodicFlush):
    def __init__(self, sessions: sessionmaker[Session], flush_seconds: float = FLUSH_SECONDS) -> None:
        super().__init__("lift-study-log", flush_seconds)
        self._sessions = sessions
        self._pending: Pending = {}
        self._writing: Pending = {}  # taken by the flush under way, not yet committed
        self._lock = threading.Lock()

    def note(self, marks: Iterable[StudyMark]) -> None:
        with self._lock:
            for mark in marks:
                _add(
                    self._pending,
                    mark.user_id,
                    mark.campaign_id,
                    _Row(mark.group.value, mark.time, mark.time if mark.exposed else None, int(mark.exposed)),
                )

    def unwritten_exposures(self, user_id: str) -> dict[str, StudyGroup]:
        """Campaigns that exposed this user (or would have, in control) in marks not yet in
        the table."""
        with self._lock:
            return {
                campaign: StudyGroup(row.group)
                for pending in (self._writing, self._pending)
                for campaign, row in pending.get(user_id, {}).items()
                if row.exposed_at is not None
            }

    def write_batch(self) -> int:
        with self._lock:
            taken, self._pending = self._pending, {}
            self._writing = taken
        rows = [
            {
                "campaign_id": c,
                "user_id": u,
                "study_group": r.group,
                "eligible_at": r.eligible_at,
                "exposed_at": r.exposed_at,
                "exposures": r.exposures,
            }
            for u, campaigns in taken.items()
            for c, r in campaigns.items()
        ]
        try:
            if rows:
                with session_scope(self._sessions) as db:
                    db.execute(_merging_upsert(dialect_of(db)), rows)
        except Exception:
            log.exception("lift_study_flush_failed", rows=len(rows))
            with self._lock:  # keep them for the next try, merged with what came since
                for user_id, campaigns in taken.items():
                    for campaign_id, row in campaigns.items():
                        _add(self._pending, user_id, campaign_id, row)
            return 0
        finally:
            with self._lock:
                self._writing = {}
        return len(rows)


def _add(pending: Pending, user_id: str, campaign_id: str, row: _Row) -> None:
    mine = pending.setdefault(user_id, {}).get(campaign_id)
    if mine is None:
        pending[user_id][campaign_id] = row
    else:
        mine.merge(row)


def _merging_upsert(dialect: Dialect) -> Upsert:
    stmt = insert_for(dialect)(LiftStudyUser)
    table = LiftStudyUser.__table__.c

    def earlier(old: ColumnElement[float], new: ColumnElement[float]) -> ColumnElement[float]:
        # PostgreSQL's LEAST skips NULLs; SQLite's two-argument min() returns NULL if
        # either is, hence the COALESCE: the earliest known time, or NULL if neither is.
        smallest = func.least(old, new) if dialect is Dialect.POSTGRESQL else func.min(old, new)
        return func.coalesce(smallest, old, new)

    return stmt.on_conflict_do_update(
        index_elements=["campaign_id", "user_id"],
        set_={
            "eligible_at": earlier(table.eligible_at, stmt.excluded.eligible_at),
            "exposed_at": earlier(table.exposed_at, stmt.excluded.exposed_at),
            "exposures": table.exposures + stmt.excluded.exposures,
        },
    )
