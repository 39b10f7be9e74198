"""Audience tables: segments, the contact data for offsite exports, exports made, people forgotten.

Contact data (`identities`) is kept apart from events: events carry only the operator's
user id, and an export is the one place where an e-mail or a phone number is read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.version import watch
from shelfspace.core.clock import utcnow
from shelfspace.db.base import Base, Timestamps


class Audience(Timestamps, Base):
    """A segment: a rule over first-party events. Without `advertiser_id` it is the
    operator's network audience, targetable by every brand; with one, only that brand's."""

    __tablename__ = "audiences"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict[str, Any]]
    advertiser_id: Mapped[str | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    iab_segment: Mapped[str | None] = mapped_column(String(20))  # IAB Audience Taxonomy 1.1 unique id
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.LIVE)


class AudienceSize(Base):
    """How many users a segment holds, as the refresher last counted it. Kept apart from
    `audiences` so that counting does not move the catalogue version."""

    __tablename__ = "audience_sizes"

    audience_id: Mapped[str] = mapped_column(ForeignKey("audiences.id"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    targetable: Mapped[bool] = mapped_column(Boolean)  # size at or above the network's minimum
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Identity(Timestamps, Base):
    __tablename__ = "identities"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))


class AudienceExport(Base):
    """One export of a segment to an offsite platform, for the audit."""

    __tablename__ = "audience_exports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    audience_id: Mapped[str] = mapped_column(ForeignKey("audiences.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))  # the API key or user who exported it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ForgottenUser(Base):
    """A data-subject erasure: the user's events up to `forgotten_at` are gone from
    targeting, and every process drops the user from its segments."""

    __tablename__ = "forgotten_users"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisclosureSecret(Base):
    """The server secret that keys the noise on audience sizes shown to brands
    (audiences/disclosure.py). One row, made by the first process that needs it and read by
    every other, so every process adds the same noise to the same question."""

    __tablename__ = "audience_disclosure_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    secret: Mapped[str] = mapped_column(String(64))  # hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SizeQuestions(Base):
    """How many new audience sizes (previews, new rules) a brand asked for on a day (UTC):
    the bound that keeps differencing and averaging slow (audiences/disclosure.py)."""

    __tablename__ = "audience_size_questions"

    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    asked: Mapped[int] = mapped_column(Integer)


# The snapshot reads audiences' rules and erasures: a write to either moves the catalogue
# version, so every process reloads them (catalog/version.py).
watch(Audience, ForgottenUser)
