"""audience_disclosure_secret, audience_size_questions: noise on the sizes brands see, and their daily bound

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audience_disclosure_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_disclosure_secret")),
    )
    op.create_table(
        "audience_size_questions",
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_audience_size_questions_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("advertiser_id", "day", name=op.f("pk_audience_size_questions")),
    )


def downgrade() -> None:
    op.drop_table("audience_size_questions")
    op.drop_table("audience_disclosure_secret")
