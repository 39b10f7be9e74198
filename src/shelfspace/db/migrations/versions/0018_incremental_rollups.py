"""incremental rollups: each day's fold checkpoint and its ads' click states

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 14:10:00

Existing days have no checkpoint: the first event of such a day rolls it whole once, as
before, and from then on each run folds only what is new.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_checkpoints",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("settled_before", sa.Double(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_rollup_checkpoints")),
    )
    op.create_table(
        "rollup_clicks",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("unmet", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day", "ad_id", name=op.f("pk_rollup_clicks")),
    )


def downgrade() -> None:
    op.drop_table("rollup_clicks")
    op.drop_table("rollup_checkpoints")
