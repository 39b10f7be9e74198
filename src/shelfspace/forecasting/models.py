"""The sampled request log: the decision requests kept for forecasting (forecasting/sample.py).

One row per kept request, written in batches by forecasting/request_log.py and pruned after
`RETENTION_DAYS`. Never the user id: its keyed hash only. `weekday` and `hour` are the
request's local time in the network's time zone (its daypart), stored so the operator can
read the sample by daypart without converting every row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base, JSONDocument


class SampledRequestRow(Base):
    __tablename__ = "sampled_requests"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)  # UTC
    slots: Mapped[list[Any]] = mapped_column(JSONDocument)  # [[placement id, count, floor micros], ...]
    keywords: Mapped[list[str]] = mapped_column(JSONDocument)
    category: Mapped[str | None] = mapped_column(String(300))
    query: Mapped[str | None] = mapped_column(String(500))
    skus: Mapped[list[str]] = mapped_column(JSONDocument)
    device: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    consent: Mapped[bool] = mapped_column(Boolean)
    user_hash: Mapped[str | None] = mapped_column(String(24))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # local, 0 = Monday
    hour: Mapped[int] = mapped_column(SmallInteger)  # local, 0-23


class SampleKey(Base):
    """The key of the sample's user hashes (forecasting/sample_key.py): one row, made on
    first use and never rotated, so a user's requests link up across the 28 days kept."""

    __tablename__ = "sample_keys"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # always 1
    secret_hex: Mapped[str] = mapped_column(String(64))
