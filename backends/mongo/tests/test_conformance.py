"""The shared conformance suite, on SecantusDB started by the fixtures, and on a real mongod
when ``OAUTH2_TEST_MONGODB_URL`` names one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oauth2_conformance import ConformanceSuite
from oauth2_core_mongo.testing import MongoHarness, make_harness, secantus_harness


class TestMongoOnSecantusDB(ConformanceSuite):
    oauth2_profile = "full"

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls) -> Iterator[MongoHarness]:
        harness = secantus_harness()
        yield harness
        harness.close()


class TestMongoOnMongod(ConformanceSuite):
    oauth2_profile = "full"

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, mongod_url: str) -> Iterator[MongoHarness]:
        harness = make_harness(mongod_url)
        yield harness
        harness.close()
