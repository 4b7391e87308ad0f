"""The storage contract, method by method, with the semantics of the reference MemoryStorage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from mongo_records import make_code, make_token, successor
from oauth2_core_mongo import MongoStorage

from oauth2_core.clock import FakeClock
from oauth2_core.errors import DuplicateKey
from oauth2_core.models import AlreadyConsumed, Client, Consumed, NotFound, Reused, Rotated
from oauth2_core.storage import Capability
from oauth2_core.storage.protocols import (
    DeploymentChecks,
    Maintenance,
    SchemaManagement,
    Storage,
)
from oauth2_core.tokens import hash_client_secret


def test_declares_every_capability_but_transactions(storage: MongoStorage) -> None:
    assert isinstance(storage, Storage)
    assert isinstance(storage, Maintenance)
    assert isinstance(storage, SchemaManagement)
    assert isinstance(storage, DeploymentChecks)
    assert storage.capabilities == frozenset(Capability) - {Capability.TRANSACTIONS}


# -- clients -------------------------------------------------------------------------------
def test_client_round_trip_is_exact_and_case_sensitive(
    storage: MongoStorage, clock: FakeClock
) -> None:
    client = Client(
        client_id="App-1",
        client_secret_hash=hash_client_secret("s3cret", generated=True),
        redirect_uris=("https://a.example/cb", "http://127.0.0.1/cb"),
        grant_types=("authorization_code",),
        scope="read write",
        client_name="App",
        can_introspect=True,
        created_at=clock.now(),
    )
    storage.save_client(client)
    assert storage.query_client("App-1") == client
    assert storage.query_client("app-1") is None
    with pytest.raises(DuplicateKey) as caught:
        storage.save_client(replace(client, client_name="other"))
    assert caught.value.__cause__ is not None
    storage.delete_client("App-1")
    storage.delete_client("App-1")
    assert storage.query_client("App-1") is None


# -- codes ---------------------------------------------------------------------------------
def test_code_is_consumed_once_then_a_tombstone_until_expiry(
    storage: MongoStorage, clock: FakeClock
) -> None:
    code = make_code(clock.now(), lifetime=60)
    storage.save_authorization_code(code, now=clock.now())
    with pytest.raises(DuplicateKey):
        storage.save_authorization_code(code, now=clock.now())
    clock.advance(seconds=1)
    first = storage.consume_authorization_code(code.code_hash, now=clock.now())
    assert first == Consumed(replace(code, consumed_at=clock.now()))
    clock.advance(seconds=58)
    assert storage.consume_authorization_code(code.code_hash, now=clock.now()) == AlreadyConsumed(
        first.code
    )
    clock.advance(seconds=1)
    assert isinstance(storage.consume_authorization_code(code.code_hash, now=clock.now()), NotFound)


def test_expired_unconsumed_code_is_not_found(storage: MongoStorage, clock: FakeClock) -> None:
    code = make_code(clock.now(), lifetime=10)
    storage.save_authorization_code(code, now=clock.now())
    clock.advance(seconds=10)
    assert isinstance(storage.consume_authorization_code(code.code_hash, now=clock.now()), NotFound)
    assert isinstance(storage.consume_authorization_code("0" * 64, now=clock.now()), NotFound)


def test_expired_code_digest_may_be_saved_again(storage: MongoStorage, clock: FakeClock) -> None:
    code = make_code(clock.now(), lifetime=10)
    storage.save_authorization_code(code, now=clock.now())
    clock.advance(seconds=20)
    fresh = replace(code, issued_at=clock.now(), expires_at=clock.now() + timedelta(seconds=10))
    storage.save_authorization_code(fresh, now=clock.now())
    assert storage.consume_authorization_code(code.code_hash, now=clock.now()) == Consumed(
        replace(fresh, consumed_at=clock.now())
    )


# -- tokens --------------------------------------------------------------------------------
def test_token_queries_honour_expiry_and_retirement(
    storage: MongoStorage, clock: FakeClock
) -> None:
    token = make_token(clock.now(), access_lifetime=60, refresh_lifetime=600)
    storage.save_token(token, now=clock.now())
    assert storage.query_token(token.access_token_hash, now=clock.now()) == token
    assert token.refresh_token_hash is not None
    assert storage.query_refresh_token(token.refresh_token_hash, now=clock.now()) == token
    assert storage.query_token(token.refresh_token_hash, now=clock.now()) is None
    assert storage.query_refresh_token(token.access_token_hash, now=clock.now()) is None
    clock.advance(seconds=60)
    assert storage.query_token(token.access_token_hash, now=clock.now()) is None
    assert storage.query_refresh_token(token.refresh_token_hash, now=clock.now()) == token
    clock.advance(seconds=540)
    assert storage.query_refresh_token(token.refresh_token_hash, now=clock.now()) is None


def test_duplicate_token_digests_are_refused(storage: MongoStorage, clock: FakeClock) -> None:
    token = make_token(clock.now())
    storage.save_token(token, now=clock.now())
    with pytest.raises(DuplicateKey):
        storage.save_token(replace(token, grant_id="other"), now=clock.now())
    other = make_token(clock.now())
    with pytest.raises(DuplicateKey):
        storage.save_token(
            replace(other, refresh_token_hash=token.refresh_token_hash), now=clock.now()
        )
    # Tokens without a refresh token do not collide with each other on the refresh index.
    storage.save_token(make_token(clock.now(), refresh_lifetime=None), now=clock.now())
    storage.save_token(make_token(clock.now(), refresh_lifetime=None), now=clock.now())


def test_revoke_token_by_access_or_refresh_digest_is_idempotent(
    storage: MongoStorage, clock: FakeClock
) -> None:
    by_access = make_token(clock.now())
    by_refresh = make_token(clock.now())
    storage.save_token(by_access, now=clock.now())
    storage.save_token(by_refresh, now=clock.now())
    revoked_at = clock.now()
    storage.revoke_token(by_access.access_token_hash, now=revoked_at)
    assert by_refresh.refresh_token_hash is not None
    storage.revoke_token(by_refresh.refresh_token_hash, now=revoked_at)
    clock.advance(seconds=5)
    storage.revoke_token(by_access.access_token_hash, now=clock.now())
    storage.revoke_token("f" * 64, now=clock.now())
    for token in (by_access, by_refresh):
        assert storage.query_token(token.access_token_hash, now=clock.now()) is None
        assert token.refresh_token_hash is not None
        record = storage.query_refresh_token(token.refresh_token_hash, now=clock.now())
        assert record == replace(token, revoked_at=revoked_at)


# -- rotation ------------------------------------------------------------------------------
def test_rotation_is_a_compare_and_swap(storage: MongoStorage, clock: FakeClock) -> None:
    old = make_token(clock.now())
    storage.save_token(old, now=clock.now())
    clock.advance(seconds=30)
    new = successor(old, clock.now())
    assert old.refresh_token_hash is not None
    result = storage.rotate_refresh_token(old.refresh_token_hash, new, now=clock.now())
    retired = replace(old, rotated_at=clock.now())
    assert result == Rotated(retired, new)
    assert storage.query_token(old.access_token_hash, now=clock.now()) is None
    assert storage.query_token(new.access_token_hash, now=clock.now()) == new
    again = successor(old, clock.now())
    assert storage.rotate_refresh_token(old.refresh_token_hash, again, now=clock.now()) == Reused(
        retired
    )
    assert storage.query_token(again.access_token_hash, now=clock.now()) is None


def test_rotation_of_revoked_unknown_or_expired_writes_nothing(
    storage: MongoStorage, clock: FakeClock
) -> None:
    revoked = make_token(clock.now(), refresh_lifetime=100)
    storage.save_token(revoked, now=clock.now())
    storage.revoke_token(revoked.access_token_hash, now=clock.now())
    assert revoked.refresh_token_hash is not None
    attempt = successor(revoked, clock.now())
    result = storage.rotate_refresh_token(revoked.refresh_token_hash, attempt, now=clock.now())
    assert result == Reused(replace(revoked, revoked_at=clock.now()))
    assert isinstance(storage.rotate_refresh_token("0" * 64, attempt, now=clock.now()), NotFound)
    expiring = make_token(clock.now(), refresh_lifetime=100)
    storage.save_token(expiring, now=clock.now())
    clock.advance(seconds=100)
    assert expiring.refresh_token_hash is not None
    result = storage.rotate_refresh_token(expiring.refresh_token_hash, attempt, now=clock.now())
    assert isinstance(result, NotFound)
    assert storage.database["tokens"].count_documents({"_id": attempt.access_token_hash}) == 0


# -- revocation cascade --------------------------------------------------------------------
def test_revoke_grant_retires_tokens_and_unconsumed_codes(
    storage: MongoStorage, clock: FakeClock
) -> None:
    grant = "grant-1"
    used = make_code(clock.now(), grant_id=grant)
    unused = make_code(clock.now(), grant_id=grant)
    bystander = make_code(clock.now(), grant_id="grant-2")
    for code in (used, unused, bystander):
        storage.save_authorization_code(code, now=clock.now())
    consumed = storage.consume_authorization_code(used.code_hash, now=clock.now())
    tokens = [make_token(clock.now(), grant_id=grant) for _ in range(3)]
    other = make_token(clock.now(), grant_id="grant-2")
    for token in (*tokens, other):
        storage.save_token(token, now=clock.now())
    clock.advance(seconds=1)
    storage.revoke_grant(grant, now=clock.now())
    storage.revoke_grant(grant, now=clock.now())
    for token in tokens:
        assert storage.query_token(token.access_token_hash, now=clock.now()) is None
    assert storage.query_token(other.access_token_hash, now=clock.now()) == other
    assert storage.consume_authorization_code(used.code_hash, now=clock.now()) == AlreadyConsumed(
        consumed.code  # type: ignore[union-attr]
    )
    assert storage.consume_authorization_code(unused.code_hash, now=clock.now()) == AlreadyConsumed(
        replace(unused, consumed_at=clock.now())
    )
    assert isinstance(
        storage.consume_authorization_code(bystander.code_hash, now=clock.now()), Consumed
    )


# -- precision and time --------------------------------------------------------------------
def test_millisecond_instants_round_trip_as_aware_utc(storage: MongoStorage) -> None:
    clock = FakeClock(datetime(2031, 5, 6, 7, 8, 9, 123999, tzinfo=UTC))
    token = make_token(clock.now())
    assert token.issued_at.microsecond == 123000
    storage.save_token(token, now=clock.now())
    loaded = storage.query_token(token.access_token_hash, now=clock.now())
    assert loaded == token
    assert loaded is not None
    assert loaded.issued_at.utcoffset() == timedelta(0)


def test_far_skewed_clocks_work_both_ways(storage: MongoStorage) -> None:
    for start in (datetime(2099, 1, 1, tzinfo=UTC), datetime(1990, 1, 1, tzinfo=UTC)):
        clock = FakeClock(start)
        code = make_code(clock.now())
        storage.save_authorization_code(code, now=clock.now())
        assert isinstance(
            storage.consume_authorization_code(code.code_hash, now=clock.now()), Consumed
        )


# -- maintenance and schema ----------------------------------------------------------------
def test_purge_expired_keeps_live_tombstones(storage: MongoStorage, clock: FakeClock) -> None:
    short = [make_code(clock.now(), lifetime=10) for _ in range(5)]
    kept = make_code(clock.now(), lifetime=100)
    for code in (*short, kept):
        storage.save_authorization_code(code, now=clock.now())
    storage.consume_authorization_code(kept.code_hash, now=clock.now())
    retired = make_token(clock.now(), access_lifetime=10, refresh_lifetime=100)
    gone = make_token(clock.now(), access_lifetime=10, refresh_lifetime=None)
    storage.save_token(retired, now=clock.now())
    storage.save_token(gone, now=clock.now())
    storage.revoke_token(retired.access_token_hash, now=clock.now())
    clock.advance(seconds=10)
    assert storage.purge_expired(now=clock.now(), batch_size=2) == 6
    assert storage.purge_expired(now=clock.now()) == 0
    assert isinstance(
        storage.consume_authorization_code(kept.code_hash, now=clock.now()), AlreadyConsumed
    )
    assert retired.refresh_token_hash is not None
    assert storage.query_refresh_token(retired.refresh_token_hash, now=clock.now()) is not None
    with pytest.raises(ValueError, match="batch_size"):
        storage.purge_expired(now=clock.now(), batch_size=0)


def test_values_that_look_like_operators_are_stored_literally(
    storage: MongoStorage, clock: FakeClock
) -> None:
    token = replace(make_token(clock.now()), scope="$read {$x}", user_id="$$NOW")
    storage.save_token(token, now=clock.now())
    assert storage.query_token(token.access_token_hash, now=clock.now()) == token


def test_only_digests_are_stored(storage: MongoStorage, clock: FakeClock) -> None:
    token = make_token(clock.now())
    storage.save_token(token, now=clock.now())
    doc = storage.database["tokens"].find_one({"_id": token.access_token_hash})
    assert doc is not None
    assert doc["refresh_token_hash"] == token.refresh_token_hash
    assert doc["expires_at"] == token.expires_at
