"""audiences: segments, contact identities, export audit, forgotten users

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule", shelfspace.db.base.JSONDocument, nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=True),
        sa.Column("iab_segment", sa.String(length=20), nullable=True),
        sa.Column(
            "status",
            sa.Enum("live", "paused", "archived", name="deliverystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_audiences_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
    )
    op.create_index(op.f("ix_audiences_advertiser_id"), "audiences", ["advertiser_id"])
    op.create_table(
        "audience_sizes",
        sa.Column("audience_id", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("targetable", sa.Boolean(), nullable=False),
        sa.Column("counted_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"], ["audiences.id"], name=op.f("fk_audience_sizes_audience_id_audiences")
        ),
        sa.PrimaryKeyConstraint("audience_id", name=op.f("pk_audience_sizes")),
    )
    op.create_table(
        "identities",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_identities")),
    )
    op.create_table(
        "audience_exports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("audience_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"], ["audiences.id"], name=op.f("fk_audience_exports_audience_id_audiences")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_exports")),
    )
    op.create_index(op.f("ix_audience_exports_audience_id"), "audience_exports", ["audience_id"])
    op.create_table(
        "forgotten_users",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("forgotten_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_forgotten_users")),
    )


def downgrade() -> None:
    op.drop_table("forgotten_users")
    op.drop_index(op.f("ix_audience_exports_audience_id"), table_name="audience_exports")
    op.drop_table("audience_exports")
    op.drop_table("identities")
    op.drop_table("audience_sizes")
    op.drop_index(op.f("ix_audiences_advertiser_id"), table_name="audiences")
    op.drop_table("audiences")
