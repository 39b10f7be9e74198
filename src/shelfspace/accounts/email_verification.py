"""A signed, expiring, single-use link that proves a person reads the e-mail they signed up with.

The link carries the user's id, the e-mail it was sent to and when it was made, signed
with itsdangerous (HMAC-SHA1 over the payload, the site's secret and a salt of its own, so
no other signed value of Shelfspace can pass for it). Nothing is stored until it is
followed: it expires `LINK_TTL` after it was made (the time is inside the signature, the
clock is the server's), and it is single-use because following it sets
`User.email_verified_at`: any later click of this or an older link only reads "already
used", and changes nothing. A link sent to an address the user no longer has is refused.
The link does not sign anyone in, so a leaked link opens no account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import User
from shelfspace.accounts.roles import acting_as
from shelfspace.accounts.tenants import Brand
from shelfspace.config import Settings
from shelfspace.mail import Mail

SALT = "shelfspace.email-verification"
LINK_TTL = timedelta(hours=48)
VERIFY_PATH = "/signup/verify"


class LinkProblem(StrEnum):
    """Why a link did not verify anything: each has its own message for the person."""

    INVALID = "invalid"  # not made by us, altered, or for a user that no longer exists
    EXPIRED = "expired"
    USED = "used"


MESSAGES = {
    LinkProblem.INVALID: "This link is not valid: it may have been cut short or changed. Open the newest e-mail we "
    "sent and use its link, or sign in and ask for a new one.",
    LinkProblem.EXPIRED: f"This link has expired (links work for {LINK_TTL.days * 24} hours). Sign in and ask for a "
    "new one.",
    LinkProblem.USED: "This link has already been used: your e-mail address is verified. Sign in to continue.",
}


class LinkRefused(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(MESSAGES[problem])
        self.problem = problem
        self.message = MESSAGES[problem]


@dataclass(frozen=True, slots=True)
class Verified:
    user_id: str
    email: str


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_token(secret: str, user: User, now: datetime) -> str:
    return _serializer(secret).dumps({"u": user.id, "e": user.email, "t": int(now.timestamp())})


def link_of(settings: Settings, secret: str, user: User, now: datetime) -> str:
    return f"{settings.base_url()}{VERIFY_PATH}?token={make_token(secret, user, now)}"


def verification_mail(settings: Settings, secret: str, user: User, advertiser: Brand | None, now: datetime) -> Mail:
    who = advertiser.name if advertiser is not None else user.email
    body = (
        f"Hello,\n\nsomeone, probably you, signed {who} up to advertise on {settings.network_name}.\n"
        f"Confirm that this is your e-mail address by opening this link:\n\n"
        f"{link_of(settings, secret, user, now)}\n\n"
        f"The link works once, for {LINK_TTL.days * 24} hours. If you did not sign up, ignore this e-mail: "
        f"nothing happens without it.\n\n{settings.network_name}\n"
    )
    return Mail(to=user.email, subject=f"Confirm your e-mail for {settings.network_name}", body=body)


def _payload(secret: str, token: str) -> tuple[str, str, int]:
    try:
        found: Any = _serializer(secret).loads(token)
    except BadSignature:
        raise LinkRefused(LinkProblem.INVALID) from None
    if not (
        isinstance(found, dict)
        and isinstance(found.get("u"), str)
        and isinstance(found.get("e"), str)
        and isinstance(found.get("t"), int)
    ):
        raise LinkRefused(LinkProblem.INVALID)
    return found["u"], found["e"], found["t"]


def verify(db: Session, secret: str, token: str, now: datetime) -> Verified:
    """Mark the link's user verified, or raise LinkRefused saying why not. Flushes, never commits."""
    user_id, email, made_at = _payload(secret, token)
    user = db.get(User, user_id)
    if user is None or user.email != email or user.disabled_at is not None:
        raise LinkRefused(LinkProblem.INVALID)
    if user.email_verified_at is not None:
        raise LinkRefused(LinkProblem.USED)
    if now.timestamp() - made_at > LINK_TTL.total_seconds():
        raise LinkRefused(LinkProblem.EXPIRED)
    # Conditional, so of two clicks racing exactly one verifies and writes the audit entry.
    claimed = db.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(email_verified_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise LinkRefused(LinkProblem.USED)
    record(
        db,
        acting_as(user),
        AuditAction.UPDATE,
        "user",
        user.id,
        {"email_verified_at": [None, now]},
    )
    db.flush()
    return Verified(user.id, user.email)
