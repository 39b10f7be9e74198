"""catalogue, accounts and audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:18:26.873833
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shelfspace.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advertisers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "active", "suspended", "archived", name="advertiserstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advertisers")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column(
            "changes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_log_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "placements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "app", "search", "video", "ctv", "email", "instore", name="channel", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "format",
            sa.Enum("banner", "native", "sponsored_product", "video", name="adformat", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "sizes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("floor_cpm_micros", sa.BigInteger(), nullable=False),
        sa.Column("max_ads", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "archived", name="placementstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=300), nullable=True),
        sa.Column("price_micros", sa.BigInteger(), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("archived_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_brand"), ["brand"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("role", sa.Enum("operator", "advertiser", name="role", native_enum=False, length=32), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("revoked_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_api_keys_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("budget_total_micros", sa.BigInteger(), nullable=False),
        sa.Column("budget_daily_micros", sa.BigInteger(), nullable=True),
        sa.Column("pacing", sa.Enum("even", "asap", name="pacing", native_enum=False, length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum("live", "paused", "archived", name="deliverystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_campaigns_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.Enum("operator", "advertiser", name="role", native_enum=False, length=32), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["advertiser_id"], ["advertisers.id"], name=op.f("fk_users_advertiser_id_advertisers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "line_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pricing", sa.Enum("cpm", "cpc", name="pricing", native_enum=False, length=32), nullable=False),
        sa.Column("bid_micros", sa.BigInteger(), nullable=False),
        sa.Column(
            "targeting", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "frequency_cap",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "products", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("live", "paused", "archived", name="deliverystatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_line_items_advertiser_id_advertisers")
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_line_items_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_items")),
    )
    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_items_advertiser_id"), ["advertiser_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_line_items_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "creatives",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("line_item_id", sa.String(length=40), nullable=True),
        sa.Column(
            "format",
            sa.Enum("banner", "native", "sponsored_product", "video", name="adformat", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("size", sa.String(length=20), nullable=True),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("click_url", sa.String(length=2048), nullable=True),
        sa.Column("media_url", sa.String(length=2048), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="reviewstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_creatives_advertiser_id_advertisers")
        ),
        sa.ForeignKeyConstraint(["line_item_id"], ["line_items.id"], name=op.f("fk_creatives_line_item_id_line_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creatives")),
    )
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_creatives_advertiser_id"), ["advertiser_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_creatives_line_item_id"), ["line_item_id"], unique=False)

    op.create_table(
        "line_item_placements",
        sa.Column("line_item_id", sa.String(length=40), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["line_items.id"],
            name=op.f("fk_line_item_placements_line_item_id_line_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placements.id"], name=op.f("fk_line_item_placements_placement_id_placements")
        ),
        sa.PrimaryKeyConstraint("line_item_id", "placement_id", name=op.f("pk_line_item_placements")),
    )
    with op.batch_alter_table("line_item_placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_item_placements_placement_id"), ["placement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("line_item_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_item_placements_placement_id"))

    op.drop_table("line_item_placements")
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creatives_line_item_id"))
        batch_op.drop_index(batch_op.f("ix_creatives_advertiser_id"))

    op.drop_table("creatives")
    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_items_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_line_items_advertiser_id"))

    op.drop_table("line_items")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_advertiser_id"))

    op.drop_table("users")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_advertiser_id"))

    op.drop_table("campaigns")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_advertiser_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category"))
        batch_op.drop_index(batch_op.f("ix_products_brand"))

    op.drop_table("products")
    op.drop_table("placements")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_object")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("advertisers")
