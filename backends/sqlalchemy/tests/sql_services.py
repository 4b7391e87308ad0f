"""Which database each test runs on (ARCHITECTURE.md section 5).

Order: ``OAUTH2_TEST_<SERVICE>_URL``, then the local default; where neither answers and a
Docker engine exists, ``docker-compose.yml`` (pytest-docker); otherwise skip, or fail under
``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from oauth2_conformance.services import port_open, resolve_service_url
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy.testing import SQLHarness

__all__ = [
    "DATABASES",
    "MARIADB_DEFAULT",
    "POSTGRESQL_DEFAULT",
    "database_url",
    "mariadb_by_mysql_url",
]

POSTGRESQL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_DEFAULT = "mariadb+pymysql://root@127.0.0.1:3306/test"
DATABASES = ("sqlite", "postgresql", "mariadb")

_SERVICES = {
    "postgresql": (POSTGRESQL_DEFAULT, "postgresql+psycopg://postgres@{host}:{port}/test", 5432),
    "mariadb": (MARIADB_DEFAULT, "mariadb+pymysql://root@{host}:{port}/test", 3306),
}


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname is not None and port_open(parts.hostname, parts.port or 0)


def _connects(url: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _from_docker(request: pytest.FixtureRequest, kind: str) -> str:
    _, template, container_port = _SERVICES[kind]
    services = request.getfixturevalue("docker_services")
    host = request.getfixturevalue("docker_ip")
    url = template.format(host=host, port=services.port_for(kind, container_port))
    services.wait_until_responsive(check=lambda: _connects(url), timeout=90.0, pause=1.0)
    return url


def database_url(kind: str, request: pytest.FixtureRequest | None = None) -> str | None:
    """``None`` (a temporary SQLite directory) or the URL of a reachable server."""
    if kind == "sqlite":
        return None
    default, _, _ = _SERVICES[kind]
    configured = [u for u in (os.environ.get(f"OAUTH2_TEST_{kind.upper()}_URL"), default) if u]
    if request is not None and shutil.which("docker") and not any(map(_answers, configured)):
        return _from_docker(request, kind)
    return resolve_service_url(kind, default)


@contextlib.contextmanager
def mariadb_by_mysql_url(harness: SQLHarness, namespace: str) -> Iterator[SQLStorage]:
    """A store on the harness's MariaDB through a ``mysql+pymysql://`` URL, which names no
    server flavour (the dialect learns it at its first connection), not yet connected."""
    if harness.backend != "mariadb":
        pytest.skip("a mysql:// URL on MariaDB")
    harness.make_storage(namespace)  # the schema
    url = harness.namespace_url(namespace).set(drivername="mysql+pymysql")
    store = SQLStorage(build_engine(url))
    try:
        yield store
    finally:
        store.close()
        harness.drop_namespace(namespace)
