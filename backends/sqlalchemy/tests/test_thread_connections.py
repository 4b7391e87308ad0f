"""On a SQLite file the request path's statements run on one connection per thread, detached
from the engine's pool (``_thread_connections``): no pooled checkout per statement, and the
pool keeps its whole capacity for everyone else."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from oauth2_conformance.records import make_token
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy._thread_connections import DetachedConnections, thread_connections
from threads_at_once import run_together, while_alive

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLStorage]:
    # A pool of one with no overflow: threads holding pooled connections would starve it.
    handle = SQLStorage(build_engine(f"sqlite:///{tmp_path / 't.db'}?pool_size=1&max_overflow=0"))
    handle.upgrade_schema()
    yield handle
    handle.close()


def test_each_thread_has_its_own_connection_and_the_pool_stays_free(
    storage: SQLStorage,
) -> None:
    tokens = [make_token(now=NOW).record for _ in range(6)]
    seen: dict[int, sqlite3.Connection] = {}

    def work(index: int) -> None:
        storage.save_token(tokens[index], now=NOW)
        found = storage.query_token(tokens[(index + 1) % 6].access_token_hash, now=NOW)
        # Another thread's write is visible once it returned (autocommit); it may not have yet.
        assert found is None or found == tokens[(index + 1) % 6]
        assert storage.query_token(tokens[index].access_token_hash, now=NOW) == tokens[index]
        seen[index] = storage._runner._checkout().dbapi_connection

    assert run_together(6, work, hold=True) == []
    assert len({id(connection) for connection in seen.values()}) == 6
    assert storage.engine.pool.checkedout() == 0  # six threads, a pool of one, no wait
    for token in tokens:  # and from this thread, on a seventh connection
        assert storage.query_token(token.access_token_hash, now=NOW) == token


def test_close_closes_every_threads_connection(storage: SQLStorage) -> None:
    held: list[sqlite3.Connection] = []

    def work() -> None:
        storage.query_token("0" * 64, now=NOW)
        held.append(storage._runner._checkout().dbapi_connection)

    def close_while_threads_hold_them() -> None:
        storage.close()
        assert len(held) == 3
        for connection in held:  # closed by close(), not by their threads ending
            with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                connection.execute("SELECT 1")

    while_alive(3, work, close_while_threads_hold_them)
    # A store used after close opens a fresh connection for the thread.
    assert storage.query_token("0" * 64, now=NOW) is None


@pytest.mark.parametrize(
    ("url", "wanted"),
    [
        ("sqlite:///{dir}/a.db", True),
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", False),  # StaticPool too
    ],
)
def test_only_sqlite_files_use_thread_connections(tmp_path: Path, url: str, wanted: bool) -> None:
    engine = build_engine(url.format(dir=tmp_path))
    try:
        assert isinstance(thread_connections(engine), DetachedConnections) is wanted
    finally:
        engine.dispose()
