"""Start-up checks of the Redis settings that decide whether our keys survive.

Every code and token key carries a TTL, so ``volatile-*`` policies may evict them as readily
as ``allkeys-*``: an evicted consume tombstone lets a code be redeemed twice, an evicted
rotation marker lets a stolen refresh token through (RFC 9700 section 4.14.2). Persistence
decides what a restart forgets in the same way.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from redis import RedisCluster
from redis.exceptions import RedisClusterException, RedisError, ResponseError

from oauth2_core_redis._connect import RedisClient

logger = logging.getLogger("oauth2_core_redis")

_LOGGED: set[str] = set()
_LOGGED_LOCK = threading.Lock()


def _node_configs(client: RedisClient) -> list[tuple[str, dict[str, Any]]]:
    wanted = ("maxmemory-policy", "appendonly", "appendfsync", "save")
    if isinstance(client, RedisCluster):
        configs = []
        for node in client.get_primaries():  # type: ignore[no-untyped-call]
            reply = client.config_get(*wanted, target_nodes=node)
            configs.append((node.name, {key: reply.get(key) for key in wanted}))
        return configs
    kwargs = client.get_connection_kwargs()
    name = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    reply = client.config_get(*wanted)
    return [(name, {key: reply.get(key) for key in wanted})]


def _judge(node: str, config: dict[str, Any]) -> list[str]:
    warnings = []
    policy = config.get("maxmemory-policy") or "unknown"
    if policy != "noeviction":
        warnings.append(
            f"Redis {node} has maxmemory-policy={policy}: under memory pressure Redis may "
            "EVICT OAuth2 codes, tokens and replay tombstones (every one carries a TTL, so "
            "volatile-* policies evict them too), which lets a consumed code or a rotated "
            "refresh token be accepted again. Set maxmemory-policy noeviction."
        )
    appendonly = config.get("appendonly") == "yes"
    snapshots = bool((config.get("save") or "").strip())
    if not appendonly and not snapshots:
        warnings.append(
            f"Redis {node} has persistence OFF (appendonly no, save \"\"): a restart LOSES "
            "every client, code and token, including revocations and replay tombstones. "
            "Set appendonly yes."
        )
    elif not appendonly:
        warnings.append(
            f"Redis {node} persists by RDB snapshots only (appendonly no): a crash loses the "
            "writes since the last snapshot, so a consumed code or rotated refresh token may "
            "be accepted again and revocations undone. Set appendonly yes."
        )
    elif config.get("appendfsync") == "no":
        warnings.append(
            f"Redis {node} has appendfsync no: a crash may lose recent writes "
            "(consumptions, rotations, revocations). Use appendfsync everysec or always."
        )
    return warnings


def deployment_warnings(client: RedisClient) -> list[str]:
    """What in the server's settings puts our keys at risk; tolerates CONFIG being disabled."""
    try:
        configs = _node_configs(client)
    except ResponseError as exc:
        return [
            f"Could not read the Redis configuration ({exc}); CONFIG is probably disabled "
            "(managed Redis). Make sure maxmemory-policy is noeviction and appendonly is yes."
        ]
    except (RedisError, RedisClusterException):
        return []  # unreachable now: the first real operation reports StorageUnavailable
    return [text for node, config in configs for text in _judge(node, config)]


def log_once(warnings: list[str]) -> None:
    """Log each distinct warning once per process, loudly."""
    for text in warnings:
        with _LOGGED_LOCK:
            if text in _LOGGED:
                continue
            _LOGGED.add(text)
        logger.warning("UNSAFE REDIS DEPLOYMENT: %s", text)
