"""The `event_log` table: the event log of record in production mode (PostgreSQL).

Its rows are written and read by `events/postgres_log.py` with plain SQL for speed; this
model exists so the schema is declared once, beside the others, and Alembic checks it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class EventRow(Base):
    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_time", "time"),
        Index("ix_event_log_user", "user_id", "type", "time"),
        # What the rollup workers have not rolled up yet: a small index, it empties itself.
        Index(
            "ix_event_log_unrolled", "seq", postgresql_where=text("NOT rolled_up"), sqlite_where=text("NOT rolled_up")
        ),
        # What restores budgets after Redis lost them: only charged rows.
        Index(
            "ix_event_log_charged",
            "campaign_id",
            "budget_day",
            postgresql_where=text("charged_micros > 0"),
            sqlite_where=text("charged_micros > 0"),
        ),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    time: Mapped[float] = mapped_column(Float)
    user_id: Mapped[str | None] = mapped_column(String(200))
    invalid: Mapped[str | None] = mapped_column(String(40))
    charged_micros: Mapped[int] = mapped_column(BigInteger, server_default="0")
    ad_id: Mapped[str | None] = mapped_column(String(64))
    placement_id: Mapped[str | None] = mapped_column(String(64))
    advertiser_id: Mapped[str | None] = mapped_column(String(40))
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    line_item_id: Mapped[str | None] = mapped_column(String(40))
    creative_id: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(100))
    pricing: Mapped[str | None] = mapped_column(String(8))
    price_micros: Mapped[int | None] = mapped_column(BigInteger)
    served_at: Mapped[int | None] = mapped_column(BigInteger)
    budget_day: Mapped[str | None] = mapped_column(String(10))
    data: Mapped[str | None] = mapped_column(Text)
    rolled_up: Mapped[bool] = mapped_column(Boolean, server_default=false())
    appended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
