"""Build the three contenders of one backend: oauth2-core, Authlib, and the raw floor."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.handles import find_handle
from bench.operations import Driver
from bench.peers.authlib_driver import AuthlibDriver
from bench.peers.authlib_records import PeerClient
from bench.services import Backend
from bench.workload import WORKLOAD

__all__ = ["FLOOR_OPERATIONS", "Contenders", "contenders_for", "driver_handle", "server_session"]

FLOOR_OPERATIONS = ("client_credentials", "bearer_validation", "code_flow")
OURS, AUTHLIB, FLOOR = "oauth2-core", "authlib", "floor"


@dataclass
class Contenders:
    backend: Backend
    drivers: dict[str, Driver] = field(default_factory=dict)
    storage: Any = None
    errors: dict[str, str] = field(default_factory=dict)

    def for_operation(self, operation: str) -> dict[str, Driver]:
        return {
            name: driver for name, driver in self.drivers.items()
            if name != FLOOR or operation in FLOOR_OPERATIONS
        }


def _fallback_handle(backend: Backend) -> Any:
    """The handle our backend would have opened, for runs where it cannot be opened yet."""
    if backend.name in {"sqlite", "postgresql", "mariadb"}:
        from sqlalchemy import create_engine, event  # noqa: PLC0415

        engine = create_engine(backend.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        if backend.name == "sqlite":
            def _wal(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute("PRAGMA journal_mode = WAL")
                dbapi_connection.execute("PRAGMA synchronous = NORMAL")
            event.listen(engine, "connect", _wal)
        return engine
    if backend.name == "redis":
        from redis import Redis  # noqa: PLC0415

        return Redis.from_url(backend.url)
    if backend.name == "mongodb":
        from pymongo import MongoClient  # noqa: PLC0415

        return MongoClient(backend.url).get_default_database()
    return None


def driver_handle(backend: Backend, storage: Any) -> Any:
    """The SQLAlchemy Engine, redis client or pymongo Database our backend uses."""
    if storage is None:
        return _fallback_handle(backend)
    if backend.name in {"sqlite", "postgresql", "mariadb"}:
        from sqlalchemy.engine import Engine  # noqa: PLC0415

        return find_handle(storage, Engine)
    if backend.name == "redis":
        from redis import Redis  # noqa: PLC0415

        return find_handle(storage, Redis)
    if backend.name == "mongodb":
        from pymongo import MongoClient  # noqa: PLC0415
        from pymongo.database import Database  # noqa: PLC0415

        database = find_handle(storage, Database)
        if database is not None:
            return database
        client = find_handle(storage, MongoClient)
        return client.get_default_database() if client is not None else None
    return None


def _peer_client() -> PeerClient:
    return PeerClient(
        WORKLOAD.client_id, WORKLOAD.client_secret, (WORKLOAD.redirect_uri,), WORKLOAD.scope,
        ("authorization_code", "refresh_token", "client_credentials"),
    )


def _peer_store(backend: Backend, handle: Any) -> Any:
    if backend.name == "memory":
        from bench.peers.authlib_memory import MemoryPeerStore  # noqa: PLC0415

        return MemoryPeerStore()
    if backend.name in {"sqlite", "postgresql", "mariadb"}:
        from bench.peers.authlib_sql import SqlPeerStore  # noqa: PLC0415

        return SqlPeerStore(handle)
    if backend.name == "redis":
        from bench.peers.authlib_redis import RedisPeerStore  # noqa: PLC0415

        return RedisPeerStore(handle)
    from bench.peers.authlib_mongo import MongoPeerStore  # noqa: PLC0415

    return MongoPeerStore(handle)


def server_session(backend: Backend, storage: Any) -> Any:
    """The DBAPI connection this thread's lookups run on, on a SQL server (PostgreSQL,
    MariaDB); None elsewhere (SQLite has no server session to share)."""
    if backend.name not in {"postgresql", "mariadb"}:
        return None
    threads = getattr(getattr(storage, "_runner", None), "_threads", None)
    held = threads.get() if threads is not None else None
    return None if held is None else held.dbapi_connection


def _floor(backend: Backend, handle: Any, storage: Any) -> Any:
    if backend.name in {"sqlite", "postgresql", "mariadb"}:
        from bench.floors.sql import SqlFloor  # noqa: PLC0415

        return SqlFloor(handle, shared=server_session(backend, storage))
    if backend.name == "redis":
        from bench.floors.redis import RedisFloor  # noqa: PLC0415

        return RedisFloor(handle)
    if backend.name == "mongodb":
        from bench.floors.mongo import MongoFloor  # noqa: PLC0415

        return MongoFloor(handle)
    return None


@contextlib.contextmanager
def contenders_for(backend: Backend, wanted: tuple[str, ...]) -> Iterator[Contenders]:
    result = Contenders(backend)
    closers: list[Any] = []
    try:
        if OURS in wanted:
            try:
                from bench.ours import OursDriver, open_ours  # noqa: PLC0415

                storage, secret = open_ours(backend.url)
                result.storage = storage
                closers.append(storage)
                driver = OursDriver(storage, secret)
                driver.validate(driver.client_credentials())  # fail here, not mid-measure
                result.drivers[OURS] = driver
            except Exception as exc:  # reported, the peers still run
                result.errors[OURS] = f"{type(exc).__name__}: {exc}"
        handle = driver_handle(backend, result.storage)
        if AUTHLIB in wanted:
            store = _peer_store(backend, handle)
            store.put_client(_peer_client())
            closers.append(store)
            result.drivers[AUTHLIB] = AuthlibDriver(store)
        if FLOOR in wanted:
            floor = _floor(backend, handle, result.storage)
            if floor is not None:
                closers.append(floor)
                result.drivers[FLOOR] = floor
        yield result
    finally:
        for item in reversed(closers):
            with contextlib.suppress(Exception):
                item.close()
