"""SQLite writers of one process queue on the process's lock for that database file instead of
polling SQLite's own lock (``_engine.writer_lock``). With the busy timeout at zero a writer
that met a locked database would fail at once ("database is locked" -> ``Conflict``), so the
threads below would fail without the lock; with it, every write goes through."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from oauth2_conformance.records import make_code, make_token
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import build_engine, writer_lock
from sqlalchemy import event
from threads_at_once import run_together

from oauth2_core.models import Consumed

NOW = datetime(2030, 1, 1, tzinfo=UTC)
THREADS, ROUNDS = 8, 25


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout = 0")  # after the engine's own pragmas


def _storage(path: Path) -> SQLStorage:
    engine = build_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _no_busy_wait)
    storage = SQLStorage(engine)
    storage.upgrade_schema()
    return storage


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLStorage]:
    handle = _storage(tmp_path / "writers.db")
    yield handle
    handle.close()


def _race(work: Any) -> list[BaseException]:
    def rounds(index: int) -> None:
        for round_ in range(ROUNDS):
            work(index, round_)

    return run_together(THREADS, rounds)


def test_concurrent_writers_of_one_process_never_meet_a_locked_database(
    storage: SQLStorage,
) -> None:
    def work(index: int, round_: int) -> None:
        token = make_token(NOW, grant_id=f"g{index}").record
        storage.save_token(token, now=NOW)
        code = make_code(NOW).record
        storage.save_authorization_code(code, now=NOW)
        assert isinstance(storage.consume_authorization_code(code.code_hash, now=NOW), Consumed)
        storage.revoke_token(token.access_token_hash, now=NOW)
        if round_ % 5 == 0:
            storage.revoke_grant(f"g{index}", now=NOW)
            storage.purge_expired(now=NOW, batch_size=10)  # write statements, nothing due

    assert _race(work) == []


def test_two_handles_on_one_file_share_the_lock(tmp_path: Path) -> None:
    first, second = _storage(tmp_path / "shared.db"), _storage(tmp_path / "shared.db")
    other = _storage(tmp_path / "other.db")
    try:
        assert writer_lock(first.engine) is writer_lock(second.engine)
        assert writer_lock(first.engine) is not writer_lock(other.engine)

        def work(index: int, _round: int) -> None:
            handle = first if index % 2 else second
            handle.save_token(make_token(NOW).record, now=NOW)

        assert _race(work) == []
    finally:
        for handle in (first, second, other):
            handle.close()


def test_other_databases_take_no_lock() -> None:
    engine = build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        lock = writer_lock(engine)
        assert not isinstance(lock, type(threading.RLock()))
    finally:
        engine.dispose()
