"""One SQLite connection per thread for the request path's single statements.

A pooled checkout and return (SQLAlchemy's connection fairy, its events, the reset on return)
cost SQLite's request path about as much as the statement itself: 15 of 36 us per token lookup
in issue 9's profile, against 8 us for the raw floor's lookup. A SQLite file has no server, no
idle timeout and no per-connection limit worth pooling for, so each thread keeps a connection
of its own. Each is taken from the engine's pool once and detached from it
(``PoolProxiedConnection.detach``), so it was opened with the engine's connect arguments, its
``connect`` listeners (the backend's pragmas) and its isolation level, and it leaves the
pool's capacity to everyone else. Dropped with its thread, or closed by ``close_all``.

Only for SQLite files: an in-memory database is one shared connection (``StaticPool``), and a
server's connections need the pool's limits and stale-connection checks.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool

__all__ = ["ThreadConnections", "wants_thread_connections"]


def wants_thread_connections(engine: Engine) -> bool:
    database = engine.url.database or ""
    return (
        engine.dialect.name == "sqlite"
        and not isinstance(engine.pool, (StaticPool, SingletonThreadPool))
        and database not in ("", ":memory:")
        and engine.url.query.get("mode") != "memory"
    )


class _ThreadConnection:
    """What ``Runner`` uses of a pooled connection: ``cursor()``, ``dbapi_connection``,
    ``is_valid``; ``close()`` leaves it with its thread."""

    __slots__ = ("__weakref__", "_proxy", "dbapi_connection", "is_valid")

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy
        self.dbapi_connection = proxy.dbapi_connection
        self.is_valid = True

    def cursor(self) -> Any:
        return self.dbapi_connection.cursor()

    def close(self) -> None:
        """Kept for this thread's next statement."""

    def discard(self) -> None:
        self.is_valid = False
        self._proxy.close()  # detached: closes the DBAPI connection


class ThreadConnections:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._open: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> _ThreadConnection:
        connection: _ThreadConnection | None = getattr(self._local, "connection", None)
        if connection is None or not connection.is_valid:
            proxy = self._engine.raw_connection()
            proxy.detach()
            connection = _ThreadConnection(proxy)
            self._local.connection = connection
            with self._lock:
                self._open.add(connection)
        return connection

    def discard(self, connection: _ThreadConnection) -> None:
        """After a disconnect: the thread opens a new one next time."""
        connection.discard()

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._open)
            self._open.clear()
        for connection in connections:
            if connection.is_valid:
                connection.discard()
