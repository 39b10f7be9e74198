"""API keys, operator and advertiser users, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.accounts.roles import Role
from shelfspace.core.clock import utcnow
from shelfspace.db.base import Base


class ApiKey(Base):
    """A key is shown once; only its SHA-256 is kept.

    Keys are 256 random bits, so a fast hash is as safe as a slow one and lets a request
    find its key by an indexed lookup (passwords, which people choose, get argon2).
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[Role]
    advertiser_id: Mapped[str | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None]


class User(Base):
    """A person who signs in to the dashboard with an email and a password (argon2)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role]
    advertiser_id: Mapped[str | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # Set once the person follows the link sent to `email` (accounts/email_verification.py);
    # users an operator creates are vouched for and set at creation. Until then a self-signed-up
    # user sees nothing but "check your e-mail".
    email_verified_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when: written in the same transaction as the change itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]]


class DashboardSession(Base):
    """A signed-in browser, kept on the server so that it can be ended at once.

    The cookie carries 256 random bits; only their SHA-256 is stored (as with API keys), so
    a copy of this table opens nothing. A session ends when it is revoked (sign-out, a
    password change, an operator, a disabled user), idle too long, or past `expires_at`.
    """

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # written at most once a minute, not on every page
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute end
    revoked_at: Mapped[datetime | None]
    flash: Mapped[str | None] = mapped_column(String(500))  # shown once by the next page


class SignInOutcome(StrEnum):
    FAILED = "failed"  # a wrong password (counted until the password is proven right)
    SUCCEEDED = "succeeded"
    REFUSED = "refused"  # turned away by the throttle: the password was never checked


class SignInAttempt(Base):
    """One try at signing in, for the throttle: per account (a hash of the e-mail typed,
    so that mistyped addresses are not kept) and per network address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account_at", "account", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[SignInOutcome]
