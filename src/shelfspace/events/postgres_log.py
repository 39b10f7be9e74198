"""The event log in PostgreSQL: the record every API process appends to in production.

An append is one `INSERT ... SELECT FROM unnest(...) ON CONFLICT (key) DO NOTHING` and a
commit: with PostgreSQL's default `synchronous_commit=on` the rows are in the write-ahead
log on disk before `append` returns, so an acknowledged event survives any crash. The
unique key makes an event sent twice, to the same process or to two, count once.

Budgets are charged in Redis before the rows are written (see tracking/recorder.py), so
spend and log agree after a Redis restart only if the rebuild cannot interleave with a
charge: every charging batch holds a shared advisory lock and a rebuild the exclusive one.
Each thread has its own connection; a broken one (PostgreSQL restarted) is replaced on
the next call, and the call that found it broken fails with the driver's error.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from shelfspace.db.engine import POSTGRES_CONNECT_ARGS
from shelfspace.events.model import Event, EventType
from shelfspace.events.rows import COLUMNS, from_row, to_row

SPEND_LOCK = 0x5E1F5BACE  # the advisory lock that orders charges against a spend rebuild
CHUNK = 5_000  # keys per lookup

_TYPES = {"time": "float8", "charged_micros": "int8", "price_micros": "int8", "served_at": "int8"}
_NAMES = ", ".join(COLUMNS)
INSERT = (
    f"INSERT INTO event_log ({_NAMES}) SELECT * FROM unnest("
    + ", ".join(f"%s::{_TYPES.get(name, 'text')}[]" for name in COLUMNS)
    + ") ON CONFLICT (key) DO NOTHING RETURNING key"
)
SELECT = f"SELECT seq, {_NAMES} FROM event_log"


class PostgresEventLog:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._local = threading.local()
        self._opened: list[psycopg.Connection[dict[str, Any]]] = []
        self._lock = threading.Lock()

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        connection: psycopg.Connection[dict[str, Any]] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            connection = psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row, **POSTGRES_CONNECT_ARGS)
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    # --- writing -----------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> list[bool]:
        if not events:
            return []
        columns = [list(column) for column in zip(*(to_row(e) for e in events), strict=True)]
        connection = self._connection()
        with connection.transaction():
            new = {row["key"] for row in connection.execute(INSERT, columns)}
        stored = []
        for event in events:  # a key twice in one batch is new once
            stored.append(event.key in new)
            new.discard(event.key)
        return stored

    @contextmanager
    def charging(self) -> Iterator[None]:
        """Held while a batch is charged and appended: a spend rebuild waits for it."""
        connection = self._connection()
        connection.execute("SELECT pg_advisory_lock_shared(%s)", (SPEND_LOCK,))
        try:
            yield
        finally:
            if not connection.broken:
                connection.execute("SELECT pg_advisory_unlock_shared(%s)", (SPEND_LOCK,))

    @contextmanager
    def restoring(self) -> Iterator[None]:
        """Held while spend is rebuilt from the log: no batch is charging meanwhile."""
        connection = self._connection()
        connection.execute("SELECT pg_advisory_lock(%s)", (SPEND_LOCK,))
        try:
            yield
        finally:
            if not connection.broken:
                connection.execute("SELECT pg_advisory_unlock(%s)", (SPEND_LOCK,))

    # --- what the rollup workers have not rolled up ----------------------------------------

    def unrolled(self, older_than_seconds: float, limit: int = 10_000) -> list[str]:
        """Keys appended more than `older_than_seconds` ago and not rolled up yet."""
        rows = self._connection().execute(
            "SELECT key FROM event_log WHERE NOT rolled_up "
            "AND appended_at < now() - make_interval(secs => %s) ORDER BY seq LIMIT %s",
            (older_than_seconds, limit),
        )
        return [row["key"] for row in rows]

    # --- reading -------------------------------------------------------------------------

    def contains(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        found: set[str] = set()
        connection = self._connection()
        for start in range(0, len(wanted), CHUNK):
            rows = connection.execute("SELECT key FROM event_log WHERE key = ANY(%s)", (wanted[start : start + CHUNK],))
            found.update(row["key"] for row in rows)
        return found

    def read(
        self, after: int = 0, limit: int = 10_000, kinds: Collection[EventType] | None = None
    ) -> list[tuple[int, Event]]:
        """In `seq` order. Concurrent writers may commit a lower `seq` after a higher one, so
        a reader that follows positions can miss rows: the workers follow the stream instead."""
        wanted = [str(k) for k in kinds] if kinds is not None else None
        rows = self._connection().execute(
            f"{SELECT} WHERE seq > %s AND (%s::text[] IS NULL OR type = ANY(%s)) ORDER BY seq LIMIT %s",
            (after, wanted, wanted, limit),
        )
        return [(row["seq"], from_row(row)) for row in rows]

    def between(self, start: float, end: float, kind: EventType | None = None) -> list[Event]:
        rows = self._connection().execute(
            f"{SELECT} WHERE time >= %s AND time < %s AND (%s::text IS NULL OR type = %s) ORDER BY time, key",
            (start, end, kind and str(kind), kind and str(kind)),
        )
        return [from_row(row) for row in rows]

    def of_user(self, user_id: str, kind: EventType, start: float, end: float) -> list[Event]:
        rows = self._connection().execute(
            f"{SELECT} WHERE user_id = %s AND type = %s AND time >= %s AND time <= %s ORDER BY time, key",
            (user_id, str(kind), start, end),
        )
        return [from_row(row) for row in rows]

    def get(self, keys: Iterable[str]) -> list[Event]:
        wanted = list(keys)
        found: list[Event] = []
        connection = self._connection()
        for start in range(0, len(wanted), CHUNK):
            rows = connection.execute(f"{SELECT} WHERE key = ANY(%s)", (wanted[start : start + CHUNK],))
            found.extend(from_row(row) for row in rows)
        return found

    def forget(self, user_id: str, kind: EventType) -> int:
        connection = self._connection()
        with connection.transaction():
            cursor = connection.execute("DELETE FROM event_log WHERE user_id = %s AND type = %s", (user_id, str(kind)))
        return cursor.rowcount

    def charged(self) -> list[tuple[str, str, int]]:
        """(campaign id, budget day, micros charged): what rebuilds budgets after Redis lost them."""
        rows = self._connection().execute(
            "SELECT campaign_id, budget_day, SUM(charged_micros)::int8 AS micros FROM event_log "
            "WHERE charged_micros > 0 GROUP BY campaign_id, budget_day"
        )
        return [(row["campaign_id"], row["budget_day"], row["micros"]) for row in rows]

    def charged_by_account(self) -> list[tuple[str, int]]:
        rows = self._connection().execute(
            "SELECT advertiser_id, SUM(charged_micros)::int8 AS micros FROM event_log "
            "WHERE charged_micros > 0 GROUP BY advertiser_id"
        )
        return [(row["advertiser_id"], row["micros"]) for row in rows]

    def ping(self) -> None:
        self._connection().execute("SELECT 1")

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self._local = threading.local()
