"""HTML banners: a banner creative may carry HTML5 markup instead of an image

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.drop_column("html")
