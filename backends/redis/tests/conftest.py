"""Fixtures: the machine's Redis (shared: isolated by key prefix, never flushed) and a
three-master Redis Cluster started from ``redis-server`` for this session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from oauth2_conformance.services import ci_mode, resolve_service_url
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.local_servers import (
    LocalCluster,
    LocalRedis,
    redis_server_binary,
    start_cluster,
    start_redis,
)
from oauth2_core_redis.testing import DEFAULT_URL, RedisHarness, make_harness
from redis import Redis
from redis.exceptions import RedisError


def _answers_ping(url: str) -> bool:
    try:
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (RedisError, ValueError):
        return False


def need_redis_server() -> None:
    if redis_server_binary() is None:
        reason = "redis-server binary not installed"
        if ci_mode():
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_server_bin() -> str:
    """The redis-server binary; skip without it (fail under CI=true)."""
    need_redis_server()
    return str(redis_server_binary())


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(Path(__file__).parents[1] / "docker-compose.yml")


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """OAUTH2_TEST_REDIS_URL, then 127.0.0.1:6379, then docker compose where Docker exists."""
    env_url = os.environ.get("OAUTH2_TEST_REDIS_URL")
    if not any(_answers_ping(url) for url in (env_url, DEFAULT_URL) if url) and shutil.which(
        "docker"
    ):
        services = request.getfixturevalue("docker_services")
        url = f"redis://127.0.0.1:{services.port_for('redis', 6379)}/0"
        services.wait_until_responsive(check=lambda: _answers_ping(url), timeout=60, pause=0.5)
        return url
    return resolve_service_url("redis", DEFAULT_URL, _answers_ping)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    need_redis_server()
    cluster = start_cluster(tmp_path_factory.mktemp("redis-cluster"), masters=3)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def single_harness(redis_url: str) -> Iterator[RedisHarness]:
    harness = make_harness(redis_url)
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def cluster_harness(redis_cluster: LocalCluster) -> Iterator[RedisHarness]:
    harness = make_harness(redis_cluster.url)
    yield harness
    harness.close()


@pytest.fixture(params=["single", "cluster"])
def harness(request: pytest.FixtureRequest) -> RedisHarness:
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


def _namespace(request: pytest.FixtureRequest) -> str:
    """A namespace of the test's own: module and test name."""
    module = request.module.__name__.removeprefix("test_").replace("_", "-")
    return f"{module}-{request.node.name}"


@pytest.fixture
def single(single_harness: RedisHarness, request: pytest.FixtureRequest) -> Iterator[RedisStorage]:
    """A single-node store in a namespace of the test's own."""
    name = _namespace(request)
    storage = single_harness.make_storage(name)
    assert storage.single_node
    yield storage
    storage.close()
    single_harness.drop_namespace(name)


@pytest.fixture
def storage(harness: RedisHarness, request: pytest.FixtureRequest) -> Iterator[RedisStorage]:
    """A store in a namespace of the test's own, on one server and on the cluster."""
    name = _namespace(request)
    storage = harness.make_storage(name)
    yield storage
    storage.close()
    harness.drop_namespace(name)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[LocalRedis]:
    """A redis-server of this test alone: safe to reconfigure, stop and restart."""
    need_redis_server()
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop(crash=True)  # disposable data; a clean shutdown may first rewrite the AOF
