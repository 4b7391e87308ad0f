"""Identifiers as VARBINARY on MariaDB/MySQL: ``utf8mb4_bin`` ignores trailing spaces.

Databases created before this revision keep their key columns as ``VARCHAR ... utf8mb4_bin``
(PAD SPACE), where ``'app '`` finds client ``'app'``. This converts them to VARBINARY holding
the same UTF-8 bytes (check ``CLIENT-007``). Other dialects already compare exactly: no-op.

Revision ID: 0003_binary_identifiers
Revises: 0002_revoked_grants
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_binary_identifiers"
down_revision = "0002_revoked_grants"
branch_labels = None
depends_on = None

# (table, column, characters, nullable); VARBINARY holds up to 4 UTF-8 bytes per character.
_COLUMNS = (
    ("oauth2_clients", "client_id", 255, False),
    ("oauth2_authorization_codes", "code_hash", 64, False),
    ("oauth2_authorization_codes", "client_id", 255, False),
    ("oauth2_authorization_codes", "user_id", 255, False),
    ("oauth2_authorization_codes", "grant_id", 64, False),
    ("oauth2_tokens", "access_token_hash", 64, False),
    ("oauth2_tokens", "refresh_token_hash", 64, True),
    ("oauth2_tokens", "client_id", 255, False),
    ("oauth2_tokens", "user_id", 255, True),
    ("oauth2_tokens", "grant_id", 64, False),
    ("oauth2_revoked_grants", "grant_id", 64, False),
)


def _convert(to_binary: bool) -> None:
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return
    for table, column, characters, nullable in _COLUMNS:
        new_type: mysql.VARBINARY | mysql.VARCHAR = (
            mysql.VARBINARY(characters * 4)
            if to_binary
            else mysql.VARCHAR(characters, charset="utf8mb4", collation="utf8mb4_bin")
        )
        op.alter_column(table, column, type_=new_type, existing_nullable=nullable)


def upgrade() -> None:
    _convert(to_binary=True)


def downgrade() -> None:
    _convert(to_binary=False)
