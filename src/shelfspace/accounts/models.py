"""API keys, operator and advertiser users, and the audit log."""

from __future__ import annotations

from datetime import datetime
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
