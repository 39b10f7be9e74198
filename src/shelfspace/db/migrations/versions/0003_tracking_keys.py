"""tracking keys: the HMAC keys that seal tracking URLs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("secret_hex", sa.String(length=64), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_keys")),
    )


def downgrade() -> None:
    op.drop_table("tracking_keys")
