"""dashboard_sessions: sessions kept on the server (the cookie holds only a random token,
the table its SHA-256), so signing out, a password change or an operator ends them at
once; sign_in_attempts: failed sign-ins per account and per address, shared by every
process, for the sign-in throttle

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("flash", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboard_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("failed", "succeeded", "refused", name="signinoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_attempts_account_at", ["account", "at"], unique=False)
        batch_op.create_index("ix_sign_in_attempts_address_at", ["address", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_attempts_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
    op.drop_table("dashboard_sessions")
