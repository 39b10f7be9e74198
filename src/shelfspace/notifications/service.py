"""Notices: made once per event, read by the brand's people as each of them chose.

`emit` inserts a notice unless its key `(kind, subject_id, period)` is taken (INSERT ... ON
CONFLICT DO NOTHING: the unique constraint decides, so two processes noticing the same
event, or one noticing it again after a restart, make one notice), and in the same
transaction the e-mails of the people who chose e-mail for its kind (the outbox, sent
later: notifications/outbox.py). It runs in the caller's transaction: a creative's review
and its notice commit together or not at all.

The in-app choice is applied when reading: a person who turned a kind off in the app does
not see its notices in the list nor in the count beside the bell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Principal, Role
from shelfspace.core.errors import NotFound
from shelfspace.core.ids import new_id
from shelfspace.db.upsert import insert_for
from shelfspace.notifications.kinds import KINDS, NoticeKind
from shelfspace.notifications.models import Notice, NoticeEmail, NoticePreference

MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class NewNotice:
    """An event worth telling a brand. `period` tells one occurrence from the next of the
    same kind on the same object (a day, a budget amount, a review time)."""

    advertiser_id: str
    kind: NoticeKind
    subject_type: str
    subject_id: str
    period: str
    title: str
    message: str
    link: str
    user_id: str | None = None  # one person of the brand; None: all of them


@dataclass(frozen=True, slots=True)
class Choice:
    """A person's choice for one kind."""

    kind: NoticeKind
    in_app: bool
    email: bool


def emit(db: Session, notice: NewNotice, now: datetime) -> str | None:
    """The notice's id if this call made it; None if it was made before (the same event)."""
    notice_id = new_id("ntc")
    values = {
        "id": notice_id,
        "advertiser_id": notice.advertiser_id,
        "user_id": notice.user_id,
        "kind": notice.kind,
        "subject_type": notice.subject_type,
        "subject_id": notice.subject_id,
        "period": notice.period[:80],
        "title": notice.title[:200],
        "message": notice.message[:MAX_MESSAGE],
        "link": notice.link[:500],
        "created_at": now,
        "read_at": None,
    }
    made = db.scalar(
        insert_for(db)(Notice)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "subject_id", "period"])
        .returning(Notice.id)
    )
    if made is None:
        return None
    for user_id, address in email_recipients(db, notice.advertiser_id, notice.kind, notice.user_id):
        db.add(NoticeEmail(notice_id=notice_id, user_id=user_id, to=address, attempts=0, next_attempt_at=now))
    db.flush()
    return notice_id


def email_recipients(
    db: Session, advertiser_id: str, kind: NoticeKind, user_id: str | None = None
) -> list[tuple[str, str]]:
    """(user id, address) of the brand's active people with a confirmed address who chose
    e-mail for `kind` (or left it at its default)."""
    stmt = (
        select(User.id, User.email, NoticePreference.email)
        .outerjoin(NoticePreference, (NoticePreference.user_id == User.id) & (NoticePreference.kind == kind))
        .where(
            User.advertiser_id == advertiser_id,
            User.role == Role.ADVERTISER,
            User.disabled_at.is_(None),
            User.email_verified_at.is_not(None),
        )
    )
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    default = KINDS[kind].email
    return [
        (uid, address)
        for uid, address, chosen in db.execute(stmt.order_by(User.id))
        if (default if chosen is None else chosen)
    ]


# --- each person's choices -----------------------------------------------------------------


def choices(db: Session, user_id: str) -> list[Choice]:
    """Every kind, in the order of `NoticeKind`, with the person's choice or the default."""
    stored = {p.kind: p for p in db.scalars(select(NoticePreference).where(NoticePreference.user_id == user_id))}
    found = []
    for kind, info in KINDS.items():
        row = stored.get(kind)
        found.append(Choice(kind, row.in_app, row.email) if row else Choice(kind, info.in_app, info.email))
    return found


def choose(db: Session, user_id: str, chosen: Iterable[Choice]) -> None:
    """Store the person's choices (every kind given replaces what was stored for it)."""
    stored = {p.kind: p for p in db.scalars(select(NoticePreference).where(NoticePreference.user_id == user_id))}
    for choice in chosen:
        row = stored.get(choice.kind)
        if row is None:
            db.add(NoticePreference(user_id=user_id, kind=choice.kind, in_app=choice.in_app, email=choice.email))
        else:
            row.in_app, row.email = choice.in_app, choice.email
    db.flush()


def hidden_kinds(db: Session, user_id: str) -> list[NoticeKind]:
    """The kinds the person turned off in the app."""
    return [c.kind for c in choices(db, user_id) if not c.in_app]


# --- reading -------------------------------------------------------------------------------


def for_person(advertiser_id: str, user_id: str, hidden: Sequence[NoticeKind]) -> Select[Notice]:
    """The notices a brand's person sees: the brand's, to all or to them, of the kinds they keep."""
    stmt = select(Notice).where(
        Notice.advertiser_id == advertiser_id, or_(Notice.user_id.is_(None), Notice.user_id == user_id)
    )
    return stmt.where(Notice.kind.not_in(hidden)) if hidden else stmt


def unread_count(db: Session, advertiser_id: str, user_id: str) -> int:
    """What the bell counts: the person's unread notices, of the kinds they keep in the app."""
    seen = for_person(advertiser_id, user_id, hidden_kinds(db, user_id)).where(Notice.read_at.is_(None))
    return int(db.scalar(select(func.count()).select_from(seen.subquery())) or 0)


def visible(by: Principal, advertiser_id: str | None = None) -> Select[Notice]:
    """The API's list: an advertiser key sees its own brand's (whatever filter it sends);
    an operator every brand's, or one brand's with `advertiser_id`."""
    stmt = select(Notice)
    if not by.is_operator:
        return stmt.where(Notice.advertiser_id == by.advertiser_id)
    return stmt.where(Notice.advertiser_id == advertiser_id) if advertiser_id else stmt


def get(db: Session, by: Principal, notice_id: str) -> Notice:
    notice = db.get(Notice, notice_id)
    if notice is None or not by.owns(notice.advertiser_id):
        raise NotFound(f"no notification {notice_id!r}")
    return notice


def mark_read(db: Session, by: Principal, notice_id: str, now: datetime) -> Notice:
    """Read for the whole brand; a notice read before keeps its first reading time."""
    notice = get(db, by, notice_id)
    if notice.read_at is None:
        notice.read_at = now
        db.flush()
    return notice


def mark_all_read(db: Session, advertiser_id: str, user_id: str, now: datetime) -> int:
    """Every notice the person sees, read; returns how many were unread."""
    ids = (
        for_person(advertiser_id, user_id, hidden_kinds(db, user_id))
        .where(Notice.read_at.is_(None))
        .with_only_columns(Notice.id)
    )
    done = db.execute(
        update(Notice).where(Notice.id.in_(ids)).values(read_at=now).execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]
