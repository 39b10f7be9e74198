"""The notifications' background thread: sends the e-mails that are due every few seconds,
and sweeps the campaigns for news (notifications/sweep.py) every minute.

Started and stopped with the app (app.py's lifespan), like the rollup runner and the
snapshot thread: a thread of its own, so no SQL or SMTP runs on the event loop. Every
process runs one; what they find twice is one notice (the unique key) and one e-mail (the
outbox's claim). On PostgreSQL a sweep takes a transaction-level advisory lock first and
skips its turn when another process holds it, so N processes do not all do the same work.
"""

from __future__ import annotations

import threading
import time
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.catalog.campaign_state import CampaignFacts
from shelfspace.config import Settings
from shelfspace.core.clock import Clock
from shelfspace.core.money_words import MoneyWords, network_locale, page_words
from shelfspace.counters.protocol import Counters
from shelfspace.db.session import session_scope
from shelfspace.mail import Mailer
from shelfspace.notifications.outbox import Outbox
from shelfspace.notifications.sweep import Network, sweep

log = structlog.get_logger(__name__)

SEND_SECONDS = 5.0
SWEEP_SECONDS = 60.0
SWEEP_LOCK = 0x5E1F_0E71  # the PostgreSQL advisory lock one sweep at a time holds


def money_words(settings: Settings) -> MoneyWords:
    """Money as the pages write it (Babel, the network's currency and locale)."""
    return page_words(settings.currency, network_locale(settings.locale, settings.country))


class Notifier:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        counters: Counters,
        facts: CampaignFacts,
        clock: Clock,
        mailer: Mailer | None = None,
        send_seconds: float | None = None,
        sweep_seconds: float | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        tz, money = ZoneInfo(settings.timezone), money_words(settings)
        self.network = Network(counters, facts, tz, settings.currency, money)
        self.outbox = Outbox(sessions, settings, clock.now, mailer)
        self.send_seconds = send_seconds or SEND_SECONDS  # read when made: a test may hold the thread back
        self.sweep_seconds = sweep_seconds or SWEEP_SECONDS
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[str]:
        """One sweep now; the ids of the notices it made."""
        with session_scope(self.sessions) as db:
            if db.get_bind().dialect.name == "postgresql" and not db.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}
            ):
                return []  # another process is sweeping
            return sweep(db, self.network, self.clock.now())

    def deliver(self) -> int:
        return self.outbox.deliver()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        swept_at = time.monotonic()  # the first sweep a minute after start: the app is serving by then
        while not self._stop.wait(self.send_seconds):
            if time.monotonic() - swept_at >= self.sweep_seconds:
                swept_at = time.monotonic()
                try:
                    self.sweep()
                except Exception:  # the next sweep sees the same campaigns: nothing is lost
                    log.exception("notification_sweep_failed")
            try:
                self.deliver()
            except Exception:  # the rows stay due
                log.exception("notification_emails_failed")
