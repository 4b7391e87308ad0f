"""revoke_grant's mark: the key ``{P:g:<grant_id>}:revoked`` in the grant's slot, its value
and TTL from the engine's clock, and the saves (plain and rotation) that honour it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from oauth2_core_redis.testing import RedisHarness
from redis import RedisCluster

from oauth2_core import FakeClock
from oauth2_core.clock import to_epoch_ms
from oauth2_core.models import Reused, Rotated, Token
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

MARK_MS = REVOKED_GRANT_MARK_SECONDS * 1000


def _token(grant_id: str, now: datetime) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope="read",
        grant_id=grant_id,
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + timedelta(hours=1),
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=now + timedelta(days=1),
    )


@pytest.fixture
def namespace(harness: RedisHarness, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"mark-{request.node.name}"
    yield name
    harness.drop_namespace(name)


def test_mark_holds_the_engines_until_and_keeps_the_later_one(
    harness: RedisHarness, namespace: str
) -> None:
    storage = harness.make_storage(namespace)
    clock, grant = FakeClock(), new_grant_id()
    mark = storage.keys.grant_revoked(grant)
    admin = harness._admin
    later = clock.now() + timedelta(seconds=30)
    storage.revoke_grant(grant, now=later)
    assert admin.get(mark) == str(to_epoch_ms(later) + MARK_MS)
    assert MARK_MS - 60_000 < admin.pttl(mark) <= MARK_MS
    storage.revoke_grant(grant, now=clock.now())  # an earlier revocation does not shorten it
    assert admin.get(mark) == str(to_epoch_ms(later) + MARK_MS)
    if isinstance(admin, RedisCluster):
        assert admin.keyslot(mark) == admin.keyslot(storage.keys.grant_tokens(grant))
    storage.close()


def test_saves_before_until_are_revoked_at_their_now_and_after_it_active(
    harness: RedisHarness, namespace: str
) -> None:
    storage = harness.make_storage(namespace)
    clock, grant = FakeClock(), new_grant_id()
    storage.revoke_grant(grant, now=clock.now())
    clock.advance(seconds=REVOKED_GRANT_MARK_SECONDS - 0.001)
    late = _token(grant, clock.now())
    storage.save_token(late, now=clock.now())
    stored = storage.query_refresh_token(str(late.refresh_token_hash), now=clock.now())
    assert stored == replace(late, revoked_at=clock.now())
    assert storage.query_token(late.access_token_hash, now=clock.now()) is None
    clock.advance(seconds=0.001)  # until is exclusive: the mark has lapsed
    after = _token(grant, clock.now())
    storage.save_token(after, now=clock.now())
    assert storage.query_token(after.access_token_hash, now=clock.now()) == after
    storage.close()


def test_rotation_into_a_marked_grant_stores_the_new_token_revoked(
    harness: RedisHarness, namespace: str
) -> None:
    """The engine rotates within a grant (the CAS on the revoked old record answers Reused);
    a successor in another, marked grant must still come out inactive."""
    storage = harness.make_storage(namespace)
    now, marked = FakeClock().now(), new_grant_id()
    old = _token(new_grant_id(), now)
    storage.save_token(old, now=now)
    storage.revoke_grant(marked, now=now)
    new = _token(marked, now)
    rotated = storage.rotate_refresh_token(str(old.refresh_token_hash), new, now=now)
    assert isinstance(rotated, Rotated)
    assert storage.query_token(new.access_token_hash, now=now) is None
    stored = storage.query_refresh_token(str(new.refresh_token_hash), now=now)
    assert stored == replace(new, revoked_at=now)
    successor = _token(marked, now)
    again = storage.rotate_refresh_token(str(new.refresh_token_hash), successor, now=now)
    assert isinstance(again, Reused)
    storage.close()
