"""Statements per operation, per dialect: the minimal counts documented in
docs/backends/sql.md must not creep up, and a connection that is not stale is handed out
without a ping (the server-side count on PostgreSQL comes from ``pg_round_trips.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import EngineSettings, build_engine
from oauth2_core_sqlalchemy.testing import SQLHarness
from sqlalchemy import event

from oauth2_core.models import AuthorizationCode, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

NOW = datetime(2030, 1, 1, tzinfo=UTC)

# operation -> statements on (sqlite, postgresql, mariadb)
EXPECTED = {
    "save_authorization_code": (1, 1, 1),
    "consume (winner)": (1, 1, 1),
    "consume (replay)": (2, 2, 2),
    "save_token": (1, 1, 1),
    "query_token": (1, 1, 1),
    "rotate (winner)": (4, 1, 5),
    "rotate (reuse)": (4, 2, 1),
    "revoke_token": (1, 1, 1),
    "revoke_grant": (5, 3, 5),
    "purge (nothing due)": (3, 3, 3),
}
COLUMN = {"sqlite": 0, "postgresql": 1, "mariadb": 2}


def _token(grant_id: str) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="client",
        scope="read",
        grant_id=grant_id,
        grant_type="authorization_code",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
        user_id="alice",
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=NOW + timedelta(days=1),
    )


@pytest.fixture
def counted(harness: SQLHarness) -> Iterator[tuple[SQLStorage, list[str]]]:
    harness.make_storage("round-trips").close()
    # The default stale-connection checks, with an idle threshold no test step can reach.
    settings = EngineSettings(ping_after_idle=3600)
    engine = build_engine(harness.namespace_url("round-trips"), settings)
    storage = SQLStorage(engine)
    storage.query_client("warm-up")  # first connect runs the dialect's own set-up queries
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        statements.append("<ping>")
        return ping(dbapi_connection)

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    yield storage, statements
    storage.close()
    harness.drop_namespace("round-trips")


def test_statements_per_operation(
    harness: SQLHarness, counted: tuple[SQLStorage, list[str]]
) -> None:
    storage, statements = counted
    first = _token(new_grant_id())
    successor = _token(first.grant_id)
    code = AuthorizationCode(
        code_hash=hash_code("client", generate_token()),
        client_id="client",
        user_id="alice",
        redirect_uri=None,
        scope="read",
        grant_id=first.grant_id,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
    )
    refresh = first.refresh_token_hash or ""
    operations: dict[str, Callable[[], object]] = {
        "save_authorization_code": lambda: storage.save_authorization_code(code, now=NOW),
        "consume (winner)": lambda: storage.consume_authorization_code(code.code_hash, now=NOW),
        "consume (replay)": lambda: storage.consume_authorization_code(code.code_hash, now=NOW),
        "save_token": lambda: storage.save_token(first, now=NOW),
        "query_token": lambda: storage.query_token(first.access_token_hash, now=NOW),
        "rotate (winner)": lambda: storage.rotate_refresh_token(refresh, successor, now=NOW),
        "rotate (reuse)": lambda: storage.rotate_refresh_token(refresh, successor, now=NOW),
        "revoke_token": lambda: storage.revoke_token(successor.access_token_hash, now=NOW),
        "revoke_grant": lambda: storage.revoke_grant(first.grant_id, now=NOW),
        "purge (nothing due)": lambda: storage.purge_expired(now=NOW),
    }
    measured = {}
    for name, operation in operations.items():
        statements.clear()
        operation()
        measured[name] = len(statements)
    expected = {name: counts[COLUMN[harness.backend]] for name, counts in EXPECTED.items()}
    assert measured == expected


def test_a_new_grant_token_is_saved_without_reading_the_marks(
    counted: tuple[SQLStorage, list[str]],
) -> None:
    """``save_token`` reads revoke_grant's mark in its one statement; the first token of a
    grant created by the save cannot be marked, so ``save_new_grant_token`` is a plain INSERT."""
    storage, statements = counted
    storage.save_token(_token(new_grant_id()), now=NOW)
    [marked] = statements
    assert "oauth2_revoked_grants" in marked
    statements.clear()
    token = _token(new_grant_id())
    storage.save_new_grant_token(token, now=NOW)
    [plain] = statements
    assert plain.startswith("INSERT INTO oauth2_tokens")
    assert "oauth2_revoked_grants" not in plain and "advisory" not in plain
    assert storage.query_token(token.access_token_hash, now=NOW) == token
