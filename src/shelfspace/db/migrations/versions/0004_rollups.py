"""rollups: hourly delivery, counted interactions, attributed conversion items, job position

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attributed_items",
        sa.Column("conversion_id", sa.String(length=200), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("purchased_sku", sa.String(length=100), nullable=False),
        sa.Column("interaction", sa.String(length=8), nullable=False),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("new_to_brand", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("revenue_micros", sa.BigInteger(), nullable=False),
        sa.Column("converted_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("line_item_id", sa.String(length=40), nullable=False),
        sa.Column("creative_id", sa.String(length=40), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("conversion_id", "item_index", name=op.f("pk_attributed_items")),
    )
    with op.batch_alter_table("attributed_items", schema=None) as batch_op:
        batch_op.create_index("ix_attributed_items_day_campaign", ["day", "campaign_id"], unique=False)

    op.create_table(
        "rollup_hourly",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("viewable_impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("invalid_impressions", sa.BigInteger(), nullable=False),
        sa.Column("invalid_viewable_impressions", sa.BigInteger(), nullable=False),
        sa.Column("invalid_clicks", sa.BigInteger(), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("line_item_id", sa.String(length=40), nullable=False),
        sa.Column("creative_id", sa.String(length=40), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_hourly")),
    )
    with op.batch_alter_table("rollup_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_hourly_day_campaign", ["day", "campaign_id"], unique=False)

    op.create_table(
        "rollup_interactions",
        sa.Column("ad_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("line_item_id", sa.String(length=40), nullable=False),
        sa.Column("creative_id", sa.String(length=40), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("ad_id", "kind", name=op.f("pk_rollup_interactions")),
    )
    with op.batch_alter_table("rollup_interactions", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_interactions_day", ["day"], unique=False)
        batch_op.create_index("ix_rollup_interactions_user_time", ["user_id", "time"], unique=False)

    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_position", sa.BigInteger(), nullable=False),
        sa.Column("built_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )


def downgrade() -> None:
    op.drop_table("rollup_state")
    with op.batch_alter_table("rollup_interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_interactions_user_time")
        batch_op.drop_index("ix_rollup_interactions_day")

    op.drop_table("rollup_interactions")
    with op.batch_alter_table("rollup_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_hourly_day_campaign")

    op.drop_table("rollup_hourly")
    with op.batch_alter_table("attributed_items", schema=None) as batch_op:
        batch_op.drop_index("ix_attributed_items_day_campaign")

    op.drop_table("attributed_items")
