"""event_log: the event log of record when several processes share PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 10:00:00

The embedded server keeps its log in a SQLite file of its own (data/events.db); in
production mode (SHELFSPACE_REDIS_URL set) every API process appends here, and
`rolled_up` is set by the rollup worker in the transaction that rolls the event up: an
event the stream lost (Redis restarted) is found by it and published again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("invalid", sa.String(40), nullable=True),
        sa.Column("charged_micros", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("ad_id", sa.String(64), nullable=True),
        sa.Column("placement_id", sa.String(64), nullable=True),
        sa.Column("advertiser_id", sa.String(40), nullable=True),
        sa.Column("campaign_id", sa.String(40), nullable=True),
        sa.Column("line_item_id", sa.String(40), nullable=True),
        sa.Column("creative_id", sa.String(40), nullable=True),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("pricing", sa.String(8), nullable=True),
        sa.Column("price_micros", sa.BigInteger(), nullable=True),
        sa.Column("served_at", sa.BigInteger(), nullable=True),
        sa.Column("budget_day", sa.String(10), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("rolled_up", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("key", name=op.f("uq_event_log_key")),
    )
    op.create_index("ix_event_log_time", "event_log", ["time"])
    op.create_index("ix_event_log_user", "event_log", ["user_id", "type", "time"])
    op.create_index(
        "ix_event_log_unrolled",
        "event_log",
        ["seq"],
        postgresql_where=sa.text("NOT rolled_up"),
        sqlite_where=sa.text("NOT rolled_up"),
    )
    op.create_index(
        "ix_event_log_charged",
        "event_log",
        ["campaign_id", "budget_day"],
        postgresql_where=sa.text("charged_micros > 0"),
        sqlite_where=sa.text("charged_micros > 0"),
    )


def downgrade() -> None:
    op.drop_table("event_log")
