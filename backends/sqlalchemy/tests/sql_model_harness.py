"""A harness for storages built with ``create_storage`` over an application's own models."""

from __future__ import annotations

import threading

from oauth2_core_sqlalchemy import (
    ModelStorage,
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2RevokedGrantMixin,
    OAuth2TokenMixin,
    create_storage,
)
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy.testing import SQLHarness, unreachable_url
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")


class AppClient(Base, OAuth2ClientMixin):
    __tablename__ = "app_oauth2_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))


class AppCode(Base, OAuth2AuthorizationCodeMixin):
    __tablename__ = "app_oauth2_code"
    id: Mapped[int] = mapped_column(primary_key=True)


class AppToken(Base, OAuth2TokenMixin):
    __tablename__ = "app_oauth2_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The suite's users are not rows of app_user, so no foreign key constraint here.
    user: Mapped[User | None] = relationship(
        User, primaryjoin="foreign(AppToken.user_id) == User.id", viewonly=True
    )


class AppRevokedGrant(Base, OAuth2RevokedGrantMixin):
    __tablename__ = "app_oauth2_revoked_grant"


class ModelHarness:
    """Namespaces as in ``SQLHarness`` (file / schema / database), tables from the models."""

    def __init__(self, url: str | None = None) -> None:
        self._sql = SQLHarness(url)
        self.name = f"sqlalchemy application models ({self._sql.backend})"
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def _engine(self, namespace: str) -> Engine:
        engine = self._engines.get(namespace)
        if engine is None:
            engine = build_engine(self._sql.empty_namespace_url(namespace))
            Base.metadata.create_all(engine)
            self._engines[namespace] = engine
        return engine

    def make_storage(self, namespace: str) -> ModelStorage:
        with self._lock:
            engine = self._engine(namespace)
        return create_storage(
            sessionmaker(bind=engine),
            client_model=AppClient,
            token_model=AppToken,
            code_model=AppCode,
            revoked_grant_model=AppRevokedGrant,
        )

    def drop_namespace(self, namespace: str) -> None:
        with self._lock:
            engine = self._engines.pop(namespace, None)
        if engine is not None:
            engine.dispose()
        self._sql.drop_namespace(namespace)

    def raw_dump(self, namespace: str) -> str:
        with self._lock:
            engine = self._engine(namespace)
        with engine.connect() as conn:
            return "\n".join(
                f"{table.name}: {dict(row)!r}"
                for table in Base.metadata.sorted_tables
                for row in conn.execute(select(table)).mappings()
            )

    def make_unreachable_storage(self) -> ModelStorage:
        engine = build_engine(unreachable_url(self._sql.url))
        return create_storage(
            engine,
            client_model=AppClient,
            token_model=AppToken,
            code_model=AppCode,
            revoked_grant_model=AppRevokedGrant,
        )

    def close(self) -> None:
        for namespace in list(self._engines):
            self.drop_namespace(namespace)
        self._sql.close()
