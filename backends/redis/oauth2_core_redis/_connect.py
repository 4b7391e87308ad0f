"""Clients from URLs, short timeouts, and driver errors translated into storage errors.

URL forms::

    redis://[user:password@]host[:port][/db][?prefix=P&socket_timeout=S...]
    rediss://...                                   TLS
    redis+cluster://[user:password@]host:port[,host:port...][?prefix=P]
    rediss+cluster://...                           Redis Cluster over TLS

``prefix`` is ours (the key prefix); every other query parameter goes to redis-py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from redis import Redis, RedisCluster
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode
from redis.exceptions import RedisClusterException, RedisError
from redis.retry import Retry

from oauth2_core.errors import StorageUnavailable

DEFAULT_SOCKET_TIMEOUT = 2.0
DEFAULT_CONNECT_TIMEOUT = 1.0

RedisClient = Redis | RedisCluster

_CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}
_FLOAT_OPTIONS = ("socket_timeout", "socket_connect_timeout")


DRIVER_ERRORS = (RedisError, RedisClusterException)


def unavailable(exc: Exception) -> StorageUnavailable:
    """The ``StorageUnavailable`` to raise ``from exc``."""
    return StorageUnavailable(f"redis: {type(exc).__name__}: {exc}")


@contextmanager
def driver_errors() -> Iterator[None]:
    """Any failure of the driver or the server becomes ``StorageUnavailable``, chained."""
    try:
        yield
    except DRIVER_ERRORS as exc:
        raise unavailable(exc) from exc


def _no_retry() -> Retry:
    # A consume or rotate script must never be replayed after a lost reply: the replay
    # would report the caller's own success as a reuse.
    return Retry(NoBackoff(), 0)


def split_prefix(url: str) -> tuple[str, str | None]:
    """Remove our ``prefix`` parameter from ``url``; return ``(url, prefix or None)``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == "prefix"), None)
    rest = urlencode([(key, value) for key, value in query if key != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def client_from_url(url: str) -> RedisClient:
    scheme = url.partition("://")[0].lower()
    with driver_errors():
        if scheme in _CLUSTER_SCHEMES:
            return _cluster_from_url(url, tls=_CLUSTER_SCHEMES[scheme])
        options: dict[str, Any] = {"decode_responses": True, "retry": _no_retry()}
        query = dict(parse_qsl(urlsplit(url).query))
        if "socket_timeout" not in query:
            options["socket_timeout"] = DEFAULT_SOCKET_TIMEOUT
        if "socket_connect_timeout" not in query:
            options["socket_connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
        return Redis.from_url(url, **options)


def _cluster_from_url(url: str, *, tls: bool) -> RedisCluster:
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    nodes = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host:
            host, port = port, "6379"
        nodes.append(ClusterNode(host.strip("[]"), int(port or 6379)))  # type: ignore[no-untyped-call]
    if not nodes or parts.path.strip("/") not in ("", "0"):
        raise ValueError(f"cluster URL needs host:port nodes and no database number: {url!r}")
    options: dict[str, Any] = {
        "socket_timeout": DEFAULT_SOCKET_TIMEOUT,
        "socket_connect_timeout": DEFAULT_CONNECT_TIMEOUT,
    }
    for key, value in parse_qsl(parts.query):
        options[key] = float(value) if key in _FLOAT_OPTIONS else value
    if userinfo:
        username, _, password = userinfo.partition(":")
        options["username"] = unquote(username) or None
        options["password"] = unquote(password) or None
    return RedisCluster(
        startup_nodes=nodes,
        decode_responses=True,
        ssl=tls,
        retry=_no_retry(),
        **options,
    )
