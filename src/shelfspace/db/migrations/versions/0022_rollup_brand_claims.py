"""rollup_state.brand_claims: the brand claims attribution last credited under, so that a
claim the operator moves is credited again (catalog/brand_claims.py)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shelfspace.db.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollup_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_claims", shelfspace.db.base.JSONDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rollup_state", schema=None) as batch_op:
        batch_op.drop_column("brand_claims")
