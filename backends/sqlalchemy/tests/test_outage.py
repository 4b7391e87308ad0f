"""Failure behaviour: a database that is down or saturated gives typed, chained errors and
the engine's 503, never a traceback; connections the server dropped while they sat in the
pool are replaced before use, and one dropped while in use fails its operation at once."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import EngineSettings, build_engine
from oauth2_core_sqlalchemy.testing import SQLHarness
from server_sessions import driver_session_id, kill, server_only, session_id

from oauth2_core import AuthorizationServer
from oauth2_core.errors import StorageUnavailable
from oauth2_core.requests import OAuth2Request

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _operations(storage: SQLStorage) -> list[Any]:
    return [
        lambda: storage.query_client("c"),
        lambda: storage.query_token("0" * 64, now=NOW),
        lambda: storage.consume_authorization_code("0" * 64, now=NOW),
        lambda: storage.revoke_grant("g", now=NOW),
        lambda: storage.purge_expired(now=NOW),
    ]


def test_unreachable_database_raises_storage_unavailable(harness: SQLHarness) -> None:
    storage = harness.make_unreachable_storage()
    assert isinstance(storage, SQLStorage)
    try:
        for operation in _operations(storage):
            with pytest.raises(StorageUnavailable) as raised:
                operation()
            assert isinstance(raised.value.__cause__, sa.exc.SQLAlchemyError)
    finally:
        storage.close()


def test_exhausted_pool_raises_storage_unavailable(harness: SQLHarness) -> None:
    harness.make_storage("pool").close()
    settings = EngineSettings(pool_size=1, max_overflow=0, pool_timeout=0.1)
    storage = SQLStorage(build_engine(harness.namespace_url("pool"), settings))
    try:
        with storage.engine.connect():
            with pytest.raises(StorageUnavailable, match="pool timeout") as raised:
                storage.query_client("c")
            assert isinstance(raised.value.__cause__, sa.exc.TimeoutError)
        assert storage.query_client("c") is None
    finally:
        storage.close()
        harness.drop_namespace("pool")


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(EngineSettings(ping_after_idle=math.inf), id="socket-check"),
        pytest.param(EngineSettings(ping_after_idle=0), id="idle-ping"),
        pytest.param(EngineSettings(pre_ping=True), id="pre-ping"),
    ],
)
def test_idle_connection_killed_by_the_server_is_replaced(
    harness: SQLHarness, settings: EngineSettings
) -> None:
    """A restart or a proxy drops pooled sessions: the next operation must not notice."""
    server_only(harness)
    harness.make_storage("dropped").close()
    settings = replace(settings, pool_size=1, max_overflow=0)
    storage = SQLStorage(build_engine(harness.namespace_url("dropped"), settings))
    try:
        with storage.engine.connect() as conn:
            killed = session_id(harness, conn)
        kill(harness, killed)
        assert storage.query_client("c") is None
        with storage.engine.connect() as conn:
            assert session_id(harness, conn) != killed
    finally:
        storage.close()
        harness.drop_namespace("dropped")


def test_idle_connection_is_pinged_and_busy_one_is_not(harness: SQLHarness) -> None:
    server_only(harness)
    harness.make_storage("idle").close()
    pings: list[object] = []
    for ping_after_idle, expected in ((0.0, 2), (math.inf, 0)):
        settings = EngineSettings(pool_size=1, max_overflow=0, ping_after_idle=ping_after_idle)
        storage = SQLStorage(build_engine(harness.namespace_url("idle"), settings))
        ping = storage.engine.dialect.do_ping

        def counting_ping(dbapi_connection: Any, ping: Any = ping) -> bool:
            pings.append(dbapi_connection)
            return bool(ping(dbapi_connection))

        storage.engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
        try:
            for _ in range(3):  # the first checkout is a new connection: nothing to check
                assert storage.query_client("c") is None
            assert len(pings) == expected
        finally:
            pings.clear()
            storage.close()
    harness.drop_namespace("idle")


@pytest.mark.parametrize("pre_ping", [False, True])
@pytest.mark.parametrize("path", ["direct", "instrumented"])
def test_connection_killed_while_in_use_raises_storage_unavailable(
    harness: SQLHarness, pre_ping: bool, path: str
) -> None:
    """Killed after the checkout checks, before its statement: a typed, chained error at once
    (no retry of a statement whose fate is unknown), and the pool heals for the next call.
    ``direct``: the request path's DBAPI execution (``_direct``), the session killed by a pool
    checkout listener registered after the stale checks; ``instrumented``: an engine with a
    cursor listener, which takes SQLAlchemy's own execution path."""
    server_only(harness)
    harness.make_storage("hot").close()
    settings = EngineSettings(pool_size=1, max_overflow=0, pre_ping=pre_ping)
    storage = SQLStorage(build_engine(harness.namespace_url("hot"), settings))
    killed: list[int] = []

    def kill_first_statement(conn: sa.Connection, *_: Any) -> None:
        if not killed:
            killed.append(0)  # before _session_id's own statement comes through here
            killed[0] = session_id(harness, conn)
            kill(harness, killed[0])

    def kill_first_checkout(dbapi_connection: Any, *_: Any) -> None:
        if not killed:
            killed.append(driver_session_id(dbapi_connection))
            kill(harness, killed[0])

    try:
        assert storage.query_client("c") is None  # connected before the listener exists
        if path == "direct":
            sa.event.listen(storage.engine.pool, "checkout", kill_first_checkout)
            assert not storage._runner._instrumented()
        else:
            sa.event.listen(storage.engine, "before_cursor_execute", kill_first_statement)
        with pytest.raises(StorageUnavailable) as raised:
            storage.query_token("0" * 64, now=NOW)
        assert killed
        assert isinstance(raised.value.__cause__, sa.exc.DBAPIError)
        assert raised.value.__cause__.connection_invalidated
        assert storage.query_client("c") is None
    finally:
        storage.close()
        harness.drop_namespace("hot")


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_engine_answers_503_when_the_database_is_down(harness: SQLHarness) -> None:
    server = AuthorizationServer(harness.make_unreachable_storage())
    form = {"grant_type": "client_credentials", "scope": "read"}
    token_request = OAuth2Request(
        "POST",
        "/token",
        {
            "Authorization": _basic("client", "secret"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        form=form,
    )
    response = server.create_token_response(token_request)
    assert response.status == 503
    assert json.loads(response.body)["error"] == "temporarily_unavailable"
    assert any(name.lower() == "retry-after" for name, _ in response.headers)
    assert b"SELECT" not in response.body and b"Traceback" not in response.body

    revoke_request = OAuth2Request(
        "POST",
        "/revoke",
        {
            "Authorization": _basic("client", "secret"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        form={"token": "whatever"},
    )
    assert server.create_revocation_response(revoke_request).status == 503
