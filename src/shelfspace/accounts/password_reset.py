"""Forgotten passwords: a single-use link e-mailed to the account's address.

The link `/password/reset/{token}` holds 256 random bits; the table keeps their SHA-256
only (as for sessions and API keys), so a copy of the table resets nothing. A link works
once, for an hour. Setting the password through it applies the one strength rule, ends
every session of the person (whoever knew the old password is out) and voids their other
unused links. It does not sign anyone in, nor skip the second factor: the person signs in
afterwards as always, so a leaked link is worth a password change, not an account.

Asking for a link answers the same whatever the address (the page says "if an account
uses it"), so the form cannot be used to learn who has an account; the e-mail goes out
after the answer (dashboard/password_pages.py), so its time tells nothing either. Disabled
and unknown accounts get nothing. At most LINKS_PER_HOUR links per account per hour: the
rest are refused quietly (written to the server log), so nobody can fill an inbox with
them. The count is race-safe the way the sign-up throttle is: the new link's row is
committed before the count, so two processes racing see each other (at worst both are
refused at the edge, never one too many let through). No HTTP here.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import PasswordReset, User
from shelfspace.accounts.passwords import hash_password
from shelfspace.accounts.roles import Principal, acting_as
from shelfspace.accounts.service import require_strong_password
from shelfspace.accounts.sessions import SessionEnd, end_user_sessions
from shelfspace.config import Settings
from shelfspace.core.ids import new_id
from shelfspace.db.session import session_scope
from shelfspace.mail import Mail

log = structlog.get_logger(__name__)

TOKEN_BYTES = 32  # 256 bits
LINK_TTL = timedelta(hours=1)
LINKS_PER_HOUR = 3
RESET_PATH = "/password/reset"
MAX_TOKEN_LENGTH = 100  # a real token is 43 characters
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+$")
OBJECT_TYPE = "password_reset"


class ResetProblem(StrEnum):
    """Why a link set no password: each has its own message for the person."""

    UNKNOWN = "unknown"  # never made, cut short or changed, or its account is gone or disabled
    EXPIRED = "expired"
    USED = "used"  # used, or voided when the password was set through another link


MESSAGES = {
    ResetProblem.UNKNOWN: "This link is not valid: it may have been cut short or changed. Open the newest e-mail we "
    "sent and use its link, or ask for a new one.",
    ResetProblem.EXPIRED: f"This link has expired (links work for {int(LINK_TTL.total_seconds() // 60)} minutes). "
    "Ask for a new one.",
    ResetProblem.USED: "This link has already been used: your password was set with it, or with a newer link. "
    "Sign in with your new password, or ask for another link.",
}


class ResetRefused(Exception):
    def __init__(self, problem: ResetProblem) -> None:
        super().__init__(MESSAGES[problem])
        self.problem = problem
        self.message = MESSAGES[problem]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# The request comes from someone who has not signed in: the audit log names it so.
def _requester(user: User) -> Principal:
    return Principal(actor="password-reset", role=user.role, advertiser_id=user.advertiser_id)


def reset_mail(settings: Settings, email: str, token: str) -> Mail:
    minutes = int(LINK_TTL.total_seconds() // 60)
    body = (
        f"Hello,\n\nsomeone, probably you, asked to set a new password for {email} on "
        f"{settings.network_name}. Choose one by opening this link:\n\n"
        f"{settings.base_url()}{RESET_PATH}/{token}\n\n"
        f"The link works once, for {minutes} minutes, and does not sign you in: you sign in afterwards with the "
        "new password (and your authenticator app, if you use one).\n\n"
        "If you did not ask, ignore this e-mail: your password stays as it is.\n\n"
        f"{settings.network_name}\n"
    )
    return Mail(to=email, subject=f"Set a new password for {settings.network_name}", body=body)


def request_reset(sessions: sessionmaker[Session], settings: Settings, email: str, now: datetime) -> Mail | None:
    """The e-mail to send, or None (unknown or disabled address, or too many links this
    hour). The caller answers the same either way. Blocking SQL."""
    address = email.strip().lower()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with session_scope(sessions) as db:
        user = db.scalar(select(User).where(User.email == address))
        if user is None or user.disabled_at is not None:
            log.info("password_reset_not_sent", reason="no such enabled account")
            return None
        user_id, user_email = user.id, user.email
        reset = PasswordReset(
            id=new_id("pwr"),
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + LINK_TTL,
            used_at=None,
        )
        db.add(reset)  # committed before the count: nobody holds its token until the e-mail leaves
        reset_id = reset.id
    with session_scope(sessions) as db:
        others = (
            db.scalar(
                select(func.count())
                .select_from(PasswordReset)
                .where(
                    PasswordReset.user_id == user_id,
                    PasswordReset.created_at > now - LINK_TTL,
                    PasswordReset.id != reset_id,
                )
            )
            or 0
        )
        if others >= LINKS_PER_HOUR:
            db.execute(delete(PasswordReset).where(PasswordReset.id == reset_id))
            log.warning(
                "password_reset_refused", user_id=user_id, reason="too many links this hour", links_this_hour=others
            )
            return None
        user = db.get(User, user_id)
        assert user is not None
        record(
            db,
            _requester(user),
            AuditAction.CREATE,
            OBJECT_TYPE,
            reset_id,
            {"user_id": user_id, "expires_at": now + LINK_TTL},
        )
    return reset_mail(settings, user_email, token)


def check_link(db: Session, token: str, now: datetime) -> PasswordReset:
    """The link's row if it may still set a password, else ResetRefused saying why not."""
    if not (0 < len(token) <= MAX_TOKEN_LENGTH and _TOKEN_SHAPE.match(token)):
        raise ResetRefused(ResetProblem.UNKNOWN)
    row = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or user.disabled_at is not None:
        raise ResetRefused(ResetProblem.UNKNOWN)
    if row.used_at is not None:
        raise ResetRefused(ResetProblem.USED)
    if now >= row.expires_at:
        raise ResetRefused(ResetProblem.EXPIRED)
    return row


def email_of_link(db: Session, token: str, now: datetime) -> str:
    """The address a valid link is for (the page names it, and the strength rule uses it)."""
    row = check_link(db, token, now)
    user = db.get(User, row.user_id)
    assert user is not None
    return user.email


def reset_password(db: Session, token: str, password: str, now: datetime) -> int:
    """Set the password through the link; returns how many sessions ended. Flushes, never commits."""
    row = check_link(db, token, now)
    user = db.get(User, row.user_id)
    assert user is not None
    require_strong_password(password, [user.email])  # before the link is spent: a weak try keeps it
    # Conditional, so of two submissions racing exactly one sets the password.
    claimed = db.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        raise ResetRefused(ResetProblem.USED)
    voided = db.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.id != row.id,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user.password_hash = hash_password(password)
    ended = end_user_sessions(db, user.id, now)
    record(
        db,
        acting_as(user),
        AuditAction.UPDATE,
        "user",
        user.id,
        {
            "password": "changed",
            "why": SessionEnd.PASSWORD_RESET,
            "password_reset": row.id,
            "sessions_ended": ended,
            "links_voided": int(getattr(voided, "rowcount", 0) or 0),
        },
    )
    db.flush()
    return ended
