"""sampled_requests: the decision requests kept for forecasting (a share of them, 28 days),
and sample_keys: the key of their user hashes

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfspace.db.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sampled_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slots", JSON, nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("category", sa.String(length=300), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=True),
        sa.Column("skus", JSON, nullable=False),
        sa.Column("device", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("user_hash", sa.String(length=24), nullable=True),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampled_requests")),
    )
    op.create_index(op.f("ix_sampled_requests_at"), "sampled_requests", ["at"], unique=False)
    op.create_table(
        "sample_keys",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("secret_hex", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_keys")),
    )


def downgrade() -> None:
    op.drop_table("sample_keys")
    op.drop_index(op.f("ix_sampled_requests_at"), table_name="sampled_requests")
    op.drop_table("sampled_requests")
