"""The seed's shape: an application's own models with integer users and a ``user``
relationship, made into a storage by ``create_storage``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from oauth2_core_sqlalchemy import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2RevokedGrantMixin,
    OAuth2TokenMixin,
    create_storage,
)
from oauth2_core_sqlalchemy._engine import build_engine
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    scoped_session,
    sessionmaker,
)

from oauth2_core.errors import ConfigurationError, DuplicateKey, StorageError
from oauth2_core.models import AlreadyConsumed, AuthorizationCode, Client, Consumed, Rotated, Token
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class OAuthClient(Base, OAuth2ClientMixin):
    __tablename__ = "oauth2_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    user: Mapped[User | None] = relationship(User)


class OAuthCode(Base, OAuth2AuthorizationCodeMixin):
    __tablename__ = "oauth2_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))


class OAuthToken(Base, OAuth2TokenMixin):
    __tablename__ = "oauth2_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    user: Mapped[User | None] = relationship(User)


class RevokedGrant(Base, OAuth2RevokedGrantMixin):
    __tablename__ = "oauth2_revoked_grant"


class MarksById(Base):
    __tablename__ = "marks_by_id"
    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(64), unique=True)
    until: Mapped[int] = mapped_column()


MODELS = {
    "client_model": OAuthClient,
    "token_model": OAuthToken,
    "code_model": OAuthCode,
    "revoked_grant_model": RevokedGrant,
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path}/app.db")
    Base.metadata.create_all(engine)
    with sessionmaker(bind=engine)() as session:
        session.add(User(id=42, name="alice"))
        session.commit()
    yield engine
    engine.dispose()


def _token(user_id: str | None = "42", grant_id: str | None = None) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="app-client",
        scope="profile",
        grant_id=grant_id or new_grant_id(),
        grant_type="authorization_code",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
        user_id=user_id,
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=NOW + timedelta(days=1),
    )


def test_seed_models_round_trip_with_integer_users(engine: Engine) -> None:
    Session = scoped_session(sessionmaker(bind=engine))
    storage = create_storage(Session, **MODELS)
    storage.save_client(Client("app-client", redirect_uris=("https://app.example/cb",)))
    with pytest.raises(DuplicateKey):
        storage.save_client(Client("app-client"))
    token = _token()
    storage.save_token(token, now=NOW)
    assert storage.query_token(token.access_token_hash, now=NOW) == token

    # The application's ORM sees the same rows, relationship included.
    row = Session.execute(select(OAuthToken)).scalar_one()
    assert row.user is not None and row.user.name == "alice"
    assert row.access_token_hash == token.access_token_hash
    Session.remove()

    successor = _token(grant_id=token.grant_id)
    assert token.refresh_token_hash is not None
    result = storage.rotate_refresh_token(token.refresh_token_hash, successor, now=NOW)
    assert isinstance(result, Rotated) and result.new == successor
    storage.close()
    assert storage.query_client("app-client") is not None  # the app's engine stays open


def test_code_model_consumes_once(engine: Engine) -> None:
    storage = create_storage(engine, **MODELS)
    code = AuthorizationCode(
        code_hash=hash_token(generate_token()),
        client_id="app-client",
        user_id="42",
        redirect_uri=None,
        scope="profile",
        grant_id=new_grant_id(),
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
    )
    storage.save_authorization_code(code, now=NOW)
    assert isinstance(storage.consume_authorization_code(code.code_hash, now=NOW), Consumed)
    assert isinstance(storage.consume_authorization_code(code.code_hash, now=NOW), AlreadyConsumed)


def test_a_model_without_the_mixin_is_refused(engine: Engine) -> None:
    with pytest.raises(ConfigurationError, match="lacks columns"):
        create_storage(engine, **{**MODELS, "client_model": User})


def test_a_marks_model_keyed_otherwise_is_refused(engine: Engine) -> None:
    with pytest.raises(ConfigurationError, match="grant_id as its primary key"):
        create_storage(engine, **{**MODELS, "revoked_grant_model": MarksById})


def test_a_save_after_revoke_grant_is_stored_revoked(engine: Engine) -> None:
    storage = create_storage(engine, **MODELS)
    grant_id = new_grant_id()
    storage.revoke_grant(grant_id, now=NOW)
    late = _token(grant_id=grant_id)
    storage.save_token(late, now=NOW + timedelta(seconds=1))
    assert storage.query_token(late.access_token_hash, now=NOW) is None
    assert late.refresh_token_hash is not None
    stored = storage.query_refresh_token(late.refresh_token_hash, now=NOW)
    assert stored == replace(late, revoked_at=NOW + timedelta(seconds=1))


def test_a_foreign_key_refusal_is_not_a_duplicate(engine: Engine) -> None:
    storage = create_storage(engine, **MODELS)
    with pytest.raises(StorageError) as raised:
        storage.save_token(_token(user_id="999"), now=NOW)  # no such user row
    assert not isinstance(raised.value, DuplicateKey)
    assert raised.value.__cause__ is not None
