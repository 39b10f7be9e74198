"""The HMAC keys that seal tracking URLs, kept in the catalogue database so every process
of a network signs and verifies with the same keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class TrackingKey(Base):
    __tablename__ = "tracking_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # short: it is in every URL
    secret_hex: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
