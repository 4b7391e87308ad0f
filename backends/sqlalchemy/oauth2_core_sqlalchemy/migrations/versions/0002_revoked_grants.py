"""Marks left by revoke_grant: saves of a revoked grant are stored revoked until ``until``.

Revision ID: 0002_revoked_grants
Revises: 0001_initial
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oauth2_core_sqlalchemy._types import UTCDateTime, key

revision = "0002_revoked_grants"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth2_revoked_grants",
        sa.Column("grant_id", key(64), primary_key=True),
        sa.Column("until", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_oauth2_revoked_grants_until", "oauth2_revoked_grants", ["until"])


def downgrade() -> None:
    op.drop_table("oauth2_revoked_grants")
