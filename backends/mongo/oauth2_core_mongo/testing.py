"""Test support for oauth2-core-mongo: an ephemeral SecantusDB server and the conformance harness.

``secantus_server()`` starts SecantusDB (a MongoDB wire-protocol server, PyPI ``secantusdb``)
on a free loopback port and yields its URL; other test suites use it to run the HTTP app over
MongoDB without a ``mongod``.

``make_harness(url)`` is the ``oauth2_conformance.harnesses`` entry point ``mongo``. Each
namespace is its own database, ``oauth2_conf_<namespace>``.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import ExitStack
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from oauth2_core_mongo._connection import client_from_url
from oauth2_core_mongo._indexes import CODES, TOKENS
from oauth2_core_mongo._secantus import secantus_server
from oauth2_core_mongo.storage import MongoStorage

__all__ = [
    "ENV_URL",
    "MONGOD_TTL_TIMEOUT",
    "SECANTUS_KNOWN_FAILURES",
    "SECANTUS_TTL_SWEEP_SECONDS",
    "MongoHarness",
    "is_secantusdb",
    "make_harness",
    "mongodb_reachable",
    "secantus_harness",
    "secantus_server",
]

ENV_URL = "OAUTH2_TEST_MONGODB_URL"

#: mongod's TTL monitor wakes every 60 s (``ttlMonitorSleepSecs``); a record expired just
#: after a pass waits a whole period, and one deletion pass may itself take a while under load.
MONGOD_TTL_TIMEOUT = 130.0

#: The SecantusDB servers the harness starts sweep TTL indexes this often, so the real-time
#: native-TTL check takes seconds instead of a minute (mongod can be set the same way with
#: ``--setParameter ttlMonitorSleepSecs=2``).
SECANTUS_TTL_SWEEP_SECONDS = 2.0

#: Where SecantusDB departs from MongoDB's documented behaviour in a way a check sees:
#: check id -> reason. The backend follows MongoDB; these turn into XFAIL on the surrogate.
SECANTUS_KNOWN_FAILURES: MappingProxyType[str, str] = MappingProxyType({})

_DATABASE_PREFIX = "oauth2_conf_"


def mongodb_reachable(url: str, timeout_ms: int = 2000) -> bool:
    """Whether a server at ``url`` answers ``ping`` within ``timeout_ms``."""
    client: MongoClient[dict[str, Any]] | None = None
    try:
        client, _ = client_from_url(url, serverSelectionTimeoutMS=timeout_ms)
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        if client is not None:
            client.close()


class MongoHarness:
    """The conformance harness over one MongoDB (or SecantusDB) server."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        native_ttl_timeout: float = MONGOD_TTL_TIMEOUT,
        known_failures: dict[str, str] | MappingProxyType[str, str] | None = None,
        cleanup: ExitStack | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.native_ttl_timeout = native_ttl_timeout
        self.known_failures = MappingProxyType(dict(known_failures or {}))
        self._cleanup = cleanup or ExitStack()
        self._admin, _ = client_from_url(url)

    @staticmethod
    def database_name(namespace: str) -> str:
        return _DATABASE_PREFIX + namespace

    def make_storage(self, namespace: str) -> MongoStorage:
        return MongoStorage.from_url(self.url, database=self.database_name(namespace))

    def drop_namespace(self, namespace: str) -> None:
        self._admin.drop_database(self.database_name(namespace))

    def raw_dump(self, namespace: str) -> str:
        database = self._admin[self.database_name(namespace)]
        lines = []
        for collection in sorted(database.list_collection_names()):
            for doc in database[collection].find({}):
                lines.append(f"{collection}: {json.dumps(doc, default=str, sort_keys=True)}")
        return "\n".join(lines)

    def raw_record_count(self, namespace: str) -> int:
        database = self._admin[self.database_name(namespace)]
        return sum(database[name].count_documents({}) for name in (CODES, TOKENS))

    def make_unreachable_storage(self) -> MongoStorage:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # The port is closed again: nothing listens there.
        return MongoStorage.from_url(
            f"mongodb://127.0.0.1:{port}/unreachable?directConnection=true",
            serverSelectionTimeoutMS=500,
        )

    def close(self) -> None:
        self._admin.close()
        self._cleanup.close()


def make_harness(url: str | None = None) -> MongoHarness:
    """Harness for ``url``; with None, ``OAUTH2_TEST_MONGODB_URL`` if set and reachable, else
    a SecantusDB server started on a free port (stopped by ``close()``)."""
    if url is None:
        env_url = os.environ.get(ENV_URL)
        if env_url and mongodb_reachable(env_url):
            url = env_url
    if url is None:
        return secantus_harness()
    host = urlsplit(url).netloc.rpartition("@")[2]
    if is_secantusdb(url):
        return MongoHarness(
            url, name=f"mongo (secantusdb at {host})", known_failures=SECANTUS_KNOWN_FAILURES
        )
    return MongoHarness(url, name=f"mongo ({host})")


def secantus_harness() -> MongoHarness:
    """Harness over a SecantusDB it starts on a free port with a fast TTL sweep."""
    stack = ExitStack()
    try:
        url = stack.enter_context(secantus_server(ttl_sweep_seconds=SECANTUS_TTL_SWEEP_SECONDS))
        return MongoHarness(
            url,
            name="mongo (secantusdb)",
            # Two sweeps (a record may expire just after one) plus slack for a busy machine.
            native_ttl_timeout=2 * SECANTUS_TTL_SWEEP_SECONDS + 8.0,
            known_failures=SECANTUS_KNOWN_FAILURES,
            cleanup=stack,
        )
    except BaseException:
        stack.close()
        raise


def is_secantusdb(url: str) -> bool:
    """Whether the server at ``url`` is SecantusDB (its ``buildInfo`` says so)."""
    client, _ = client_from_url(url)
    try:
        return "secantusVersion" in client.admin.command("buildInfo")
    except PyMongoError:
        return False
    finally:
        client.close()
