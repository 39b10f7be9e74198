"""creatives.replaces_id: a creative sent in place of another (a rejected one, most often),
which is archived then: the review queue shows what the new one replaces and why that was
rejected

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(op.f("fk_creatives_replaces_id_creatives"), "creatives", ["replaces_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_creatives_replaces_id_creatives"), type_="foreignkey")
        batch_op.drop_column("replaces_id")
