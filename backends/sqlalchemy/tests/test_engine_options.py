"""URLs, registry entry points, and SQLite's per-connection settings."""

from __future__ import annotations

import math
from importlib.metadata import entry_points
from pathlib import Path
from threading import Thread

import pytest
from oauth2_core_sqlalchemy import SchemaMissing, SQLStorage
from oauth2_core_sqlalchemy._engine import _utc_session_options, build_engine, parse_url

from oauth2_core.errors import ConfigurationError
from oauth2_core.storage import open_storage

SCHEMES = [
    "sqlite",
    "postgresql",
    "postgresql+psycopg",
    "mysql",
    "mysql+pymysql",
    "mariadb",
    "mariadb+pymysql",
]


def test_every_scheme_is_registered() -> None:
    registered = {ep.name: ep.value for ep in entry_points(group="oauth2_core.storage")}
    for scheme in SCHEMES:
        assert registered[scheme] == "oauth2_core_sqlalchemy:open_storage"
    harnesses = {ep.name: ep.value for ep in entry_points(group="oauth2_conformance.harnesses")}
    assert harnesses["sqlalchemy"] == "oauth2_core_sqlalchemy.testing:make_harness"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mariadb+pymysql"),
        ("sqlite:///x.db", "sqlite+pysqlite"),
    ],
)
def test_default_drivers(url: str, driver: str) -> None:
    assert parse_url(url)[0].drivername == driver


def test_options_are_taken_off_the_url() -> None:
    url, settings = parse_url(
        "postgresql://u@h/db?pool_timeout=0.5&pre_ping=true&pool_size=3"
        "&ping_after_idle=2.5&pool_recycle=-1"
    )
    assert settings.pool_timeout == 0.5 and settings.pre_ping and settings.pool_size == 3
    assert settings.ping_after_idle == 2.5 and settings.pool_recycle == -1
    assert dict(url.query) == {}


def test_stale_connection_defaults() -> None:
    _, settings = parse_url("postgresql://u@h/db")
    assert not settings.pre_ping  # a ping per operation doubled the round trips
    assert settings.ping_after_idle == 1.0 and settings.pool_recycle == 3600
    assert parse_url("postgresql://u@h/db?ping_after_idle=inf")[1].ping_after_idle == math.inf
    for bad in ("-1", "nan", "soon"):
        with pytest.raises(ConfigurationError, match=r"ping_after_idle|bad option"):
            parse_url(f"postgresql://u@h/db?ping_after_idle={bad}")


def test_implicit_creation_only_for_sqlite() -> None:
    with pytest.raises(ConfigurationError, match="SQLite in development"):
        parse_url("postgresql://u@h/db?create=dev")
    with pytest.raises(ConfigurationError, match="unsupported"):
        parse_url("oracle://u@h/db")


def test_sqlite_dev_mode_creates_the_schema(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/dev.db?create=dev")
    assert isinstance(storage, SQLStorage)
    storage.check_schema()
    storage.close()
    plain = open_storage(f"sqlite:///{tmp_path}/plain.db")
    with pytest.raises(SchemaMissing, match="upgrade"):
        plain.query_client("x")
    plain.close()


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path}/pragmas.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_for_all_threads() -> None:
    storage = open_storage("sqlite://?create=dev")
    assert isinstance(storage, SQLStorage)
    seen: list[object] = []
    thread = Thread(target=lambda: seen.append(storage.query_client("x")))
    thread.start()
    thread.join()
    assert seen == [None]
    storage.close()


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (None, "-c TimeZone=UTC"),
        ("-csearch_path=app", "-csearch_path=app -c TimeZone=UTC"),
        ("-c timezone=Europe/Paris", None),  # the URL chose a zone: left alone
    ],
)
def test_postgresql_sessions_are_put_in_utc_unless_the_url_chooses_a_zone(
    given: str | None, sent: str | None
) -> None:
    assert _utc_session_options(given) == sent
