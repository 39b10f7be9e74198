"""What the sign-up throttle counts: one row per sign-up (or verification e-mail) let through.

Kept in the database, not in a process, so the limit holds however many processes serve
the sign-up page; rows older than the longest window are deleted as new ones arrive.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class SignupAction(StrEnum):
    """What is being throttled, each with its own key."""

    SIGN_UP = "sign_up"  # keyed by the network address
    VERIFICATION_EMAIL = "verification_email"  # a resend, keyed by the user


class SignupAttempt(Base):
    __tablename__ = "signup_attempts"
    __table_args__ = (Index("ix_signup_attempts_action_key_at", "action", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[SignupAction]
    key: Mapped[str] = mapped_column(String(64))
