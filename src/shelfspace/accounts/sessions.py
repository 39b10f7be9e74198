"""Dashboard sessions kept on the server: start, find, end. No HTTP here (the cookie is
dashboard/session.py's business).

A signed cookie could not be taken back: signing out left a copy that still opened the
console, renewed for 14 days by every page. Here the cookie holds 256 random bits and the
table their SHA-256 (a fast hash is enough for random tokens, as for API keys), so a
session ends the moment its row is revoked, and a stolen copy of the table opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import DashboardSession, User
from shelfspace.accounts.roles import Principal
from shelfspace.core.errors import NotFound

IDLE_LIFETIME = timedelta(hours=12)  # a session nobody used for this long has ended
ABSOLUTE_LIFETIME = timedelta(days=14)  # and none lasts longer than this, however busy
# `last_seen_at` moves at most this often: a page view is a read, not a write.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_BYTES = 32  # 256 bits
# A session that has proven the password but still owes the second factor: long enough to
# open the authenticator app, too short to be worth stealing.
SECOND_FACTOR_LIFETIME = timedelta(minutes=10)
FLASH_LENGTH = 500


class SessionEnd(StrEnum):
    """Why sessions were ended, as the audit log records it."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"  # a new password set through an e-mailed link
    REVOKED_BY_OPERATOR = "revoked_by_operator"
    USER_DISABLED = "user_disabled"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _alive(row: DashboardSession, now: datetime) -> bool:
    return row.revoked_at is None and now < row.expires_at and now < row.last_seen_at + IDLE_LIFETIME


def prune(db: Session, now: datetime) -> int:
    """Delete the rows of sessions that can no longer open anything."""
    result = db.execute(
        delete(DashboardSession).where(
            or_(
                DashboardSession.expires_at <= now,
                DashboardSession.revoked_at.is_not(None),
                DashboardSession.last_seen_at <= now - IDLE_LIFETIME,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def start_session(db: Session, user_id: str, now: datetime, second_factor_pending: bool = False) -> str:
    """A new session for the user; returns the token for the cookie (never stored).

    `second_factor_pending`: the password was right but a code is still owed; such a
    session opens only the page that asks for it, and lapses after SECOND_FACTOR_LIFETIME."""
    prune(db, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lifetime = SECOND_FACTOR_LIFETIME if second_factor_pending else ABSOLUTE_LIFETIME
    db.add(
        DashboardSession(
            id=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            second_factor_pending=second_factor_pending,
        )
    )
    db.flush()
    return token


def complete_second_factor(db: Session, token: str, now: datetime) -> str | None:
    """The code was right: the pending session ends and a full one starts under a new token
    (a token seen before the second factor opens nothing after it). None if the pending
    session has ended meanwhile."""
    row = find_session(db, token, now)
    if row is None or not row.second_factor_pending:
        return None
    user_id = row.user_id
    # Conditional, so of two codes racing on one pending session only one opens a session.
    ended = db.execute(
        delete(DashboardSession).where(
            DashboardSession.id == token_hash(token), DashboardSession.second_factor_pending.is_(True)
        )
    )
    if int(getattr(ended, "rowcount", 0) or 0) != 1:
        return None
    return start_session(db, user_id, now)


def find_session(db: Session, token: str, now: datetime) -> DashboardSession | None:
    """The live session the token opens, or None; notes that it was used (once a minute at most)."""
    row = db.get(DashboardSession, token_hash(token))
    if row is None or not _alive(row, now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(db: Session, token: str) -> None:
    """Sign-out: the row goes at once, so the cookie is worthless even if kept."""
    db.execute(delete(DashboardSession).where(DashboardSession.id == token_hash(token)))


def end_user_sessions(db: Session, user_id: str, now: datetime, keep_token: str | None = None) -> int:
    """Revoke every live session of the user but `keep_token`'s; returns how many ended."""
    stmt = (
        update(DashboardSession)
        .where(DashboardSession.user_id == user_id, DashboardSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if keep_token is not None:
        stmt = stmt.where(DashboardSession.id != token_hash(keep_token))
    result = db.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_user_sessions(db: Session, by: Principal, user_id: str, now: datetime, reason: SessionEnd) -> int:
    """An operator ends someone's sessions (a lost laptop, a person who left): audited."""
    by.require_operator("end users' sessions")
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    ended = end_user_sessions(db, user_id, now)
    record(
        db,
        by,
        AuditAction.REVOKE,
        "user_sessions",
        user_id,
        {"sessions": ended, "reason": reason},
        advertiser_id=user.advertiser_id,
    )
    return ended


def live_session_count(db: Session, user_id: str, now: datetime) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(DashboardSession)
            .where(
                DashboardSession.user_id == user_id,
                DashboardSession.revoked_at.is_(None),
                DashboardSession.expires_at > now,
                DashboardSession.last_seen_at > now - IDLE_LIFETIME,
            )
        )
        or 0
    )


def set_flash(db: Session, token: str, message: str) -> None:
    db.execute(
        update(DashboardSession).where(DashboardSession.id == token_hash(token)).values(flash=message[:FLASH_LENGTH])
    )


def clear_flash(db: Session, token: str) -> None:
    db.execute(update(DashboardSession).where(DashboardSession.id == token_hash(token)).values(flash=None))
