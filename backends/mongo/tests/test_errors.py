"""Driver failures become the engine's typed storage errors, quickly and chained."""

from __future__ import annotations

import socket

import pytest
from mongo_records import make_code
from oauth2_core_mongo import MongoStorage
from oauth2_core_mongo.testing import make_harness
from pymongo.errors import DuplicateKeyError, PyMongoError

from oauth2_core.clock import FakeClock
from oauth2_core.errors import DuplicateKey, StorageUnavailable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_raises_storage_unavailable_within_seconds(clock: FakeClock) -> None:
    storage = MongoStorage.from_url(
        f"mongodb://127.0.0.1:{_closed_port()}/x?directConnection=true",
        serverSelectionTimeoutMS=500,
    )
    try:
        for call in (
            lambda: storage.query_client("a"),
            lambda: storage.query_token("a", now=clock.now()),
            lambda: storage.consume_authorization_code("a", now=clock.now()),
        ):
            with pytest.raises(StorageUnavailable) as caught:
                call()
            assert isinstance(caught.value.__cause__, PyMongoError)
    finally:
        storage.close()


def test_default_server_selection_timeout_is_short() -> None:
    storage = MongoStorage.from_url(f"mongodb://127.0.0.1:{_closed_port()}/x")
    try:
        options = storage.database.client.options
        assert options.server_selection_timeout <= 5
        connect_timeout = options.pool_options.connect_timeout
        assert connect_timeout is not None
        assert connect_timeout <= 5
    finally:
        storage.close()


def test_duplicate_key_is_chained_to_the_driver_error(
    storage: MongoStorage, clock: FakeClock
) -> None:
    code = make_code(clock.now())
    storage.save_authorization_code(code, now=clock.now())
    with pytest.raises(DuplicateKey) as caught:
        storage.save_authorization_code(code, now=clock.now())
    assert isinstance(caught.value.__cause__, DuplicateKeyError)


def test_harness_unreachable_storage_fails_fast(secantus_url: str, clock: FakeClock) -> None:
    harness = make_harness(secantus_url)
    try:
        storage = harness.make_unreachable_storage()
        with pytest.raises(StorageUnavailable):
            storage.query_token("a", now=clock.now())
        storage.close()
    finally:
        harness.close()
