"""video media files: a creative's MIME type and bitrate, for VAST MediaFiles

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("bitrate_kbps", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.drop_column("bitrate_kbps")
        batch_op.drop_column("media_type")
