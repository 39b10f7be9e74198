"""users.email_verified_at: a self-signed-up brand proves its e-mail before it can do
anything (users that already exist were made by an operator or before verification
existed, and count as verified from their creation); signup_attempts: sign-ups per
network address and verification e-mails per user, shared by every process, for the
sign-up throttle

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 23:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE users SET email_verified_at = created_at")

    op.create_table(
        "signup_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "action",
            sa.Enum("sign_up", "verification_email", name="signupaction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_attempts")),
    )
    with op.batch_alter_table("signup_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_signup_attempts_action_key_at", ["action", "key", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_attempts_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("signup_attempts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
