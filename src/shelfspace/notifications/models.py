"""The tables of notifications: the notices, each person's choices, and the e-mails to send.

`notices` holds one row per event, whoever is told: a notice belongs to an advertiser (and,
rarely, to one of its people, `user_id`). Its key, `(kind, subject_id, period)`, is unique:
the same event noticed by several processes, or again after a restart, inserts nothing the
second time (notifications/service.py `emit`). `read_at` is the brand's: read by one of its
people, it is read for all of them, as a shared inbox is.

`notice_preferences` holds a person's choices per kind (no row: the kind's defaults,
notifications/kinds.py). `notice_emails` is the outbox: one row per notice and person who
chose e-mail for its kind, written in the notice's transaction, sent later by a background
thread (notifications/outbox.py), retried until it goes or its attempts run out; the notice
in the app never depends on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base
from shelfspace.notifications.kinds import NoticeKind


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "period", name="uq_notices_kind_subject_period"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # time-ordered (core/ids.py)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind]
    subject_type: Mapped[str] = mapped_column(String(32))  # creative, campaign, advertiser
    subject_id: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(80))  # what makes this event another one (a day, a budget)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))  # a path of the brand's pages
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NoticePreference(Base):
    __tablename__ = "notice_preferences"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)


class NoticeEmail(Base):
    __tablename__ = "notice_emails"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_notice_emails_notice_user"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to: Mapped[str] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before: the next try, or the end of a sender's claim on it (a sender that died).
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # given up after MAX_ATTEMPTS
    last_error: Mapped[str | None] = mapped_column(String(500))
