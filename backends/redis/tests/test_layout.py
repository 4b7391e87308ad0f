"""Key layout, TTLs relative to the engine's clock, cluster slots, URLs and clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from oauth2_core_redis import RedisStorage
from oauth2_core_redis._connect import split_prefix
from oauth2_core_redis.local_servers import LocalCluster, free_port
from oauth2_core_redis.testing import RedisHarness
from redis import Redis, RedisCluster

from oauth2_core import FakeClock
from oauth2_core.errors import StorageUnavailable
from oauth2_core.models import AuthorizationCode, Client, Consumed, Reused, Rotated, Token
from oauth2_core.storage import open_storage
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

TEN_YEARS_AHEAD = datetime.now(UTC) + timedelta(days=3652)


def _code(grant_id: str, now: datetime, lifetime: timedelta) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=hash_code("c1", generate_token()),
        client_id="c1",
        user_id="u1",
        redirect_uri="https://app.example.com/cb",
        scope="read",
        grant_id=grant_id,
        issued_at=now,
        expires_at=now + lifetime,
    )


def _token(grant_id: str, now: datetime, access: timedelta, refresh: timedelta) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope="read",
        grant_id=grant_id,
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + access,
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=now + refresh,
    )


@pytest.fixture
def namespace(harness: RedisHarness, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"layout-{request.node.name}"
    yield name
    harness.drop_namespace(name)


def test_ttls_follow_the_engines_clock_not_the_servers(
    harness: RedisHarness, namespace: str
) -> None:
    clock = FakeClock(TEN_YEARS_AHEAD)
    storage = harness.make_storage(namespace)
    now, grant = clock.now(), new_grant_id()
    code = _code(grant, now, timedelta(seconds=600))
    token = _token(grant, now, timedelta(hours=1), timedelta(days=2))
    storage.save_client(Client(client_id="c1"))
    storage.save_authorization_code(code, now=now)
    storage.save_token(token, now=now)
    assert isinstance(storage.consume_authorization_code(code.code_hash, now=now), Consumed)
    admin = harness._admin
    keys = storage.keys
    expected_ms = {
        keys.code_pointer(code.code_hash): 600_000,
        keys.code(grant, code.code_hash): 600_000,  # the tombstone lives as long as the code
        keys.grant_codes(grant): 600_000,
        keys.access_pointer(token.access_token_hash): 2 * 86_400_000,
        keys.refresh_pointer(str(token.refresh_token_hash)): 2 * 86_400_000,
        keys.token(grant, token.access_token_hash): 2 * 86_400_000,
        keys.grant_tokens(grant): 2 * 86_400_000,
    }
    for key, ttl in expected_ms.items():
        left = admin.pttl(key)
        assert ttl - 60_000 < left <= ttl, (key, left)
    assert admin.pttl(keys.client("c1")) == -1  # clients never expire
    assert storage.query_token(token.access_token_hash, now=now) == token
    storage.close()


def test_grant_index_lives_as_long_as_its_longest_member(
    harness: RedisHarness, namespace: str
) -> None:
    storage = harness.make_storage(namespace)
    now, grant = FakeClock().now(), new_grant_id()
    storage.save_token(_token(grant, now, timedelta(hours=1), timedelta(days=9)), now=now)
    storage.save_token(_token(grant, now, timedelta(hours=1), timedelta(days=1)), now=now)
    assert harness._admin.pttl(storage.keys.grant_tokens(grant)) > 8 * 86_400_000
    storage.close()


def test_keys_of_one_grant_share_a_cluster_slot(
    cluster_harness: RedisHarness, redis_cluster: LocalCluster
) -> None:
    storage = cluster_harness.make_storage("slots")
    now, grant = FakeClock().now(), new_grant_id()
    first = _token(grant, now, timedelta(hours=1), timedelta(days=1))
    second = _token(grant, now, timedelta(hours=1), timedelta(days=1))
    code = _code(grant, now, timedelta(seconds=60))
    storage.save_token(first, now=now)
    storage.save_authorization_code(code, now=now)
    rotated = storage.rotate_refresh_token(str(first.refresh_token_hash), second, now=now)
    assert isinstance(rotated, Rotated)
    storage.revoke_grant(grant, now=now)
    assert storage.query_token(second.access_token_hash, now=now) is None
    admin = cluster_harness._admin
    assert isinstance(admin, RedisCluster)
    keys = storage.keys
    grant_keys = [
        keys.code(grant, code.code_hash),
        keys.token(grant, first.access_token_hash),
        keys.token(grant, second.access_token_hash),
        keys.grant_codes(grant),
        keys.grant_tokens(grant),
    ]
    assert len({admin.keyslot(key) for key in grant_keys}) == 1
    # The pointers spread over the cluster: lookups by digest do not pile up on one node.
    pointers = [keys.access_pointer(first.access_token_hash), keys.code_pointer(code.code_hash)]
    assert all(admin.exists(key) for key in pointers)
    storage.close()
    cluster_harness.drop_namespace("slots")


def test_rotation_into_another_grant_still_swaps_once(
    harness: RedisHarness, namespace: str
) -> None:
    storage = harness.make_storage(namespace)
    now = FakeClock().now()
    old = _token(new_grant_id(), now, timedelta(hours=1), timedelta(days=1))
    new = _token(new_grant_id(), now, timedelta(hours=1), timedelta(days=1))
    storage.save_token(old, now=now)
    result = storage.rotate_refresh_token(str(old.refresh_token_hash), new, now=now)
    assert isinstance(result, Rotated)
    assert storage.query_token(new.access_token_hash, now=now) == new
    again = _token(new.grant_id, now, timedelta(hours=1), timedelta(days=1))
    replay = storage.rotate_refresh_token(str(old.refresh_token_hash), again, now=now)
    assert isinstance(replay, Reused)
    assert storage.query_token(again.access_token_hash, now=now) is None
    storage.close()


def test_prefixes_keep_deployments_apart(harness: RedisHarness) -> None:
    one, two = harness.make_storage("prefix-one"), harness.make_storage("prefix-two")
    try:
        one.save_client(Client(client_id="shared-id"))
        assert two.query_client("shared-id") is None
        two.save_client(Client(client_id="shared-id"))
    finally:
        one.close()
        two.close()
        harness.drop_namespace("prefix-one")
        harness.drop_namespace("prefix-two")


def test_url_prefix_parameter_and_registry(redis_url: str) -> None:
    assert split_prefix("redis://h:1/0?prefix=app&socket_timeout=3") == (
        "redis://h:1/0?socket_timeout=3",
        "app",
    )
    storage = open_storage(redis_url.rstrip("/") + "?prefix=o2test-registry")
    assert isinstance(storage, RedisStorage)
    assert storage.keys.prefix == "o2test-registry"
    storage.close()


def test_cluster_url_opens_a_cluster_client(redis_cluster: LocalCluster) -> None:
    storage = open_storage(redis_cluster.url + "/?prefix=o2test-cluster-url")
    assert isinstance(storage, RedisStorage) and isinstance(storage.redis, RedisCluster)
    assert storage.query_client("nobody") is None
    storage.close()


def test_existing_client_without_decoded_responses(redis_url: str) -> None:
    client = Redis.from_url(redis_url)  # bytes replies
    storage = RedisStorage(client, prefix="o2test-bytes", check_deployment=False)
    now, grant = FakeClock().now(), new_grant_id()
    code = _code(grant, now, timedelta(seconds=60))
    storage.save_client(Client(client_id="c1", redirect_uris=("https://a.example/cb",)))
    storage.save_authorization_code(code, now=now)
    try:
        assert storage.query_client("c1") == Client(
            client_id="c1", redirect_uris=("https://a.example/cb",)
        )
        assert storage.consume_authorization_code(code.code_hash, now=now) == Consumed(
            replace(code, consumed_at=now)
        )
    finally:
        for key in client.scan_iter(match="o2test-bytes:*"):
            client.delete(key)
        for key in client.scan_iter(match="{o2test-bytes:*"):
            client.delete(key)
        client.close()


@pytest.mark.parametrize("prefix", ["", "a{b}", "a b", "a*", "a[b]", "a?", "a\\b"])
def test_invalid_prefix_is_refused(prefix: str) -> None:
    """Braces would move the hash tag; the rest would make maintenance SCAN patterns match
    other prefixes' keys (a backslash escapes the character after it in a glob)."""
    with pytest.raises(ValueError, match="prefix"):
        RedisStorage(Redis(), prefix=prefix)


def test_unreachable_cluster_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailable):
        open_storage(f"redis+cluster://127.0.0.1:{free_port()}")


def _pointer(storage: RedisStorage, token: Token) -> str:
    return str(storage.redis.get(storage.keys.access_pointer(token.access_token_hash)))


def test_an_active_tokens_pointer_carries_its_record_and_a_retired_ones_does_not(
    single: RedisStorage,
) -> None:
    now, grant = FakeClock().now(), new_grant_id()
    revoked, rotated, by_refresh, in_grant = (
        _token(grant, now, timedelta(hours=1), timedelta(days=1)) for _ in range(4)
    )
    for token in (revoked, rotated, by_refresh):
        single.save_token(token, now=now)
        head, newline, copy = _pointer(single, token).partition("\n")
        assert (head, newline) == (f"{int(token.expires_at.timestamp() * 1000)} {grant}", "\n")
        assert copy and single.query_token(token.access_token_hash, now=now) == token
    single.revoke_token(revoked.access_token_hash, now=now)
    successor = _token(new_grant_id(), now, timedelta(hours=1), timedelta(days=1))
    assert isinstance(
        single.rotate_refresh_token(str(rotated.refresh_token_hash), successor, now=now), Rotated
    )
    single.revoke_token(str(by_refresh.refresh_token_hash), now=now)
    single.save_token(in_grant, now=now)
    single.revoke_grant(grant, now=now)
    for token in (revoked, rotated, by_refresh, in_grant):
        assert _pointer(single, token).endswith(f" {grant}\n"), token  # claimed, no copy
        assert single.query_token(token.access_token_hash, now=now) is None
    # Saved while the grant carries revoke_grant's mark: stored revoked, so no copy either.
    late = _token(grant, now, timedelta(hours=1), timedelta(days=1))
    single.save_token(late, now=now)
    assert _pointer(single, late).endswith("\n")
    assert single.query_token(late.access_token_hash, now=now) is None
    assert single.query_token(successor.access_token_hash, now=now) == successor


def test_a_pointer_without_a_copy_is_read_through_its_record(single: RedisStorage) -> None:
    """Pointers written before they carried copies (or by cluster mode) still validate."""
    now = FakeClock().now()
    token = _token(new_grant_id(), now, timedelta(hours=1), timedelta(days=1))
    single.save_token(token, now=now)
    key = single.keys.access_pointer(token.access_token_hash)
    single.redis.set(key, _pointer(single, token).partition("\n")[0], keepttl=True)
    assert single.query_token(token.access_token_hash, now=now) == token
    single.revoke_token(token.access_token_hash, now=now)
    assert single.query_token(token.access_token_hash, now=now) is None


def test_a_grant_id_with_a_newline_is_refused(single: RedisStorage) -> None:
    now = FakeClock().now()
    with pytest.raises(ValueError, match="newline"):
        single.save_token(_token("a\nb", now, timedelta(hours=1), timedelta(days=1)), now=now)
