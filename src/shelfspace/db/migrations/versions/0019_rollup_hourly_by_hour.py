"""rollup_hourly indexed by day, hour and campaign: an incremental rollup run reads back the
rows of the hours it touched, not the whole day's

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollup_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_hourly_day_hour_campaign", ["day", "hour", "campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rollup_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_hourly_day_hour_campaign")
