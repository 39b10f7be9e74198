"""Build the engine for the configured database.

SQLite is tuned for a server: WAL so readers never wait for the writer, foreign keys on
(SQLite leaves them off), a busy timeout instead of instant "database is locked", and
`synchronous=FULL` so a committed change survives a power cut.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=FULL",
)


# libpq settings for every PostgreSQL connection. Keepalives find a peer lost to a network
# fault in about 25 s instead of the kernel's two hours; the server ends a transaction left
# idle by a client it can no longer hear, so no lock (the rollup lock, the spend lock) is
# held for ever by a process that is gone.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "options": "-c idle_in_transaction_session_timeout=60000",
}


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=POSTGRES_CONNECT_ARGS)
