"""``SQLStorage``: the package's own schema on SQLite, PostgreSQL or MariaDB/MySQL."""

from __future__ import annotations

from sqlalchemy.engine import URL, Engine

from oauth2_core_sqlalchemy import schema
from oauth2_core_sqlalchemy._engine import build_engine, parse_url
from oauth2_core_sqlalchemy._store import SQLStore
from oauth2_core_sqlalchemy.errors import UPGRADE_HINT, SchemaMissing
from oauth2_core_sqlalchemy.tables import default_tables

__all__ = ["SQLStorage", "open_storage"]


class SQLStorage(SQLStore):
    """Storage on the ``oauth2_*`` tables created by this package's Alembic migrations.

    Opening never touches the database (an outage surfaces as ``StorageUnavailable`` on the
    first operation, which the engine answers with 503). Call ``upgrade_schema()`` once per
    deployment, or open a SQLite URL with ``?create=dev`` to have it done on open.
    """

    def __init__(self, engine: Engine, *, owns_engine: bool = True) -> None:
        super().__init__(engine, default_tables(), owns_engine=owns_engine)

    @classmethod
    def from_url(cls, url: str | URL) -> SQLStorage:
        _, settings = parse_url(url)
        storage = cls(build_engine(url, settings))
        if settings.create_dev:
            storage.upgrade_schema()
        return storage

    def upgrade_schema(self) -> None:
        """Alembic ``upgrade head``; idempotent."""
        schema.upgrade(self.engine)

    def check_schema(self) -> None:
        """Raise ``SchemaMissing`` (naming the fix) unless the schema is at the newest revision."""
        current = schema.current_revision(self.engine)
        if current != schema.head_revision():
            found = "no oauth2-core schema" if current is None else f"schema revision {current}"
            raise SchemaMissing(f"database has {found}: {UPGRADE_HINT}")


def open_storage(url: str) -> SQLStorage:
    """Entry point of the ``oauth2_core.storage`` registry for every SQL scheme."""
    return SQLStorage.from_url(url)
