"""Rollup tables: what reports read. Every row can be rebuilt from the event log.

`rollup_hourly` holds delivery (impressions, viewable, clicks, spend, invalid traffic)
per local hour and ad; `rollup_interactions` every counted impression (view), viewable
event (viewable) and click of a known user, which gives reach (a count of distinct users
with a view, not a sum) and what attribution credits (views or viewable views, by the
network's view-through rule); `attributed_items` one row per conversion item credited to an ad
interaction, on the interaction's hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base

ID = String(40)


class _AdDims:
    """The groupings of ../shared/api.md that belong to an ad (`''` for no SKU)."""

    advertiser_id: Mapped[str] = mapped_column(ID)
    campaign_id: Mapped[str] = mapped_column(ID)
    line_item_id: Mapped[str] = mapped_column(ID)
    creative_id: Mapped[str] = mapped_column(ID)
    placement_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(100))


class _Delivery(_AdDims):
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    day: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    viewable_impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid_impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid_viewable_impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    video_starts: Mapped[int] = mapped_column(BigInteger, default=0)
    video_first_quartiles: Mapped[int] = mapped_column(BigInteger, default=0)
    video_midpoints: Mapped[int] = mapped_column(BigInteger, default=0)
    video_third_quartiles: Mapped[int] = mapped_column(BigInteger, default=0)
    video_completes: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupHour(_Delivery, Base):
    __tablename__ = "rollup_hourly"
    __table_args__ = (
        Index("ix_rollup_hourly_day_campaign", "day", "campaign_id"),
        # what an incremental rollup run reads back: the rows of the hours it touched
        Index("ix_rollup_hourly_day_hour_campaign", "day", "hour", "campaign_id"),
    )

    hour: Mapped[int] = mapped_column(Integer)  # local hour, 0-23


class RollupDay(_Delivery, Base):
    """The day's hours added up: what reports without an hour grouping read (24 times fewer rows)."""

    __tablename__ = "rollup_daily"
    __table_args__ = (
        Index("ix_rollup_daily_day_campaign", "day", "campaign_id"),
        Index("ix_rollup_daily_campaign_day", "campaign_id", "day"),
    )


class AttributedItem(_AdDims, Base):
    __tablename__ = "attributed_items"
    __table_args__ = (Index("ix_attributed_items_day_campaign", "day", "campaign_id"),)

    conversion_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    item_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # the interaction's local date
    hour: Mapped[int] = mapped_column(Integer)
    purchased_sku: Mapped[str] = mapped_column(String(100))
    interaction: Mapped[str] = mapped_column(String(8))  # click or view (a view-through credit, either rule)
    match: Mapped[str] = mapped_column(String(16))  # promoted or halo
    new_to_brand: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[int] = mapped_column(Integer)
    revenue_micros: Mapped[int] = mapped_column(BigInteger)
    converted_at: Mapped[datetime]


class RollupInteraction(_AdDims, Base):
    """A counted impression (a view), viewable event or click of a known user: what attribution credits."""

    __tablename__ = "rollup_interactions"
    # Reach is a count of distinct users: these indexes cover it, so it is read from the
    # index alone, by day or by campaign.
    __table_args__ = (
        Index("ix_rollup_interactions_user_time", "user_id", "time"),
        Index("ix_rollup_interactions_day_reach", "day", "kind", "campaign_id", "user_id"),
        Index("ix_rollup_interactions_campaign_reach", "campaign_id", "kind", "day", "user_id"),
    )

    ad_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # click, view or viewable
    day: Mapped[str] = mapped_column(String(10))
    hour: Mapped[int] = mapped_column(Integer)
    time: Mapped[float]
    user_id: Mapped[str] = mapped_column(String(200))


class RollupClick(Base):
    """One ad's clicks on a day, as the settled part of the day's fold left them (see
    reporting/job.py): whether one counted, else where its one invalid click is counted."""

    __tablename__ = "rollup_clicks"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counted: Mapped[bool] = mapped_column(Boolean)
    unmet: Mapped[str | None] = mapped_column(Text)  # JSON [hour, [ad dims]]


class RollupCheckpoint(Base):
    """Where a day's incremental fold stands (reporting/job.py): the events before `settled_before`
    folded into its state for good; those after it (the tail) folded, but folded again with
    whatever comes next. `state` is JSON: the spender's sums, the flood windows, the caps
    and channels the fold used, the tail's keys and what the tail added to the rows."""

    __tablename__ = "rollup_checkpoints"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    settled_before: Mapped[float]
    state: Mapped[str] = mapped_column(Text)


class RollupState(Base):
    """How far into the event log the rollups have read."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_position: Mapped[int] = mapped_column(BigInteger, default=0)
    built_at: Mapped[datetime]
    # The brand claims attribution last credited under (advertiser id -> its brands,
    # catalog/brand_claims.py): when the operator moves one, the rollups credit again.
    brand_claims: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
