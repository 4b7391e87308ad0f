"""The shared conformance suite, on the machine's Redis and on a three-master cluster."""

from __future__ import annotations

import pytest
from oauth2_conformance import ConformanceSuite
from oauth2_core_redis.testing import RedisHarness


class TestRedisSingleNode(ConformanceSuite):
    oauth2_profile = "full"

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, single_harness: RedisHarness) -> RedisHarness:
        return single_harness


class TestRedisCluster(ConformanceSuite):
    oauth2_profile = "full"

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls, cluster_harness: RedisHarness) -> RedisHarness:
        return cluster_harness
