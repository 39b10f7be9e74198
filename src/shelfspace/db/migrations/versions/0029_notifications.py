"""notices, notice_preferences, notice_emails: what brands are told (creatives reviewed,
budgets and funds running low or spent, campaigns started and ended), each person's choice
of in the app or by e-mail per kind, and the e-mails waiting to be sent

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

KINDS = (
    "creative_approved",
    "creative_rejected",
    "budget_low",
    "budget_spent",
    "funds_low",
    "funds_spent",
    "campaign_started",
    "campaign_ended",
)


def _kind() -> sa.Enum:
    return sa.Enum(*KINDS, name="noticekind", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("advertiser_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_notices_advertiser_id_advertisers")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("kind", "subject_id", "period", name="uq_notices_kind_subject_period"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "notice_preferences",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notice_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notice_preferences")),
    )

    op.create_table(
        "notice_emails",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", shelfspace.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_emails_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notice_emails_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_emails")),
        sa.UniqueConstraint("notice_id", "user_id", name="uq_notice_emails_notice_user"),
    )
    with op.batch_alter_table("notice_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_emails_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("notice_emails")
    op.drop_table("notice_preferences")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_advertiser_id"))
    op.drop_table("notices")
