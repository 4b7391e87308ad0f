"""Fault injection through the server's ``failCommand`` fail point: what a dropped connection,
a write concern failure, a write conflict or a hung server does to each operation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mongo_records import make_code, make_token
from oauth2_core_mongo import MongoStorage
from oauth2_core_mongo.testing import secantus_server
from pymongo import MongoClient
from pymongo.errors import NetworkTimeout, OperationFailure, WriteConcernError

from oauth2_core.clock import FakeClock
from oauth2_core.errors import Conflict, StorageUnavailable
from oauth2_core.models import Consumed


@pytest.fixture(scope="module")
def faulty_url() -> Iterator[str]:
    with secantus_server(enable_test_commands=True) as url:
        yield url


class _Faults:
    """Arms fail points scoped to one application name, from a separate admin client."""

    def __init__(self, url: str) -> None:
        self.app = "faults-" + uuid.uuid4().hex[:8]
        self._admin: MongoClient[dict[str, Any]] = MongoClient(url)

    def arm(self, times: int, commands: list[str], **data: Any) -> None:
        self._admin.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": times},
            data={"failCommands": commands, "appName": self.app, **data},
        )

    def close(self) -> None:
        self._admin.admin.command("configureFailPoint", "failCommand", mode="off")
        self._admin.close()


@pytest.fixture
def faults(faulty_url: str) -> Iterator[_Faults]:
    armed = _Faults(faulty_url)
    yield armed
    armed.close()


@pytest.fixture
def faulty_storage(faulty_url: str, faults: _Faults) -> Iterator[MongoStorage]:
    database = "faults_" + uuid.uuid4().hex[:8]
    storage = MongoStorage.from_url(
        f"{faulty_url}&appName={faults.app}", database=database, socketTimeoutMS=500
    )
    storage.ensure_indexes()
    yield storage
    storage.database.client.drop_database(database)
    storage.close()


def test_a_dropped_connection_during_consume_is_retried_once(
    faulty_storage: MongoStorage, faults: _Faults, clock: FakeClock
) -> None:
    code = make_code(clock.now())
    faulty_storage.save_authorization_code(code, now=clock.now())
    faults.arm(1, ["findAndModify"], closeConnection=True)
    result = faulty_storage.consume_authorization_code(code.code_hash, now=clock.now())
    assert isinstance(result, Consumed)


def test_write_concern_failure_is_storage_unavailable(
    faulty_storage: MongoStorage, faults: _Faults, clock: FakeClock
) -> None:
    faults.arm(1, ["update"], writeConcernError={"code": 64, "errmsg": "waiting for replication"})
    with pytest.raises(StorageUnavailable) as caught:
        faulty_storage.save_token(make_token(clock.now()), now=clock.now())
    assert isinstance(caught.value.__cause__, WriteConcernError)


def test_write_conflict_is_conflict(
    faulty_storage: MongoStorage, faults: _Faults, clock: FakeClock
) -> None:
    code = make_code(clock.now())
    faulty_storage.save_authorization_code(code, now=clock.now())
    faults.arm(1, ["findAndModify"], errorCode=112)
    with pytest.raises(Conflict) as caught:
        faulty_storage.consume_authorization_code(code.code_hash, now=clock.now())
    assert isinstance(caught.value.__cause__, OperationFailure)


def test_a_hung_server_is_storage_unavailable_after_the_socket_timeout(
    faulty_storage: MongoStorage, faults: _Faults, clock: FakeClock
) -> None:
    # Both the read and pymongo's one retry hang past socketTimeoutMS=500.
    faults.arm(2, ["find"], blockConnection=True, blockTimeMS=1500)
    with pytest.raises(StorageUnavailable) as caught:
        faulty_storage.query_token("0" * 64, now=clock.now())
    assert isinstance(caught.value.__cause__, NetworkTimeout)
