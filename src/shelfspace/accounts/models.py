"""API keys, operator and advertiser users, their invitations, password resets and second
factors, the network's sign-in policy, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.accounts.rights import Role, TeamRole
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
    # The key's scope: the rights of this team role on its side (accounts/rights.py).
    team_role: Mapped[TeamRole] = mapped_column(default=TeamRole.ADMIN, server_default=TeamRole.ADMIN.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]  # moved at most once a minute, not on every request


class User(Base):
    """A person who signs in to the dashboard with an email and a password (argon2)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role]
    advertiser_id: Mapped[str | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    team_role: Mapped[TeamRole] = mapped_column(default=TeamRole.ADMIN, server_default=TeamRole.ADMIN.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # TOTP (RFC 6238): the shared secret, base32, set when enrolment starts; the factor is
    # asked at sign-in only once a first code proved the authenticator holds it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # the newest code's step: none twice
    # Set once the person follows the link sent to `email` (accounts/email_verification.py);
    # users an operator creates are vouched for and set at creation. Until then a self-signed-up
    # user sees nothing but "check your e-mail".
    email_verified_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when: written in the same transaction as the change itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]]
    # The brand the object belongs to (None: the network's own), so a brand reads the
    # history of its own objects, whoever changed them.
    advertiser_id: Mapped[str | None] = mapped_column(String(40), index=True)


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
    # The password was right and a second factor is still owed: such a session opens only
    # the page that asks for the code.
    second_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SignInOutcome(StrEnum):
    FAILED = "failed"  # a wrong password (counted until the password is proven right)
    SUCCEEDED = "succeeded"
    REFUSED = "refused"  # turned away by the throttle: the password was never checked
    # The password was right but a second factor is owed: neither a failure nor the success
    # that clears the account's count (only the code's attempt can be that).
    SECOND_FACTOR_OWED = "second_factor_owed"


class SignInAttempt(Base):
    """One try at signing in, for the throttle: per account (a hash of the e-mail typed,
    so that mistyped addresses are not kept) and per network address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account_at", "account", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[SignInOutcome]


class Invite(Base):
    """An invitation to join a team: the e-mailed link carries the id, signed and dated
    (accounts/invites.py); accepting it creates the user with the invited role, once."""

    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[Role]
    team_role: Mapped[TeamRole]
    advertiser_id: Mapped[str | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    invited_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[str | None] = mapped_column(String(40))  # who accepted it


class PasswordReset(Base):
    """A single-use link to set a new password: the e-mail holds 256 random bits, the table
    their SHA-256 only (as for sessions and API keys)."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """One of a person's ten single-use codes for a lost authenticator (SHA-256 kept only)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class AccessPolicy(Base):
    """The network's sign-in policy, one row (id 1): set by an operator admin, audited."""

    __tablename__ = "access_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_two_factor_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(80))
