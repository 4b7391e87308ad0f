"""The conformance harness: ``make_harness(url)`` for ``oauth2-conformance --backend sqlalchemy``.

Namespaces are isolated and cheap: a file per namespace on SQLite, a schema per namespace on
PostgreSQL (selected through ``search_path``), a database per namespace on MariaDB/MySQL. Each
is brought up by the package's own Alembic migrations, so the suite checks the shipped schema.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from oauth2_conformance.services import free_port
from sqlalchemy.engine import URL, Engine

from oauth2_core.storage import Storage
from oauth2_core_sqlalchemy._engine import build_engine, parse_url
from oauth2_core_sqlalchemy.storage import SQLStorage
from oauth2_core_sqlalchemy.tables import metadata

__all__ = ["SQLHarness", "make_harness", "unreachable_url"]


def unreachable_url(url: URL) -> URL:
    """The same kind of database at an address where nothing answers."""
    if url.get_backend_name() == "sqlite":
        return url.set(database="/nonexistent-oauth2-core-dir/unreachable.db")
    return url.set(host="127.0.0.1", port=free_port(), query={**url.query, "connect_timeout": "2"})


class SQLHarness:
    """Harness over one database server (or a directory of SQLite files)."""

    def __init__(self, url: str | None = None) -> None:
        self._tmpdir: str | None = None
        if url is None:
            self._tmpdir = tempfile.mkdtemp(prefix="oauth2-sqlite-")
            url = f"sqlite:///{self._tmpdir}/base.db"
        self.url, _ = parse_url(url)
        self.backend = self.url.get_backend_name()
        self.name = f"sqlalchemy ({self.backend})"
        self._lock = threading.Lock()
        self._ready: dict[str, URL] = {}
        self._handles: dict[str, list[SQLStorage]] = {}
        self._admin: Engine | None = None if self.backend == "sqlite" else build_engine(self.url)

    # -- namespaces ----------------------------------------------------------------------
    @staticmethod
    def _identifier(namespace: str) -> str:
        return "oauth2ns_" + hashlib.sha256(namespace.encode()).hexdigest()[:16]

    def _namespace_url(self, namespace: str) -> URL:
        ident = self._identifier(namespace)
        if self.backend == "sqlite":
            base = Path(self.url.database or "oauth2.db")
            return self.url.set(database=str(base.with_name(f"{base.stem}-{ident}.db")))
        if self.backend == "postgresql":
            return self.url.update_query_dict({"options": f"-csearch_path={ident}"})
        return self.url.set(database=ident)

    def _create(self, namespace: str, *, migrate: bool = True) -> URL:
        ident = self._identifier(namespace)
        url = self._namespace_url(namespace)
        if self._admin is not None:
            with self._admin.connect() as conn:
                if self.backend == "postgresql":
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{ident}" CASCADE')
                    conn.exec_driver_sql(f'CREATE SCHEMA "{ident}"')
                else:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{ident}`")
                    conn.exec_driver_sql(f"CREATE DATABASE `{ident}` CHARACTER SET utf8mb4")
        else:
            Path(url.database or "").unlink(missing_ok=True)
        if migrate:
            storage = SQLStorage(build_engine(url))
            try:
                storage.upgrade_schema()
            finally:
                storage.close()
        return url

    def empty_namespace_url(self, namespace: str) -> URL:
        """A fresh namespace without any table (for migration tests); dropped like others."""
        with self._lock:
            url = self._ready[namespace] = self._create(namespace, migrate=False)
        return url

    def namespace_url(self, namespace: str) -> URL:
        """The URL of an existing namespace (created and migrated by ``make_storage``)."""
        with self._lock:
            return self._ready[namespace]

    def make_storage(self, namespace: str) -> Storage:
        with self._lock:
            url = self._ready.get(namespace)
            if url is None:
                url = self._ready[namespace] = self._create(namespace)
            storage = SQLStorage(build_engine(url))
            self._handles.setdefault(namespace, []).append(storage)
        return storage

    def drop_namespace(self, namespace: str) -> None:
        with self._lock:
            for storage in self._handles.pop(namespace, []):
                storage.close()
            url = self._ready.pop(namespace, None)
            ident = self._identifier(namespace)
            if self._admin is not None:
                with self._admin.connect() as conn:
                    if self.backend == "postgresql":
                        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{ident}" CASCADE')
                    else:
                        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{ident}`")
            elif url is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{url.database}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        for namespace in list(self._ready):
            self.drop_namespace(namespace)
        if self._admin is not None:
            self._admin.dispose()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # -- optional hooks ------------------------------------------------------------------
    def raw_dump(self, namespace: str) -> str:
        """Every row of every oauth2 table, expired or not, as text."""
        with self._lock:
            url = self._ready.get(namespace)
        if url is None:
            return ""
        engine = build_engine(url)
        lines: list[str] = []
        try:
            with engine.connect() as conn:
                for table in metadata.sorted_tables:
                    for row in conn.execute(sa.select(table)).mappings():
                        lines.append(f"{table.name}: {dict(row)!r}")
        finally:
            engine.dispose()
        return "\n".join(lines)

    def make_unreachable_storage(self) -> Storage:
        return SQLStorage(build_engine(unreachable_url(self.url)))


def make_harness(url: str | None = None) -> SQLHarness:
    """Entry point of ``oauth2_conformance.harnesses``; ``None`` means temporary SQLite files."""
    return SQLHarness(url)
