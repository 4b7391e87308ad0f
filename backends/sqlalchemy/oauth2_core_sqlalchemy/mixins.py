"""Declarative mixins for applications that keep OAuth data in their own models.

The seed's shape still works::

    class Client(Base, OAuth2ClientMixin):
        __tablename__ = "oauth2_client"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    class Token(Base, OAuth2TokenMixin):
        __tablename__ = "oauth2_token"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
        user = relationship("User")

    class RevokedGrant(Base, OAuth2RevokedGrantMixin):
        __tablename__ = "oauth2_revoked_grant"

    storage = create_storage(Session, client_model=Client, token_model=Token,
                             code_model=AuthorizationCode, revoked_grant_model=RevokedGrant)

The model supplies its primary key (and may redeclare ``user_id`` with its own type and
foreign key; integer user ids are converted at the boundary). The mixins declare every other
column the contract needs, with the same names and indexes as the package's own tables, and
the storage runs the same single statements on the model's table: the application's own
migrations (Alembic autogenerate sees these columns) own the schema.

``OAuth2RevokedGrantMixin`` is the one exception: its ``grant_id`` is the primary key (the
mark is upserted by it), so its model declares only a table name. It holds the marks
``revoke_grant`` leaves (storage contract: later saves of a revoked grant are stored revoked),
one row per revoked grant, deleted by ``purge_expired`` once past ``until``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from oauth2_core.errors import ConfigurationError
from oauth2_core_sqlalchemy._store import SQLStore
from oauth2_core_sqlalchemy._types import StringTuple, UTCDateTime, key
from oauth2_core_sqlalchemy.tables import Tables, default_tables

__all__ = [
    "ModelStorage",
    "OAuth2AuthorizationCodeMixin",
    "OAuth2ClientMixin",
    "OAuth2RevokedGrantMixin",
    "OAuth2TokenMixin",
    "create_storage",
]

_DIGEST = 64


class OAuth2ClientMixin:
    client_id: Mapped[str] = mapped_column(key(), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(sa.String(255))
    redirect_uris: Mapped[tuple[str, ...]] = mapped_column(StringTuple())
    grant_types: Mapped[tuple[str, ...]] = mapped_column(StringTuple())
    response_types: Mapped[tuple[str, ...]] = mapped_column(StringTuple())
    scope: Mapped[str] = mapped_column(sa.Text())
    token_endpoint_auth_method: Mapped[str] = mapped_column(sa.String(64))
    client_name: Mapped[str] = mapped_column(sa.Text())
    can_introspect: Mapped[bool] = mapped_column(sa.Boolean())
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuth2AuthorizationCodeMixin:
    code_hash: Mapped[str] = mapped_column(key(_DIGEST), unique=True)
    client_id: Mapped[str] = mapped_column(key())
    user_id: Mapped[str] = mapped_column(key())
    redirect_uri: Mapped[str | None] = mapped_column(sa.Text())
    scope: Mapped[str] = mapped_column(sa.Text())
    grant_id: Mapped[str] = mapped_column(key(_DIGEST), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    code_challenge: Mapped[str | None] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(sa.String(16))
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuth2TokenMixin:
    access_token_hash: Mapped[str] = mapped_column(key(_DIGEST), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(key(_DIGEST), unique=True)
    client_id: Mapped[str] = mapped_column(key())
    user_id: Mapped[str | None] = mapped_column(key())
    scope: Mapped[str] = mapped_column(sa.Text())
    grant_id: Mapped[str] = mapped_column(key(_DIGEST), index=True)
    grant_type: Mapped[str] = mapped_column(sa.String(64))
    token_type: Mapped[str] = mapped_column(sa.String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The record's whole life, tombstone included: max(access, refresh) expiry.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuth2RevokedGrantMixin:
    grant_id: Mapped[str] = mapped_column(key(_DIGEST), primary_key=True)
    # Until when saves of this grant are stored revoked (the engine's clock).
    until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ModelStorage(SQLStore):
    """The storage contract on an application's mapped tables; the application owns the
    engine (``close()`` leaves it open) and the schema (its own migrations)."""


def _engine_of(source: Any) -> Engine:
    if isinstance(source, Engine):
        return source
    factory = getattr(source, "session_factory", source)  # scoped_session -> sessionmaker
    bind = getattr(factory, "kw", {}).get("bind")
    if isinstance(bind, Engine):
        return bind
    session = source()
    try:
        found = session.get_bind()
    finally:
        session.close()
    if not isinstance(found, Engine):
        raise ConfigurationError("create_storage needs a session factory bound to an Engine")
    return found


def _table_of(model: Any, like: sa.Table) -> sa.Table:
    table = getattr(model, "__table__", None)
    if not isinstance(table, sa.Table):
        raise ConfigurationError(f"{model!r} is not a mapped declarative model")
    missing = sorted({c.name for c in like.columns} - {c.name for c in table.columns})
    if missing:
        raise ConfigurationError(
            f"model {model.__name__} lacks columns {', '.join(missing)}: use the oauth2 mixin"
        )
    if len(table.primary_key.columns) != 1:
        raise ConfigurationError(f"model {model.__name__} needs a single-column primary key")
    return table


def _marks_table_of(model: Any, like: sa.Table) -> sa.Table:
    table = _table_of(model, like)
    if [c.name for c in table.primary_key.columns] != ["grant_id"]:
        raise ConfigurationError(
            f"model {model.__name__} must have grant_id as its primary key:"
            " use OAuth2RevokedGrantMixin and declare no other primary key"
        )
    return table


def create_storage(
    session_factory: Any,
    *,
    client_model: Any,
    token_model: Any,
    code_model: Any,
    revoked_grant_model: Any,
) -> ModelStorage:
    """A storage over the application's models, sharing its engine (from a ``sessionmaker``,
    a ``scoped_session`` or an ``Engine``). Statements run in autocommit on that engine.

    ``revoked_grant_model`` (``OAuth2RevokedGrantMixin``) holds the marks of revoked grants
    that later ``save_token`` calls honour; the storage contract requires it."""
    ours = default_tables()
    tables = Tables(
        clients=_table_of(client_model, ours.clients),
        codes=_table_of(code_model, ours.codes),
        tokens=_table_of(token_model, ours.tokens),
        revoked_grants=_marks_table_of(revoked_grant_model, ours.revoked_grants),
    )
    engine = _engine_of(session_factory).execution_options(isolation_level="AUTOCOMMIT")
    return ModelStorage(engine, tables, owns_engine=False)
