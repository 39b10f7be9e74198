"""demand partners: OpenRTB bidders on unsold placements

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demand_partners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), nullable=False),
        sa.Column("floor_cpm_micros", sa.BigInteger(), nullable=False),
        sa.Column("placements", shelfspace.db.base.JSONDocument, nullable=False),
        sa.Column(
            "status",
            sa.Enum("live", "paused", "archived", name="deliverystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_partners")),
    )


def downgrade() -> None:
    op.drop_table("demand_partners")
