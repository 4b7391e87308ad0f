"""purge_expired: bounded batches, and tombstones kept until their own expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from oauth2_core_sqlalchemy import SQLStorage
from sqlalchemy import event

from oauth2_core.models import AlreadyConsumed, AuthorizationCode, Reused, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _code(expires_at: datetime) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=hash_code("client", generate_token()),
        client_id="client",
        user_id="alice",
        redirect_uri=None,
        scope="read",
        grant_id=new_grant_id(),
        issued_at=NOW - timedelta(minutes=5),
        expires_at=expires_at,
    )


def _token(access_expires_at: datetime, refresh_expires_at: datetime | None = None) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="client",
        scope="read",
        grant_id=new_grant_id(),
        grant_type="authorization_code",
        issued_at=NOW - timedelta(hours=2),
        access_expires_at=access_expires_at,
        refresh_token_hash=hash_token(generate_token()) if refresh_expires_at else None,
        refresh_expires_at=refresh_expires_at,
    )


def test_purge_deletes_in_bounded_batches(storage: SQLStorage) -> None:
    earlier = NOW - timedelta(hours=3)
    for _ in range(5):
        storage.save_authorization_code(_code(NOW - SECOND), now=earlier)
    for _ in range(3):
        storage.save_token(_token(NOW - SECOND), now=earlier)
    deletes: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    event.listen(storage.engine, "after_cursor_execute", count)
    assert storage.purge_expired(now=NOW, batch_size=2) == 8
    assert deletes, "purge issued no DELETE"
    assert max(deletes) <= 2
    # codes: 2, 2, 1 (short batch ends the table); tokens: 2, 1; grant marks: none
    assert deletes == [2, 2, 1, 2, 1, 0]
    assert storage.purge_expired(now=NOW, batch_size=2) == 0


def test_purge_keeps_tombstones_until_their_own_expiry(storage: SQLStorage) -> None:
    earlier = NOW - timedelta(minutes=1)
    consumed = _code(NOW + 30 * SECOND)
    storage.save_authorization_code(consumed, now=earlier)
    storage.consume_authorization_code(consumed.code_hash, now=earlier)
    # Access expired, refresh still valid, rotated: the refresh digest must stay a tombstone.
    rotated = _token(NOW - SECOND, NOW + timedelta(days=1))
    successor = _token(NOW + timedelta(hours=1), NOW + timedelta(days=1))
    successor = replace(successor, grant_id=rotated.grant_id)
    storage.save_token(rotated, now=earlier)
    assert rotated.refresh_token_hash is not None
    storage.rotate_refresh_token(rotated.refresh_token_hash, successor, now=earlier)
    revoked = _token(NOW + timedelta(hours=1))
    storage.save_token(revoked, now=earlier)
    storage.revoke_token(revoked.access_token_hash, now=earlier)

    assert storage.purge_expired(now=NOW, batch_size=1) == 0
    assert isinstance(
        storage.consume_authorization_code(consumed.code_hash, now=NOW), AlreadyConsumed
    )
    replay = storage.rotate_refresh_token(rotated.refresh_token_hash, _token(NOW), now=NOW)
    assert isinstance(replay, Reused)

    later = NOW + timedelta(days=2)
    assert storage.purge_expired(now=later, batch_size=1) == 4
    assert storage.query_refresh_token(rotated.refresh_token_hash, now=NOW) is None
