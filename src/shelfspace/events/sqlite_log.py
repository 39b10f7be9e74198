"""The embedded event log: a SQLite file of its own under the data directory.

Write-ahead logging with `synchronous=FULL` means a committed batch is on disk before
`append` returns: a `kill -9` loses nothing acknowledged. The key column is unique, so
appending an event again stores nothing and says so; that is how a replayed or repeated
event counts once. One writer connection (the recorder's thread); readers get their own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from shelfspace.events.model import Event, EventType
from shelfspace.events.rows import COLUMNS, from_row, to_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time REAL NOT NULL,
    user_id TEXT,
    invalid TEXT,
    charged_micros INTEGER NOT NULL DEFAULT 0,
    ad_id TEXT,
    placement_id TEXT,
    advertiser_id TEXT,
    campaign_id TEXT,
    line_item_id TEXT,
    creative_id TEXT,
    sku TEXT,
    pricing TEXT,
    price_micros INTEGER,
    served_at INTEGER,
    budget_day TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, type, time);
"""
INSERT = f"INSERT OR IGNORE INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
CHUNK = 500  # keys per IN (...) lookup


class SqliteEventLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._connection() as connection:
            connection.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # Autocommit mode: each append opens and commits its own transaction.
            # One connection per thread; `close` may close them all from any thread.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA busy_timeout=10000")
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def append(self, events: Sequence[Event]) -> list[bool]:
        connection = self._connection()
        stored: list[bool] = []
        connection.execute("BEGIN IMMEDIATE")
        try:
            for event in events:
                stored.append(connection.execute(INSERT, to_row(event)).rowcount == 1)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return stored

    def contains(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        found: set[str] = set()
        connection = self._connection()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(r[0] for r in connection.execute(f"SELECT key FROM events WHERE key IN ({marks})", chunk))
        return found

    def read(
        self, after: int = 0, limit: int = 10_000, kinds: Collection[EventType] | None = None
    ) -> list[tuple[int, Event]]:
        if kinds is None:
            rows = self._connection().execute("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        else:
            wanted = [str(k) for k in kinds]
            marks = ", ".join("?" * len(wanted))
            rows = self._connection().execute(
                f"SELECT * FROM events WHERE seq > ? AND type IN ({marks}) ORDER BY seq LIMIT ?",
                (after, *wanted, limit),
            )
        return [(row["seq"], from_row(row)) for row in rows]

    def between(self, start: float, end: float, kind: EventType | None = None) -> list[Event]:
        """Events (of one kind, if given) whose time is in [start, end), in time order (then by key)."""
        rows = self._connection().execute(
            "SELECT * FROM events WHERE time >= ? AND time < ? AND (? IS NULL OR type = ?) ORDER BY time, key",
            (start, end, kind and str(kind), kind and str(kind)),
        )
        return [from_row(row) for row in rows]

    def of_user(self, user_id: str, kind: EventType, start: float, end: float) -> list[Event]:
        """A user's events of one kind with time in [start, end], in time order."""
        rows = self._connection().execute(
            "SELECT * FROM events WHERE user_id = ? AND type = ? AND time >= ? AND time <= ? ORDER BY time, key",
            (user_id, str(kind), start, end),
        )
        return [from_row(row) for row in rows]

    def get(self, keys: Iterable[str]) -> list[Event]:
        wanted = list(keys)
        found: list[Event] = []
        connection = self._connection()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.extend(from_row(r) for r in connection.execute(f"SELECT * FROM events WHERE key IN ({marks})", chunk))
        return found

    def forget(self, user_id: str, kind: EventType) -> int:
        cursor = self._connection().execute("DELETE FROM events WHERE user_id = ? AND type = ?", (user_id, str(kind)))
        return cursor.rowcount

    def charged(self) -> list[tuple[str, str, int]]:
        """(campaign id, budget day, micros charged): what restores budgets after a restart."""
        rows = self._connection().execute(
            "SELECT campaign_id, budget_day, SUM(charged_micros) FROM events "
            "WHERE charged_micros > 0 GROUP BY campaign_id, budget_day"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def charged_by_account(self) -> list[tuple[str, int]]:
        rows = self._connection().execute(
            "SELECT advertiser_id, SUM(charged_micros) FROM events WHERE charged_micros > 0 GROUP BY advertiser_id"
        )
        return [(r[0], r[1]) for r in rows]

    def charging(self) -> AbstractContextManager[None]:
        return nullcontext()  # one process owns this log: nothing to order against

    def restoring(self) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self._local = threading.local()
