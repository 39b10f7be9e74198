"""demand_partners.notice_domains: where a partner's win and billing notices may go

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("demand_partners") as batch:
        # Existing partners get [] (their endpoint's host); the default then goes, as the
        # model has none.
        batch.add_column(
            sa.Column("notice_domains", shelfspace.db.base.JSONDocument, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("demand_partners") as batch:
        batch.alter_column("notice_domains", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("demand_partners") as batch:
        batch.drop_column("notice_domains")
