"""advertiser brands: the catalogue brands an advertiser owns, for halo attribution

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brands", JSON_DOCUMENT, nullable=False, server_default="[]"))
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.alter_column("brands", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.drop_column("brands")
