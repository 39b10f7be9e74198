"""teams and access: team roles on users and API keys (and when a key was last used),
invitations, password resets, TOTP second factors with recovery codes, the network's
sign-in policy, sessions waiting for a second factor, the brand each audit entry concerns;
brands still waiting for approval lose the unlimited credit they were given at sign-up

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

TEAM_ROLES = ("admin", "ad_ops", "finance", "campaign_manager", "reporting")


def _team_role() -> sa.Enum:
    return sa.Enum(*TEAM_ROLES, name="teamrole", native_enum=False, length=32)


def _role() -> sa.Enum:
    return sa.Enum("operator", "advertiser", name="role", native_enum=False, length=32)


def _time(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, shelfspace.db.base.UTCDateTime(timezone=True), nullable=nullable)


# Whose object each audited kind is, for the entries written before the column existed.
OWNERS = {
    "advertiser": "SELECT id FROM advertisers WHERE advertisers.id = audit_log.object_id",
    "campaign": "SELECT advertiser_id FROM campaigns WHERE campaigns.id = audit_log.object_id",
    "line_item": "SELECT c.advertiser_id FROM line_items l JOIN campaigns c ON c.id = l.campaign_id "
    "WHERE l.id = audit_log.object_id",
    "creative": "SELECT advertiser_id FROM creatives WHERE creatives.id = audit_log.object_id",
    "audience": "SELECT advertiser_id FROM audiences WHERE audiences.id = audit_log.object_id",
    "user": "SELECT advertiser_id FROM users WHERE users.id = audit_log.object_id",
    "api_key": "SELECT advertiser_id FROM api_keys WHERE api_keys.id = audit_log.object_id",
}


def upgrade() -> None:
    for table in ("users", "api_keys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("team_role", _team_role(), nullable=False, server_default="admin"))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(_time("last_used_at"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(_time("totp_enabled_at"))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_factor_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("advertiser_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_advertiser_id"), ["advertiser_id"], unique=False)
    for kind, owner in OWNERS.items():
        op.execute(
            sa.text(f"UPDATE audit_log SET advertiser_id = ({owner}) WHERE object_type = :kind").bindparams(kind=kind)
        )

    op.create_table(
        "invites",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", _role(), nullable=False),
        sa.Column("team_role", _team_role(), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=True),
        sa.Column("invited_by", sa.String(length=80), nullable=False),
        _time("created_at", nullable=False),
        _time("expires_at", nullable=False),
        _time("accepted_at"),
        _time("revoked_at"),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_invites_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invites_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_invites_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "password_resets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _time("created_at", nullable=False),
        _time("expires_at", nullable=False),
        _time("used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        _time("used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "access_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_two_factor_required", sa.Boolean(), nullable=False, server_default=sa.false()),
        _time("updated_at"),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_policy")),
    )

    # A brand waiting for approval has no credit: terms are the operator's to set when approving.
    op.execute(
        sa.text("UPDATE advertisers SET billing_mode = 'prepaid', credit_limit_micros = NULL WHERE status = 'pending'")
    )


def downgrade() -> None:
    op.drop_table("access_policy")
    op.drop_table("recovery_codes")
    op.drop_table("password_resets")
    op.drop_table("invites")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_advertiser_id"))
        batch_op.drop_column("advertiser_id")
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_column("second_factor_pending")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
    for table in ("users", "api_keys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("team_role")
