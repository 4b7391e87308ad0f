"""Start-up warnings about eviction and persistence, on private servers only (the shared
server on 6379 is never reconfigured)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.local_servers import LocalRedis, free_port, start_redis

from oauth2_core.errors import StorageUnavailable


@pytest.mark.parametrize(
    "policy", ["allkeys-lru", "volatile-lru", "volatile-ttl", "allkeys-random"]
)
def test_evicting_policy_warns_loudly(
    private_redis: LocalRedis, policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    admin = private_redis.client()
    admin.config_set("maxmemory-policy", policy)
    admin.config_set("appendonly", "yes")
    admin.close()
    with caplog.at_level(logging.WARNING, logger="oauth2_core_redis"):
        storage = RedisStorage.from_url(private_redis.url)
    warnings = storage.deployment_warnings()
    storage.close()
    assert len(warnings) == 1
    assert f"maxmemory-policy={policy}" in warnings[0]
    assert "EVICT" in warnings[0] and "noeviction" in warnings[0]
    assert [r.getMessage() for r in caplog.records] == [f"UNSAFE REDIS DEPLOYMENT: {warnings[0]}"]
    print(warnings[0])


def test_safe_settings_give_no_warning(private_redis: LocalRedis) -> None:
    admin = private_redis.client()
    admin.config_set("appendonly", "yes")
    admin.config_set("appendfsync", "everysec")
    admin.close()
    storage = RedisStorage.from_url(private_redis.url)
    assert storage.deployment_warnings() == []
    storage.close()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"save": "", "appendonly": "no"}, "persistence OFF"),
        ({"save": "3600 1", "appendonly": "no"}, "RDB snapshots only"),
        ({"appendonly": "yes", "appendfsync": "no"}, "appendfsync no"),
    ],
)
def test_persistence_that_loses_writes_warns(
    private_redis: LocalRedis, settings: dict[str, str], expected: str
) -> None:
    admin = private_redis.client()
    for name, value in settings.items():
        admin.config_set(name, value)
    admin.close()
    storage = RedisStorage.from_url(private_redis.url, check_deployment=False)
    warnings = storage.deployment_warnings()
    storage.close()
    assert len(warnings) == 1 and expected in warnings[0]


def test_config_disabled_is_tolerated(tmp_path: Path, redis_server_bin: str) -> None:
    server = start_redis(tmp_path / "managed", extra_args=("--rename-command", "CONFIG", ""))
    try:
        storage = RedisStorage.from_url(server.url)  # must not raise
        warnings = storage.deployment_warnings()
        storage.close()
    finally:
        server.stop(crash=True)
    assert len(warnings) == 1 and "CONFIG is probably disabled" in warnings[0]


def test_unreachable_server_does_not_fail_construction() -> None:


    storage = RedisStorage.from_url(f"redis://127.0.0.1:{free_port()}/0")
    assert storage.deployment_warnings() == []
    with pytest.raises(StorageUnavailable) as raised:
        storage.query_client("anyone")
    assert raised.value.__cause__ is not None
