"""placement requests per hour: the ad slots asked for and filled, for fill rates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "placement_requests_hourly",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("filled", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "hour", "placement_id", name=op.f("pk_placement_requests_hourly")),
    )


def downgrade() -> None:
    op.drop_table("placement_requests_hourly")
