"""The schema: one table each for clients, authorization codes and token records, plus the
marks ``revoke_grant`` leaves.

A grant is not a table of its own: it is the indexed ``grant_id`` column of codes and tokens,
which is all ``revoke_grant`` needs (one indexed UPDATE per table) and saves a write per
authorization. Only a *revoked* grant gets a row, in ``oauth2_revoked_grants``: until
``until``, a ``save_token`` of that grant stores its record already revoked (the storage
contract's mark, ``REVOKED_GRANT_MARK_SECONDS``). ``tokens.expires_at`` is the record's whole
lifetime (tombstone included), so purging is one range scan on one index. Alembic migrations
in ``migrations/`` create exactly this metadata; a test compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from oauth2_core_sqlalchemy._types import StringTuple, UTCDateTime, key

__all__ = ["Tables", "default_tables", "metadata"]

_DIGEST = 64  # hex SHA-256 (oauth2_core.tokens)

metadata = sa.MetaData()

clients = sa.Table(
    "oauth2_clients",
    metadata,
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

authorization_codes = sa.Table(
    "oauth2_authorization_codes",
    metadata,
    sa.Column("code_hash", key(_DIGEST), primary_key=True),
    sa.Column("client_id", key(), nullable=False),
    sa.Column("user_id", key(), nullable=False),
    sa.Column("redirect_uri", sa.Text(), nullable=True),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("grant_id", key(_DIGEST), nullable=False, index=True),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("code_challenge_method", sa.String(16), nullable=True),
    sa.Column("consumed_at", UTCDateTime(), nullable=True),
)

tokens = sa.Table(
    "oauth2_tokens",
    metadata,
    sa.Column("access_token_hash", key(_DIGEST), primary_key=True),
    sa.Column("refresh_token_hash", key(_DIGEST), nullable=True, unique=True),
    sa.Column("client_id", key(), nullable=False),
    sa.Column("user_id", key(), nullable=True),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("grant_id", key(_DIGEST), nullable=False, index=True),
    sa.Column("grant_type", sa.String(64), nullable=False),
    sa.Column("token_type", sa.String(32), nullable=False),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
    sa.Column("access_expires_at", UTCDateTime(), nullable=False),
    sa.Column("refresh_expires_at", UTCDateTime(), nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("rotated_at", UTCDateTime(), nullable=True),
)

revoked_grants = sa.Table(
    "oauth2_revoked_grants",
    metadata,
    sa.Column("grant_id", key(_DIGEST), primary_key=True),
    sa.Column("until", UTCDateTime(), nullable=False, index=True),
)


@dataclass(frozen=True, slots=True)
class Tables:
    """The four tables a storage works on: ours, or an application's mapped models."""

    clients: sa.Table
    codes: sa.Table
    tokens: sa.Table
    revoked_grants: sa.Table


def default_tables() -> Tables:
    return Tables(
        clients=clients, codes=authorization_codes, tokens=tokens, revoked_grants=revoked_grants
    )
