"""SQL storage for oauth2-core through SQLAlchemy 2: SQLite, PostgreSQL, MariaDB/MySQL.

>>> storage = open_storage("postgresql+psycopg://app@db/oauth")
>>> storage.upgrade_schema()  # once per deployment: Alembic upgrade head

Applications that keep OAuth data in their own declarative models use the mixins and
``create_storage(session_factory, client_model=..., token_model=..., code_model=...,
revoked_grant_model=...)``.
"""

from oauth2_core_sqlalchemy._engine import EngineSettings
from oauth2_core_sqlalchemy._engine import build_engine as create_engine
from oauth2_core_sqlalchemy.errors import SchemaMissing
from oauth2_core_sqlalchemy.mixins import (
    ModelStorage,
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2RevokedGrantMixin,
    OAuth2TokenMixin,
    create_storage,
)
from oauth2_core_sqlalchemy.storage import SQLStorage, open_storage

__all__ = [
    "EngineSettings",
    "ModelStorage",
    "OAuth2AuthorizationCodeMixin",
    "OAuth2ClientMixin",
    "OAuth2RevokedGrantMixin",
    "OAuth2TokenMixin",
    "SQLStorage",
    "SchemaMissing",
    "create_engine",
    "create_storage",
    "open_storage",
]
