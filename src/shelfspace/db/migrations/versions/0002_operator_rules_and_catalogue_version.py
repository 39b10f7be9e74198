"""operator rules (advertiser category and competitors, blocked categories) and the catalogue version

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 05:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfspace.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Existing rows get an empty list through a temporary server default.
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("competitors", JSON_DOCUMENT, nullable=False, server_default="[]"))
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.alter_column("competitors", server_default=None)

    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_categories", JSON_DOCUMENT, nullable=False, server_default="[]"))
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.alter_column("blocked_categories", server_default=None)

    state = op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    op.bulk_insert(state, [{"id": 1, "version": 1, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("catalogue_state")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("blocked_categories")
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.drop_column("competitors")
        batch_op.drop_column("category")
