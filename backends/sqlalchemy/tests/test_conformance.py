"""The shared conformance suite on SQLite (file), PostgreSQL, MariaDB, and the mixin models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oauth2_conformance import ConformanceSuite, Harness
from oauth2_core_sqlalchemy.testing import make_harness
from sql_model_harness import ModelHarness
from sql_services import database_url


def _harness(kind: str, request: pytest.FixtureRequest) -> Iterator[Harness]:
    harness = make_harness(database_url(kind, request))
    yield harness
    harness.close()


class TestSQLite(ConformanceSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _harness("sqlite", request)


class TestPostgreSQL(ConformanceSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _harness("postgresql", request)


class TestMariaDB(ConformanceSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _harness("mariadb", request)


def _model_harness(kind: str, request: pytest.FixtureRequest) -> Iterator[Harness]:
    harness = ModelHarness(database_url(kind, request))
    yield harness
    harness.close()


class TestModelsSQLite(ConformanceSuite):
    """An application's own declarative models (mixins + ``create_storage``)."""

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _model_harness("sqlite", request)


class TestModelsPostgreSQL(ConformanceSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _model_harness("postgresql", request)


class TestModelsMariaDB(ConformanceSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, request: pytest.FixtureRequest) -> Iterator[Harness]:
        yield from _model_harness("mariadb", request)
