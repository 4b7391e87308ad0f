"""Clients, authorization codes and token records.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oauth2_core_sqlalchemy._types import StringTuple, UTCDateTime, key

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth2_clients",
        sa.Column("client_id", key(), primary_key=True),
        sa.Column("client_secret_hash", sa.String(255), nullable=True),
        sa.Column("redirect_uris", StringTuple(), nullable=False),
        sa.Column("grant_types", StringTuple(), nullable=False),
        sa.Column("response_types", StringTuple(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(64), nullable=False),
        sa.Column("client_name", sa.Text(), nullable=False),
        sa.Column("can_introspect", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "oauth2_authorization_codes",
        sa.Column("code_hash", key(64), primary_key=True),
        sa.Column("client_id", key(), nullable=False),
        sa.Column("user_id", key(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("grant_id", key(64), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(16), nullable=True),
        sa.Column("consumed_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_oauth2_authorization_codes_grant_id", "oauth2_authorization_codes", ["grant_id"]
    )
    op.create_index(
        "ix_oauth2_authorization_codes_expires_at", "oauth2_authorization_codes", ["expires_at"]
    )
    op.create_table(
        "oauth2_tokens",
        sa.Column("access_token_hash", key(64), primary_key=True),
        sa.Column("refresh_token_hash", key(64), nullable=True, unique=True),
        sa.Column("client_id", key(), nullable=False),
        sa.Column("user_id", key(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("grant_id", key(64), nullable=False),
        sa.Column("grant_type", sa.String(64), nullable=False),
        sa.Column("token_type", sa.String(32), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("access_expires_at", UTCDateTime(), nullable=False),
        sa.Column("refresh_expires_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("rotated_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_oauth2_tokens_grant_id", "oauth2_tokens", ["grant_id"])
    op.create_index("ix_oauth2_tokens_expires_at", "oauth2_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("oauth2_tokens")
    op.drop_table("oauth2_authorization_codes")
    op.drop_table("oauth2_clients")
