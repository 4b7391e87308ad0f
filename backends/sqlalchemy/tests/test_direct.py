"""The request path's DBAPI execution (``_direct``) against SQLAlchemy's own path: the same
records either way, the direct path taken only while no cursor listener instruments the
engine, and (SQLite's own trace) one statement per lookup or save."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from oauth2_conformance.records import make_code, make_token
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy.testing import SQLHarness

from oauth2_core.errors import DuplicateKey
from oauth2_core.models import AlreadyConsumed, AuthorizationCode, Client, Consumed, Token

NOW = datetime(2030, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)


def _token(**changes: object) -> Token:
    return make_token(NOW, client_id="client", **changes).record


def _code() -> AuthorizationCode:
    return make_code(NOW, client_id="client").record


def _instrument(storage: SQLStorage) -> None:
    sa.event.listen(storage.engine, "before_cursor_execute", lambda *_: None)


def test_a_plain_engine_takes_the_direct_path_an_instrumented_one_does_not(
    storage: SQLStorage,
) -> None:
    assert not storage._runner._instrumented()
    _instrument(storage)
    assert storage._runner._instrumented()


def test_both_paths_store_and_read_the_same_records(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    client = Client(
        client_id="client",
        client_secret_hash=None,
        redirect_uris=("https://app.example/cb",),
        grant_types=("authorization_code",),
        scope="read",
        token_endpoint_auth_method="none",
    )
    storage.save_client(client)
    direct_token, direct_code = _token(), _code()
    storage.save_token(direct_token, now=NOW)
    storage.save_authorization_code(direct_code, now=NOW)
    revoked = _token(revoked_at=NOW)
    storage.save_token(revoked, now=NOW)
    direct_reads = (
        storage.query_client("client"),
        storage.query_token(direct_token.access_token_hash, now=NOW),
        storage.query_refresh_token(direct_token.refresh_token_hash or "", now=NOW),
        storage.query_token(revoked.access_token_hash, now=NOW),
    )

    other = harness.make_storage("direct")  # a second handle, then instrumented
    assert isinstance(other, SQLStorage)
    _instrument(other)
    assert other.query_client("client") == client == direct_reads[0]
    assert other.query_token(direct_token.access_token_hash, now=NOW) == direct_token
    assert direct_reads[1] == direct_token and direct_reads[2] == direct_token
    assert direct_reads[3] is None  # revoked: not active on either path
    instrumented_token, instrumented_code = _token(), _code()
    other.save_token(instrumented_token, now=NOW)
    other.save_authorization_code(instrumented_code, now=NOW)
    assert storage.query_token(instrumented_token.access_token_hash, now=NOW) == (
        instrumented_token
    )

    consumed = storage.consume_authorization_code(instrumented_code.code_hash, now=NOW)
    assert consumed == Consumed(replace(instrumented_code, consumed_at=NOW))
    replayed = other.consume_authorization_code(instrumented_code.code_hash, now=NOW)
    assert replayed == AlreadyConsumed(replace(instrumented_code, consumed_at=NOW))
    consumed = other.consume_authorization_code(direct_code.code_hash, now=NOW)
    assert consumed == Consumed(replace(direct_code, consumed_at=NOW))
    replayed = storage.consume_authorization_code(direct_code.code_hash, now=NOW)
    assert replayed == AlreadyConsumed(replace(direct_code, consumed_at=NOW))


def test_a_grant_mark_is_honoured_on_the_direct_path(storage: SQLStorage) -> None:
    token = _token()
    storage.revoke_grant(token.grant_id, now=NOW)
    storage.save_token(token, now=NOW + timedelta(seconds=1))
    assert storage.query_token(token.access_token_hash, now=NOW) is None
    record = storage.query_refresh_token(token.refresh_token_hash or "", now=NOW)
    assert record is not None and record.revoked_at == NOW + timedelta(seconds=1)


def test_a_duplicate_digest_is_refused_unless_the_old_record_expired(
    storage: SQLStorage,
) -> None:
    token = _token()
    storage.save_token(token, now=NOW)
    with pytest.raises(DuplicateKey):
        storage.save_token(replace(token, refresh_token_hash=None), now=NOW)
    later = NOW + timedelta(days=15)  # past the record's whole lifetime (14 days): reclaimed
    fresh = replace(
        token,
        issued_at=later,
        access_expires_at=later + timedelta(hours=1),
        refresh_expires_at=later + timedelta(days=1),
    )
    storage.save_token(fresh, now=later)
    assert storage.query_token(token.access_token_hash, now=later) == fresh


def test_sqlite_runs_one_statement_per_lookup_and_save(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    if harness.backend != "sqlite":
        pytest.skip("counted with SQLite's own statement trace")
    traced: list[str] = []
    raw = storage.engine.raw_connection()
    try:
        raw.driver_connection.set_trace_callback(traced.append)  # type: ignore[union-attr]
    finally:
        raw.close()  # the pool's only idle connection: the next operations reuse it
    token, code = _token(), _code()
    steps = {
        "query_client": lambda: storage.query_client("nobody"),
        "save_token": lambda: storage.save_token(token, now=NOW),
        "query_token": lambda: storage.query_token(token.access_token_hash, now=NOW),
        "save_authorization_code": lambda: storage.save_authorization_code(code, now=NOW),
        "consume (winner)": lambda: storage.consume_authorization_code(code.code_hash, now=NOW),
    }
    counts = {}
    for name, step in steps.items():
        traced.clear()
        step()
        counts[name] = len(traced)
    assert counts == dict.fromkeys(steps, 1)


def test_postgresql_sessions_run_in_utc_and_read_instants_in_utc_itself(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    if storage.engine.dialect.name != "postgresql":
        pytest.skip("the session time zone is PostgreSQL's")
    with storage.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
    token = _token()
    storage.save_token(token, now=NOW)
    read = storage.query_token(token.access_token_hash, now=NOW)
    assert read == token
    assert read is not None and read.issued_at.tzinfo is UTC


def test_pyformat_drivers_get_positional_statements(storage: SQLStorage) -> None:
    hot = storage._hot
    for prepared in (hot.client, hot.token_by_access, hot.insert_token, hot.consume_code):
        assert "%(" not in prepared.sql
        assert isinstance(prepared.parameters(_values_for(prepared)), tuple)


def _values_for(prepared: object) -> dict[str, object]:
    names = [name for name, _ in prepared._binds]  # type: ignore[attr-defined]
    return dict.fromkeys(names)
