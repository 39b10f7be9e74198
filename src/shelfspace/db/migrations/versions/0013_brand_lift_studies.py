"""brand lift studies: a survey question about a campaign's brand

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfspace.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "brand_lift_studies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("answers", JSON_DOCUMENT, nullable=False),
        sa.Column("correct_answer", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_brand_lift_studies_advertiser_id_advertisers")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_brand_lift_studies_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_lift_studies")),
    )
    op.create_index(op.f("ix_brand_lift_studies_advertiser_id"), "brand_lift_studies", ["advertiser_id"])
    op.create_index(op.f("ix_brand_lift_studies_campaign_id"), "brand_lift_studies", ["campaign_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_brand_lift_studies_campaign_id"), table_name="brand_lift_studies")
    op.drop_index(op.f("ix_brand_lift_studies_advertiser_id"), table_name="brand_lift_studies")
    op.drop_table("brand_lift_studies")
