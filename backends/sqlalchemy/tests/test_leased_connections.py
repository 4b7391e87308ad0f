"""On PostgreSQL and MariaDB each thread keeps its request-path connection checked out of the
pool between statements, a lease (``_thread_connections``): the pool still counts it, at most
``pool_size - 1`` threads hold one, a thread gives it back before a transaction, and a lease
passes the checks a checkout would (disposed pool, invalidation, recycle, a dead session)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from oauth2_conformance.records import make_token
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import EngineSettings, build_engine
from oauth2_core_sqlalchemy._thread_connections import (
    LeasedConnections,
    thread_connections,
)
from oauth2_core_sqlalchemy.testing import SQLHarness
from server_sessions import driver_session_id, kill, server_only
from threads_at_once import run_together, while_alive

from oauth2_core.errors import StorageUnavailable

NOW = datetime(2030, 1, 1, tzinfo=UTC)
NAMESPACE = "leases"


@pytest.fixture
def open_store(harness: SQLHarness) -> Iterator[Any]:
    server_only(harness)
    harness.make_storage(NAMESPACE).close()
    opened: list[SQLStorage] = []

    def open_with(**options: Any) -> SQLStorage:
        settings = replace(EngineSettings(pool_timeout=0.5), **options)
        store = SQLStorage(build_engine(harness.namespace_url(NAMESPACE), settings))
        opened.append(store)
        return store

    yield open_with
    for store in opened:
        store.close()
    harness.drop_namespace(NAMESPACE)


def _session(store: SQLStorage) -> int:
    """The server session this thread's next request-path statement runs on."""
    held = store._runner._checkout()
    return driver_session_id(held.dbapi_connection)


def test_leases_stop_one_short_of_the_pool_and_go_back_when_threads_end(
    open_store: Any,
) -> None:
    store = open_store(pool_size=3, max_overflow=0)
    assert isinstance(store._runner._threads, LeasedConnections)
    checked_out: list[int] = []
    queried = threading.Barrier(4, timeout=10)

    def work(_: int) -> None:
        assert store.query_client("c") is None
        queried.wait()  # every per-statement checkout has been given back
        checked_out.append(store.engine.pool.checkedout())  # type: ignore[attr-defined]

    assert run_together(4, work, hold=True) == []
    # Two leases: the other two threads checked out per statement and gave back at once.
    assert checked_out == [2, 2, 2, 2]
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # The thread-locals went with their threads, and the leases with them.
    assert store._runner._threads._leased == 0


def test_a_thread_gives_its_lease_back_before_a_transaction(open_store: Any) -> None:
    store = open_store(pool_size=2, max_overflow=0)
    with store.engine.connect():  # someone else holds the pool's other connection
        assert store.query_client("c") is None  # this thread's lease: the last one
        assert store.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        # A transaction needs a connection of its own: the lease goes back for it.
        store.revoke_grant("g", now=NOW)
        assert store.query_client("c") is None


def test_store_close_gives_every_lease_back(open_store: Any) -> None:
    store = open_store(pool_size=4, max_overflow=0)

    def close_with_leases_out() -> None:
        assert store.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        store._runner.close()
        assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    while_alive(2, lambda: store.query_client("c"), close_with_leases_out)


@pytest.mark.parametrize(
    "ping_after_idle", [pytest.param(math.inf, id="socket-check"), pytest.param(0, id="idle")]
)
def test_a_lease_whose_session_was_killed_is_replaced_before_use(
    open_store: Any, harness: SQLHarness, ping_after_idle: float
) -> None:
    store = open_store(pool_size=2, max_overflow=0, ping_after_idle=ping_after_idle)
    assert store.query_client("c") is None
    killed = _session(store)
    kill(harness, killed)
    assert store.query_client("c") is None  # the next operation does not notice
    assert _session(store) != killed


def test_a_lease_whose_driver_connection_was_closed_is_replaced_before_use(
    open_store: Any,
) -> None:
    """The socket check keeps a poll object per lease: a closed connection (no socket) must
    still fail it, not pass on the old descriptor."""
    store = open_store(pool_size=2, max_overflow=0, ping_after_idle=math.inf)
    assert store.query_client("c") is None
    held = store._runner._checkout()
    held.dbapi_connection.close()
    assert store.query_client("c") is None
    assert store._runner._checkout() is not held


def test_a_lease_that_dies_in_use_fails_its_operation_and_the_others_are_retired(
    open_store: Any, harness: SQLHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing on the socket (a silent death): the statement fails with a typed error, and
    the disconnect retires every connection opened before it, other threads' leases too."""
    store = open_store(pool_size=3, max_overflow=0, ping_after_idle=math.inf)
    other_thread = ThreadPoolExecutor(1)
    try:
        assert other_thread.submit(store.query_client, "c").result() is None
        other_session = other_thread.submit(_session, store).result()
        assert store.query_client("c") is None
        killed = _session(store)
        kill(harness, killed)
        monkeypatch.setattr(
            "oauth2_core_sqlalchemy._thread_connections._Lease.pending_input", lambda _: False
        )
        with pytest.raises(StorageUnavailable) as raised:
            store.query_token("0" * 64, now=NOW)
        assert isinstance(raised.value.__cause__, sa.exc.DBAPIError)
        assert raised.value.__cause__.connection_invalidated
        assert store.query_client("c") is None
        assert _session(store) != killed
        # The other thread's lease is older than the invalidation: not used again.
        assert other_thread.submit(_session, store).result() != other_session
        assert other_thread.submit(store.query_client, "c").result() is None
    finally:
        other_thread.shutdown()


def test_a_lease_older_than_pool_recycle_is_renewed(open_store: Any) -> None:
    store = open_store(pool_size=2, max_overflow=0, pool_recycle=3600)
    token = make_token(now=NOW).record
    store.save_token(token, now=NOW)
    held = store._runner._checkout()
    before = driver_session_id(held.dbapi_connection)
    # An hour and a bit later, as the pool's clock sees it.
    held.started -= 3700
    held.proxy._connection_record.starttime -= 3700
    assert store.query_token(token.access_token_hash, now=NOW) == token
    assert _session(store) != before


def test_a_lease_from_a_disposed_pool_is_not_used_again(open_store: Any) -> None:
    store = open_store(pool_size=2, max_overflow=0)
    assert store.query_client("c") is None
    before = _session(store)
    store.engine.dispose()
    assert store.query_client("c") is None
    assert _session(store) != before


@pytest.mark.parametrize(
    ("settings", "leased"),
    [
        (EngineSettings(), True),
        (EngineSettings(pre_ping=True), False),  # a ping per checkout was asked for
        (EngineSettings(pool_size=1), False),  # nothing would be left for anyone else
    ],
)
def test_which_server_engines_lease(
    harness: SQLHarness, settings: EngineSettings, leased: bool
) -> None:
    server_only(harness)
    engine = build_engine(harness.url, settings)
    try:
        assert isinstance(thread_connections(engine), LeasedConnections) is leased
    finally:
        engine.dispose()
    someone_elses = sa.create_engine(harness.url)  # without build_engine's stale checks
    try:
        assert thread_connections(someone_elses) is None
    finally:
        someone_elses.dispose()


def test_a_lease_idle_too_long_is_pinged_once_and_kept(open_store: Any) -> None:
    store = open_store(pool_size=2, max_overflow=0, ping_after_idle=60)
    pings: list[object] = []
    ping = store.engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    store.engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    assert store.query_client("c") is None
    held = store._runner._checkout()
    before = driver_session_id(held.dbapi_connection)
    assert store.query_client("c") is None
    assert pings == []  # in use within the minute: no ping
    # Its last statement two minutes ago: back to the pool as idle since then, so the
    # checkout pings it; alive, it is the same session, leased again.
    held.proxy.info["oauth2_core_last_statement"] -= 120
    assert store.query_client("c") is None
    assert len(pings) == 1
    assert _session(store) == before


def test_a_lease_in_steady_use_stays_the_same_lease_past_ping_after_idle(
    open_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle time counts from the last statement, not from when the lease was taken: a lease
    used every 0.6 s is never sent back to the pool (and pinged there) under a 1 s limit."""
    store = open_store(pool_size=2, max_overflow=0, ping_after_idle=1)
    clock = [time.monotonic()]
    monkeypatch.setattr(
        "oauth2_core_sqlalchemy._thread_connections.time",
        SimpleNamespace(monotonic=lambda: clock[0], time=time.time),
    )
    assert store.query_client("c") is None
    lease = store._runner._checkout()
    for _ in range(5):
        clock[0] += 0.6
        assert store.query_client("c") is None
    assert store._runner._checkout() is lease
    clock[0] += 1.5  # now idle past the limit: given back, and a new lease taken
    assert store.query_client("c") is None
    assert store._runner._checkout() is not lease
