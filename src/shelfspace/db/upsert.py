"""INSERT ... ON CONFLICT for the database in use.

SQLAlchemy's core `insert` has no ON CONFLICT clause: each dialect's own `insert` adds
`on_conflict_do_update` / `on_conflict_do_nothing` and `excluded`. The platform runs on
SQLite and PostgreSQL, so every upsert picks the dialect's by the session's (or engine's)
dialect name, here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Upsert = postgresql.Insert | sqlite.Insert


class Dialect(StrEnum):
    """The SQL dialects the platform runs on, by SQLAlchemy's `dialect.name`."""

    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


def dialect_of(where: Session | Engine | Connection | str) -> Dialect:
    """The dialect of a session's bind, an engine or a connection (or a dialect name).
    Anything but PostgreSQL is taken for SQLite, the development and test database."""
    name = where if isinstance(where, str) else (where.get_bind() if isinstance(where, Session) else where).dialect.name
    return Dialect.POSTGRESQL if name == Dialect.POSTGRESQL else Dialect.SQLITE


def insert_for(where: Session | Engine | Connection | str) -> Callable[[Any], Upsert]:
    """The dialect's `insert`, whose statements have `on_conflict_do_update`,
    `on_conflict_do_nothing` and `excluded`: `insert_for(db)(Table).values(...)...`."""
    return postgresql.insert if dialect_of(where) is Dialect.POSTGRESQL else sqlite.insert
