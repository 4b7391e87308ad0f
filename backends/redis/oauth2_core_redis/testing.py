"""The conformance harness for oauth2-core-redis (entry point ``redis`` in the group
``oauth2_conformance.harnesses``).

Each namespace is a key prefix, ``o2test:<run>:<namespace>``, on the server the URL names,
so namespaces never see each other and dropping one deletes only its own keys: the server
may be shared, and is never flushed. Works unchanged on a ``redis+cluster://`` URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets

from oauth2_core_redis._connect import RedisClient, client_from_url, split_prefix
from oauth2_core_redis._keys import KeyLayout
from oauth2_core_redis.local_servers import free_port
from oauth2_core_redis.storage import RedisStorage

__all__ = ["DEFAULT_URL", "RedisHarness", "make_harness"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


class RedisHarness:
    #: Redis expires keys actively ten times a second, and SCAN never returns expired keys.
    native_ttl_timeout = 3.0

    def __init__(self, url: str) -> None:
        self.url, _ = split_prefix(url)
        self.cluster = "+cluster" in url.partition("://")[0]
        self.name = "redis (cluster)" if self.cluster else "redis"
        self._run = secrets.token_hex(4)
        self._admin: RedisClient = client_from_url(self.url)

    def prefix(self, namespace: str) -> str:
        # Readable, but distinct even when two namespaces differ only in unsafe characters.
        tag = hashlib.sha256(namespace.encode()).hexdigest()[:8]
        return f"o2test:{self._run}:{_UNSAFE.sub('_', namespace)[:40]}-{tag}"

    def make_storage(self, namespace: str) -> RedisStorage:
        return RedisStorage(
            client_from_url(self.url),
            prefix=self.prefix(namespace),
            check_deployment=False,
            owns_client=True,
        )

    def _keys(self, namespace: str) -> list[str]:
        found: list[str] = []
        for pattern in KeyLayout(self.prefix(namespace)).patterns():
            found.extend(self._admin.scan_iter(match=_glob_escape(pattern[:-1]) + "*", count=1000))
        return found

    def drop_namespace(self, namespace: str) -> None:
        for key in self._keys(namespace):
            self._admin.delete(key)  # one key at a time: keys of a namespace span slots

    def raw_dump(self, namespace: str) -> str:
        lines = []
        for key in sorted(self._keys(namespace)):
            kind = str(self._admin.type(key))
            if kind == "hash":
                value: object = self._admin.hgetall(key)
            elif kind == "set":
                value = sorted(self._admin.smembers(key))
            else:
                value = self._admin.get(key)
            lines.append(f"{key} {kind} {value}")
        return "\n".join(lines)

    def raw_record_count(self, namespace: str) -> int:
        return sum(1 for key in self._keys(namespace) if re.search(r"}:[ct]:", key))

    def make_unreachable_storage(self) -> RedisStorage:
        return RedisStorage.from_url(f"redis://127.0.0.1:{free_port()}/0", check_deployment=False)

    def close(self) -> None:
        self._admin.close()


def make_harness(url: str | None = None) -> RedisHarness:
    """``url``, else ``OAUTH2_TEST_REDIS_URL``, else the local server on 6379."""
    return RedisHarness(url or os.environ.get("OAUTH2_TEST_REDIS_URL") or DEFAULT_URL)
