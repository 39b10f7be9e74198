"""case studies: the operator's headline and narrative for a campaign, and its share link

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_studies",
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("share_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_case_studies_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_case_studies")),
        sa.UniqueConstraint("share_token", name=op.f("uq_case_studies_share_token")),
    )


def downgrade() -> None:
    op.drop_table("case_studies")
