"""The catalogue's version: a counter bumped in the same transaction as any catalogue change.

The decision snapshot polls this one row and rebuilds only when it moved, so a change is
live within a poll interval without the decision path ever querying the catalogue; on
PostgreSQL the bump also sends a NOTIFY, which wakes every process at once on commit. The
bump rides in the writer's own transaction: a rolled-back change bumps nothing, and a
committed one is never missed.

The catalogue's own tables are watched from the start; a package above it whose rows the
snapshot also reads (audiences: their rules, erasures) adds its tables with `watch`, where
they are defined, so no write to them can happen before they are watched.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, insert, select, text, update
from sqlalchemy.orm import Session, UOWTransaction

from shelfspace.catalog.models import (
    Advertiser,
    Campaign,
    CatalogueState,
    Creative,
    LineItem,
    Placement,
    Product,
)
from shelfspace.core.clock import utcnow

STATE_ROW = 1
CATALOGUE_CHANNEL = "shelfspace_catalogue"  # PostgreSQL NOTIFY channel: delivered on commit only
# Audiences too (audiences/models.py watches them): every process's segment index reloads
# its rules when the version moves; a forgotten user as well, so every process drops them at once.
_watched: tuple[type, ...] = (Placement, Advertiser, Campaign, LineItem, Creative, Product)
_PENDING = "catalogue_changed"


def watch(*models: type) -> None:
    """Count writes to these tables as catalogue changes too."""
    global _watched
    _watched = (*_watched, *(m for m in models if m not in _watched))


def catalogue_version(db: Session) -> int:
    """The current version; 0 on a database that has never seen a change."""
    return db.scalar(select(CatalogueState.version).where(CatalogueState.id == STATE_ROW)) or 0


def bump_catalogue_version(db: Session) -> None:
    """Count one change. For writers that bypass the ORM's unit of work (bulk inserts)."""
    # On the connection, not through the ORM: this also runs inside a flush, where an
    # ORM statement would try to autoflush again.
    now = utcnow()
    table = cast(Table, CatalogueState.__table__)
    connection = db.connection()
    moved = connection.execute(
        update(table).where(table.c.id == STATE_ROW).values(version=table.c.version + 1, changed_at=now)
    )
    if moved.rowcount == 0:
        connection.execute(insert(table).values(id=STATE_ROW, version=1, changed_at=now))
    if connection.dialect.name == "postgresql":  # every process's snapshot wakes on commit
        connection.execute(text(f"NOTIFY {CATALOGUE_CHANNEL}"))


@event.listens_for(Session, "before_flush")
def _note_catalogue_changes(session: Session, flush: UOWTransaction, instances: Any) -> None:
    if any(isinstance(obj, _watched) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_flush_postexec")
def _bump_after_catalogue_flush(session: Session, flush: UOWTransaction) -> None:
    if session.info.pop(_PENDING, False):
        bump_catalogue_version(session)
