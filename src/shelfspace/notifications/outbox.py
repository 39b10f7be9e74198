"""Sending the notices' e-mails: from a background thread, never from a request.

`emit` (notifications/service.py) writes one `notice_emails` row per person who chose
e-mail, in the notice's transaction. `Outbox.deliver` takes the rows that are due, claims
each one (moving its `next_attempt_at` past the time a send may take, in a committed
UPDATE that only one process can win: two processes never send the same row at once),
sends it through mail.py outside any transaction, then marks it sent. A failed send is
tried again later, each wait twice the one before (`RETRY_FIRST` up to `RETRY_MOST`), and
given up after `MAX_ATTEMPTS`, logged; the notice in the app is never touched by any of it.
A process that dies between the send and the mark leaves the claim to lapse and the
e-mail is sent again: at least once, never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.config import Settings
from shelfspace.db.session import session_scope
from shelfspace.mail import Mail, Mailer
from shelfspace.notifications.models import Notice, NoticeEmail

log = structlog.get_logger(__name__)

BATCH = 50  # e-mails per run
CLAIM = timedelta(minutes=5)  # longer than a send may take (mail.py's timeout is 15 s)
RETRY_FIRST = timedelta(minutes=1)
RETRY_MOST = timedelta(hours=6)
MAX_ATTEMPTS = 10  # about 1 + 2 + ... + 256 minutes, then 6 hours: two days of trying


def retry_after(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure."""
    wait: timedelta = RETRY_FIRST * 2 ** max(0, attempts - 1)
    return min(RETRY_MOST, wait)


def mail_of(notice: Notice, to: str, settings: Settings) -> Mail:
    base = settings.base_url()
    body = (
        f"{notice.message}\n\n{base}{notice.link}\n\n"
        f"You get this e-mail because you chose e-mail for “{notice.title}” notices. "
        f"Choose which notices you get: {base}/brand/settings/notifications\n"
    )
    return Mail(to=to, subject=f"{notice.title} · {settings.network_name}", body=body)


class Outbox:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        now: Callable[[], datetime],
        mailer: Mailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.now = now
        self.mailer = mailer or Mailer(settings)

    def deliver(self) -> int:
        """Send what is due; returns how many went. Never raises for a failed send."""
        now = self.now()
        with session_scope(self.sessions) as db:
            due = list(
                db.scalars(
                    select(NoticeEmail.id)
                    .where(
                        NoticeEmail.sent_at.is_(None),
                        NoticeEmail.failed_at.is_(None),
                        NoticeEmail.next_attempt_at <= now,
                    )
                    .order_by(NoticeEmail.next_attempt_at, NoticeEmail.id)
                    .limit(BATCH)
                )
            )
        sent = 0
        for email_id in due:
            sent += self._send_one(email_id, now)
        return sent

    def _claim(self, email_id: int, now: datetime) -> tuple[Mail, int] | None:
        with session_scope(self.sessions) as db:
            won = db.execute(
                update(NoticeEmail)
                .where(
                    NoticeEmail.id == email_id,
                    NoticeEmail.sent_at.is_(None),
                    NoticeEmail.failed_at.is_(None),
                    NoticeEmail.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + CLAIM)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return None  # another process has it, or sent it
            row = db.get(NoticeEmail, email_id)
            notice = db.get(Notice, row.notice_id) if row is not None else None
            if row is None or notice is None:
                return None
            return mail_of(notice, row.to, self.settings), row.attempts

    def _send_one(self, email_id: int, now: datetime) -> int:
        claimed = self._claim(email_id, now)
        if claimed is None:
            return 0
        mail, attempts = claimed
        try:
            self.mailer.send(mail)
        except Exception as exc:  # MailNotSent (the server away or refusing), or anything else: tried again
            attempts += 1
            gave_up = attempts >= MAX_ATTEMPTS
            with session_scope(self.sessions) as db:
                db.execute(
                    update(NoticeEmail)
                    .where(NoticeEmail.id == email_id)
                    .values(
                        attempts=attempts,
                        last_error=str(exc)[:500],
                        next_attempt_at=now + retry_after(attempts),
                        failed_at=now if gave_up else None,
                    )
                )
            log.warning("notice_email_failed", email_id=email_id, attempts=attempts, gave_up=gave_up)
            return 0
        with session_scope(self.sessions) as db:
            db.execute(
                update(NoticeEmail)
                .where(NoticeEmail.id == email_id)
                .values(sent_at=self.now(), attempts=attempts + 1, last_error=None)
            )
        return 1
