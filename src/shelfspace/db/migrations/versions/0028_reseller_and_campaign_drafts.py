"""advertisers.reseller: whether a brand may promote other brands' products (the operator's
to grant); campaign_drafts: campaign wizards a brand saved to finish later

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reseller", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "campaign_drafts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fields", shelfspace.db.base.JSONDocument, nullable=False),
        sa.Column("saved_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_campaign_drafts_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_drafts")),
    )
    with op.batch_alter_table("campaign_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_drafts_advertiser_id"), ["advertiser_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_drafts_advertiser_id"))
    op.drop_table("campaign_drafts")
    with op.batch_alter_table("advertisers", schema=None) as batch_op:
        batch_op.drop_column("reseller")
