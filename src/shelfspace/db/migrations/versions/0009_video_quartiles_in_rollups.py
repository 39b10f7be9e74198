"""video quartiles in rollups: starts, quartiles and completes reported by VAST players

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 08:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("video_starts", "video_first_quartiles", "video_midpoints", "video_third_quartiles", "video_completes")
TABLES = ("rollup_hourly", "rollup_daily")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.add_column(sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.drop_column(column)
