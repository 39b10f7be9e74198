"""Production: a catalogue change wakes every process's snapshot refresher at once.

The writer's transaction sends `NOTIFY shelfspace_catalogue` with its version bump
(catalog/version.py); PostgreSQL delivers it to every listening connection when, and
only if, the transaction commits. Each API process keeps one connection listening and
wakes its `SnapshotHolder` on each notice. The holder still polls the version every
0.5 s: a notice lost with a dropped connection delays a change by that much, no more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import structlog

from shelfspace.catalog.version import CATALOGUE_CHANNEL
from shelfspace.db.engine import POSTGRES_CONNECT_ARGS

log = structlog.get_logger(__name__)

RECONNECT_SECONDS = 1.0
CHECK_STOP_SECONDS = 1.0  # how often the listening loop looks whether it should stop


class CatalogueListener:
    def __init__(self, conninfo: str, wake: Callable[[], None]) -> None:
        self.conninfo = conninfo
        self.wake = wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="catalogue-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, **POSTGRES_CONNECT_ARGS) as connection:
                    connection.execute(f"LISTEN {CATALOGUE_CHANNEL}")
                    self.wake()  # changes made while no connection listened
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=CHECK_STOP_SECONDS):
                            self.wake()
            except psycopg.Error as error:  # PostgreSQL away: the poll still runs; try again soon
                log.warning("catalogue_listener_reconnecting", error=str(error).strip()[:200])
                self._stop.wait(RECONNECT_SECONDS)
