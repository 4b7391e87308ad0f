"""Authlib's hooks over SQLAlchemy, with the models of ``authlib.integrations.sqla_oauth2``.

This is the deployment Authlib documents: ORM models from its mixins, a scoped session that
each request ends with ``remove()`` (what Flask-SQLAlchemy does at teardown), a commit per
write. It shares the SQLAlchemy ``Engine`` (driver, pool, pragmas) of the store it is
compared with, in tables of its own.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
)
from sqlalchemy import Column, Integer, String
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

from bench.peers.authlib_records import CODE_LIFETIME, PeerClient

__all__ = ["SqlPeerStore"]


class _Base(DeclarativeBase):
    pass


class AuthlibClient(_Base, OAuth2ClientMixin):
    __tablename__ = "authlib_client"
    id = Column(Integer, primary_key=True)


class AuthlibToken(_Base, OAuth2TokenMixin):
    __tablename__ = "authlib_token"
    id = Column(Integer, primary_key=True)
    user_id = Column(String(64))


class AuthlibCode(_Base, OAuth2AuthorizationCodeMixin):
    __tablename__ = "authlib_code"
    id = Column(Integer, primary_key=True)
    user_id = Column(String(64))

    def is_expired(self) -> bool:
        return bool(self.auth_time + CODE_LIFETIME < time.time())


class SqlPeerStore:
    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        if create:
            _Base.metadata.drop_all(engine)
            _Base.metadata.create_all(engine)
        self.session = scoped_session(sessionmaker(bind=engine))

    def put_client(self, client: PeerClient) -> None:
        item = AuthlibClient(client_id=client.client_id, client_secret=client.client_secret)
        item.set_client_metadata({
            "redirect_uris": list(client.redirect_uris), "grant_types": list(client.grant_types),
            "response_types": list(client.response_types), "scope": client.scope,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
        })
        self.session.add(item)
        self.session.commit()
        self.session.remove()

    def get_client(self, client_id: str) -> Any:
        return self.session.query(AuthlibClient).filter_by(client_id=client_id).first()

    def add_token(self, token: dict[str, Any], client_id: str, user_id: str | None) -> None:
        self.session.add(AuthlibToken(client_id=client_id, user_id=user_id, **token))
        self.session.commit()

    def token_by_access(self, access_token: str) -> Any:
        return self.session.query(AuthlibToken).filter_by(access_token=access_token).first()

    def token_by_refresh(self, refresh_token: str) -> Any:
        return self.session.query(AuthlibToken).filter_by(refresh_token=refresh_token).first()

    def add_code(self, fields: dict[str, Any]) -> None:
        self.session.add(AuthlibCode(**fields))
        self.session.commit()

    def code_for(self, code: str, client_id: str) -> Any:
        query = self.session.query(AuthlibCode)
        return query.filter_by(code=code, client_id=client_id).first()

    def delete_code(self, code: Any) -> None:
        self.session.delete(code)
        self.session.commit()

    def revoke(self, token: Any, *, access_only: bool) -> None:
        now = int(time.time())
        token.access_token_revoked_at = now
        if not access_only:
            token.refresh_token_revoked_at = now
        self.session.add(token)
        self.session.commit()

    def end_request(self) -> None:
        self.session.remove()

    def close(self) -> None:
        self.session.remove()
