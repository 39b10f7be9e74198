"""lift studies: who each holdout campaign met, by group; campaigns flagged as tests

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lift_study_users",
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("study_group", sa.String(length=16), nullable=False),
        sa.Column("eligible_at", sa.Float(), nullable=False),
        sa.Column("exposed_at", sa.Float(), nullable=True),
        sa.Column("exposures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "user_id", name=op.f("pk_lift_study_users")),
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("is_test")
    op.drop_table("lift_study_users")
