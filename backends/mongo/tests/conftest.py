"""Fixtures: a SecantusDB started on a free port for the session, and a real mongod when
``OAUTH2_TEST_MONGODB_URL`` names one. Every test gets its own database, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from oauth2_core_mongo import MongoStorage
from oauth2_core_mongo.testing import (
    ENV_URL,
    SECANTUS_TTL_SWEEP_SECONDS,
    mongodb_reachable,
    secantus_server,
)

from oauth2_core.clock import FakeClock

MONGOD_SKIP = (
    f"no real mongod: set {ENV_URL} to run these against one (skipped even under CI=true: "
    "this project's machines have no MongoDB server and no Docker engine)"
)


@pytest.fixture(scope="session")
def secantus_url() -> Iterator[str]:
    with secantus_server(ttl_sweep_seconds=SECANTUS_TTL_SWEEP_SECONDS) as url:
        yield url


@pytest.fixture(scope="session")
def mongod_url() -> str:
    """A real mongod named by ``OAUTH2_TEST_MONGODB_URL``; skip without one."""
    url = os.environ.get(ENV_URL)
    if not url:
        pytest.skip(MONGOD_SKIP)
    if not mongodb_reachable(url):
        pytest.fail(f"{ENV_URL}={url} does not answer ping", pytrace=False)
    return url


@pytest.fixture(scope="session", params=["secantusdb", "mongod"])
def mongo_url(request: pytest.FixtureRequest) -> str:
    """The server under test: SecantusDB always, a real mongod when one is configured."""
    name = "secantus_url" if request.param == "secantusdb" else "mongod_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def open_handle(mongo_url: str) -> Iterator[Callable[[], MongoStorage]]:
    """Opens more handles onto this test's own database (one per thread in race tests)."""
    database = "oauth2_test_" + uuid.uuid4().hex[:12]
    handles: list[MongoStorage] = []

    def opener() -> MongoStorage:
        handle = MongoStorage.from_url(mongo_url, database=database)
        handles.append(handle)
        return handle

    yield opener
    if handles:
        handles[0].database.client.drop_database(database)
    for handle in handles:
        handle.close()


@pytest.fixture
def storage(open_handle: Callable[[], MongoStorage]) -> MongoStorage:
    return open_handle()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))
