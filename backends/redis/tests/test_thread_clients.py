"""On a single server the request path's commands go over one connection per thread
(``_thread_clients``): taken from the pool once, given back when the thread ends or the storage
closes, and checked before each command as the pool checks at checkout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from oauth2_conformance.records import make_token
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.local_servers import LocalRedis
from oauth2_core_redis.testing import RedisHarness
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from oauth2_core.errors import StorageUnavailable

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def storage(private_redis: LocalRedis) -> Iterator[RedisStorage]:
    handle = RedisStorage.from_url(private_redis.url, check_deployment=False)
    yield handle
    handle.close()


def _in_use(storage: RedisStorage) -> int:
    return len(storage.redis.connection_pool._in_use_connections)  # type: ignore[union-attr]


def _connection_id(storage: RedisStorage) -> int:
    """The server's id of this thread's connection (CLIENT ID over it)."""
    assert storage._threads is not None
    return int(storage._threads.get().client_id())


def test_each_thread_keeps_one_connection_and_gives_it_back_at_its_end(
    storage: RedisStorage,
) -> None:
    token = make_token(now=NOW).record
    storage.save_token(token, now=NOW)
    queried = threading.Barrier(4, timeout=10)
    seen: list[tuple[int, int]] = []

    def work() -> None:
        for _ in range(3):
            assert storage.query_token(token.access_token_hash, now=NOW) == token
        queried.wait()
        seen.append((_connection_id(storage), _in_use(storage)))
        queried.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({connection for connection, _ in seen}) == 4  # one each, kept across commands
    assert {in_use for _, in_use in seen} == {5}  # held and counted, with this thread's
    assert _in_use(storage) == 1  # given back as the threads ended


def test_a_connection_the_server_closed_is_replaced_before_the_next_command(
    storage: RedisStorage, private_redis: LocalRedis
) -> None:
    token = make_token(now=NOW).record
    storage.save_token(token, now=NOW)
    assert storage.query_token(token.access_token_hash, now=NOW) == token
    killed = _connection_id(storage)
    admin = private_redis.client()
    try:
        assert admin.client_kill_filter(_id=str(killed)) == 1
    finally:
        admin.close()
    # The server's close waits on the socket: the next command does not notice it.
    assert storage.query_token(token.access_token_hash, now=NOW) == token
    assert _connection_id(storage) != killed


def test_close_gives_every_threads_connection_back(storage: RedisStorage) -> None:
    held = threading.Barrier(3, timeout=10)
    closed = threading.Event()

    def work() -> None:
        storage.query_client("c")
        held.wait()
        closed.wait(timeout=10)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    held.wait()
    assert _in_use(storage) == 2  # this thread has none yet
    storage._threads.close_all()  # type: ignore[union-attr]
    assert _in_use(storage) == 0
    closed.set()
    for thread in threads:
        thread.join()
    assert storage.query_client("c") is None  # this thread starts again


def test_only_a_single_server_uses_thread_connections(cluster_harness: RedisHarness) -> None:
    storage = cluster_harness.make_storage("thread-clients")
    try:
        assert storage._threads is None
    finally:
        storage.close()


def _kill_after_the_check(storage: RedisStorage, private_redis: LocalRedis,
                          monkeypatch: pytest.MonkeyPatch) -> int:
    """Close this thread's connection from the server, as if just after the pre-command check
    (the check is made to see nothing); the killed connection's id."""
    killed = _connection_id(storage)
    assert storage._threads is not None
    connection = storage._threads.get().connection
    admin = private_redis.client()
    try:
        assert admin.client_kill_filter(_id=str(killed)) == 1
    finally:
        admin.close()
    monkeypatch.setattr(connection, "can_read", lambda timeout=0: False)
    return killed


def test_a_lookup_whose_connection_dies_after_the_check_fails_unavailable_then_reconnects(
    storage: RedisStorage, private_redis: LocalRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(now=NOW).record
    storage.save_token(token, now=NOW)
    killed = _kill_after_the_check(storage, private_redis, monkeypatch)
    # A URL's client retries nothing (a lost script reply must not be replayed), lookups alike.
    with pytest.raises(StorageUnavailable, match="Connection closed by server"):
        storage.query_token(token.access_token_hash, now=NOW)
    monkeypatch.undo()
    assert storage.query_token(token.access_token_hash, now=NOW) == token
    assert _connection_id(storage) != killed


def test_a_lookup_follows_the_retry_policy_of_a_client_given_to_the_storage(
    private_redis: LocalRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Redis.from_url(private_redis.url, retry=Retry(NoBackoff(), 1))
    storage = RedisStorage(client, check_deployment=False)
    try:
        token = make_token(now=NOW).record
        storage.save_token(token, now=NOW)
        killed = _kill_after_the_check(storage, private_redis, monkeypatch)
        assert storage.query_token(token.access_token_hash, now=NOW) == token  # retried
        monkeypatch.undo()
        assert _connection_id(storage) != killed
    finally:
        storage.close()
        client.close()
