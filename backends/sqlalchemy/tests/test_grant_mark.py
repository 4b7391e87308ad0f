"""revoke_grant's mark against a concurrent save_token: the lock each server makes the save
take (docs/backends/sql.md, "How the atomic operations work"), shown by holding the revoke's
side open in another connection and watching the save wait for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy._records import token_values
from oauth2_core_sqlalchemy._statements import grant_lock_key
from oauth2_core_sqlalchemy.tables import revoked_grants, tokens
from oauth2_core_sqlalchemy.testing import SQLHarness
from sqlalchemy.engine import Connection

from oauth2_core.models import Token
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

NOW = datetime(2030, 1, 1, tzinfo=UTC)
_WAIT_QUERIES = {
    "postgresql": "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
    # The save's statement at the server, not finished: blocked in the optimizer's locking
    # read of the mark's key.
    "mariadb": (
        "SELECT count(*) FROM information_schema.processlist"
        " WHERE info LIKE 'INSERT INTO oauth2_tokens %%'"
    ),
}


def _token(grant_id: str) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="client",
        scope="read",
        grant_id=grant_id,
        grant_type="authorization_code",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
    )


def _save_while_held(storage: SQLStorage, token: Token, hold: Callable[[Connection], None]) -> None:
    """Run ``hold`` in an open transaction, save ``token`` meanwhile, and check that the save
    waits for that transaction before it commits."""
    query = _WAIT_QUERIES[storage.engine.dialect.name]
    other = build_engine(storage.engine.url)
    try:
        with other.connect() as holder, other.connect() as observer:
            holder.exec_driver_sql("BEGIN")
            hold(holder)
            saver = threading.Thread(target=storage.save_token, args=(token,), kwargs={"now": NOW})
            saver.start()
            deadline = time.monotonic() + 30
            while not observer.exec_driver_sql(query).scalar():
                assert saver.is_alive(), "the save did not wait for the revoke"
                assert time.monotonic() < deadline, "the save never waited"
                time.sleep(0.01)
            assert saver.is_alive()
            holder.exec_driver_sql("COMMIT")
            saver.join(timeout=30)
            assert not saver.is_alive()
    finally:
        other.dispose()


def test_postgresql_save_waits_for_a_revoke_holding_the_grant_lock(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    if harness.backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    token = _token(new_grant_id())

    def hold(conn: Connection) -> None:
        lock = sa.func.pg_advisory_xact_lock(*grant_lock_key(token.grant_id))
        conn.execute(sa.select(lock))

    _save_while_held(storage, token, hold)
    assert storage.query_token(token.access_token_hash, now=NOW) == token


def test_postgresql_revoke_waits_for_a_save_whose_snapshot_predates_the_mark(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    """The interleaving READ COMMITTED allows: the save's snapshot is taken before the mark is
    committed and its row is committed after the revoke's first pass. Here the save is held
    after its snapshot by an uncommitted row with the same digest (its unique check waits);
    the revoke must wait for it through the grant lock, then retire the row it saved."""
    if harness.backend != "postgresql":
        pytest.skip("READ COMMITTED snapshots and the advisory lock are PostgreSQL's")
    token = _token(new_grant_id())
    other = build_engine(storage.engine.url)
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = %s AND NOT granted"
    try:
        with other.connect() as blocker, other.connect() as observer:
            blocker.exec_driver_sql("BEGIN")
            clash = {**token_values(tokens, token), "grant_id": new_grant_id()}
            blocker.execute(sa.insert(tokens).values(clash))
            saver = threading.Thread(target=storage.save_token, args=(token,), kwargs={"now": NOW})
            saver.start()
            _wait_for(lambda: observer.exec_driver_sql(waiting, ("transactionid",)).scalar())
            revoker = threading.Thread(
                target=storage.revoke_grant, args=(token.grant_id,), kwargs={"now": NOW}
            )
            revoker.start()
            # Without the grant lock the revoke would not wait: it would return here, missing
            # the row that the save commits next.
            _wait_for(
                lambda: (
                    not revoker.is_alive()
                    or observer.exec_driver_sql(waiting, ("advisory",)).scalar()
                )
            )
            blocker.exec_driver_sql("ROLLBACK")
            saver.join(timeout=30)
            revoker.join(timeout=30)
    finally:
        other.dispose()
    assert not saver.is_alive() and not revoker.is_alive()
    assert storage.query_token(token.access_token_hash, now=NOW) is None
    with storage.engine.connect() as conn:
        saved = tokens.c.access_token_hash == token.access_token_hash
        assert conn.execute(sa.select(tokens.c.revoked_at).where(saved)).scalar_one() == NOW


def _wait_for(condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the expected lock wait never happened"
        time.sleep(0.01)


def test_mariadb_save_waits_for_an_uncommitted_mark_then_honours_it(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    if harness.backend != "mariadb":
        pytest.skip("InnoDB's locking read of INSERT ... SELECT")
    token = _token(new_grant_id())

    def hold(conn: Connection) -> None:
        until = NOW + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)
        conn.execute(sa.insert(revoked_grants).values(grant_id=token.grant_id, until=until))

    _save_while_held(storage, token, hold)
    assert storage.query_token(token.access_token_hash, now=NOW) is None


def test_mark_keeps_the_later_until_and_is_purged_after_it(storage: SQLStorage) -> None:
    grant_id = new_grant_id()
    later = NOW + timedelta(seconds=60)
    storage.revoke_grant(grant_id, now=later)
    storage.revoke_grant(grant_id, now=NOW)  # an earlier revocation does not shorten the mark
    until = later + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)
    just_before = until - timedelta(milliseconds=1)
    late = _token(grant_id)
    storage.save_token(late, now=just_before)
    assert storage.query_token(late.access_token_hash, now=just_before) is None
    assert storage.purge_expired(now=just_before) == 0
    assert storage.purge_expired(now=until) == 0  # marks are not records
    with storage.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(revoked_grants)).scalar() == 0
    after = _token(grant_id)
    storage.save_token(after, now=until)
    assert storage.query_token(after.access_token_hash, now=until) == after
