"""Fixtures shared by this package's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy.testing import SQLHarness, make_harness
from sql_services import DATABASES, database_url


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    """pytest-docker's compose file: PostgreSQL and MariaDB (only used where Docker exists)."""
    return str(Path(__file__).parent.parent / "docker-compose.yml")


@pytest.fixture(scope="module", params=DATABASES)
def harness(request: pytest.FixtureRequest) -> Iterator[SQLHarness]:
    sql_harness = make_harness(database_url(request.param, request))
    yield sql_harness
    sql_harness.close()


@pytest.fixture
def storage(harness: SQLHarness, request: pytest.FixtureRequest) -> Iterator[SQLStorage]:
    """A store in the test module's own namespace (``test_grant_mark`` -> ``grant-mark``) on
    each database, dropped afterwards."""
    namespace = request.module.__name__.removeprefix("test_").replace("_", "-")
    handle = harness.make_storage(namespace)
    assert isinstance(handle, SQLStorage)
    yield handle
    harness.drop_namespace(namespace)
