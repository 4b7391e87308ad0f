"""One connection per thread for the request path's single statements.

A pooled checkout and return (SQLAlchemy's connection fairy, its events, the reset on return)
cost about as much as a lookup itself: on SQLite 15 of 36 us per token lookup in issue 9's
profile, on PostgreSQL about 25 us of a 110 us lookup over loopback. So the request path keeps
one connection per thread between statements, in one of two ways:

- **SQLite files** (:class:`DetachedConnections`): a file has no server, no idle timeout and no
  per-connection limit worth pooling for. Each thread's connection is taken from the engine's
  pool once and detached from it (``PoolProxiedConnection.detach``), so it was opened with the
  engine's connect arguments, its ``connect`` listeners (the pragmas) and its isolation level,
  and it leaves the pool's whole capacity to everyone else.
- **Servers** (:class:`LeasedConnections`, PostgreSQL and MariaDB/MySQL engines built by
  ``build_engine`` without ``pre_ping``): each thread keeps its connection *checked out* of the
  pool, a lease, so the pool's limits still count it. At most ``pool_size - 1`` threads hold a
  lease (the rest check out per statement, and one pooled connection always stays for
  everything else), and a thread gives its lease back before it opens a transaction, so it
  never holds two. Before each statement the lease passes the checks a checkout would: the
  same pool (not disposed since), not invalidated since it was opened (a disconnect elsewhere
  retires older connections), younger than ``pool_recycle``, used within ``ping_after_idle``
  and nothing pending on its socket. A lease that fails one goes back to the pool and the next
  checkout decides, as for any pooled connection: ping, replace or reuse.

Either way the connection goes back (or is closed) when its thread ends, and ``close_all``
ends every thread's. An in-memory SQLite database is one shared connection (``StaticPool``)
and an engine with ``pre_ping`` wants a ping per checkout: both check out per statement.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool, SingletonThreadPool, StaticPool

from oauth2_core_sqlalchemy._engine import (
    LAST_STATEMENT,
    EngineSettings,
    engine_settings,
    has_pending_input,
    is_memory_sqlite,
    socket_fd,
    socket_poller,
)

__all__ = [
    "DetachedConnections",
    "Held",
    "LeasedConnections",
    "ThreadConnections",
    "thread_connections",
]


def thread_connections(engine: Engine) -> ThreadConnections | None:
    """How the engine's request path keeps a connection per thread, or None: per statement."""
    if engine.dialect.name == "sqlite":
        if is_memory_sqlite(engine.url) or isinstance(
            engine.pool, (StaticPool, SingletonThreadPool)
        ):
            return None
        return DetachedConnections(engine)
    settings = engine_settings(engine)
    if settings is None or settings.pre_ping or not isinstance(engine.pool, QueuePool):
        return None  # someone else's engine, or one that wants a ping per checkout
    if engine.pool.size() < 2:
        return None
    return LeasedConnections(engine, settings)


class Held:
    """A thread's connection as ``Runner`` uses it: ``cursor()`` (one, kept between
    statements: a new psycopg cursor costs about 7 us), ``failed()`` after a statement raised,
    ``dbapi_connection`` and ``is_valid``. Unlike a pooled connection it is not closed after
    a statement: connection and cursor stay with the thread."""

    __slots__ = ("__weakref__", "_cursor", "_end", "dbapi_connection", "is_valid", "proxy")

    def __init__(self, proxy: Any, give_up: Callable[[Any], None]) -> None:
        self.proxy = proxy
        self.dbapi_connection = proxy.dbapi_connection
        self.is_valid = True
        self._cursor: Any = None
        # Also when the thread ends: its thread-local was the only reference.
        self._end = weakref.finalize(self, give_up, proxy)
        self._end.atexit = False

    def cursor(self) -> Any:
        if self._cursor is None:
            self._cursor = self.dbapi_connection.cursor()
        return self._cursor

    def failed(self) -> None:
        """A statement raised: the next one starts on a new cursor."""
        cursor, self._cursor = self._cursor, None
        if cursor is not None and self.is_valid:
            _close_quietly(cursor)

    def end(self) -> None:
        """Give the connection up (back to the pool, or closed); idempotent."""
        self.is_valid = False
        self._cursor = None
        self._end()


class ThreadConnections:
    """The per-thread connections of one engine; subclasses say how one is taken and kept."""

    # Whether a held connection passes ``_usable`` before each statement (a call saved where
    # there is nothing to check).
    _checks_each_statement = False

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._open: weakref.WeakSet[Held] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> Held | None:
        """This thread's connection, or None: check one out for this statement only."""
        held: Held | None = getattr(self._local, "held", None)
        if (
            held is not None
            and held.is_valid
            and (not self._checks_each_statement or self._usable(held))
        ):
            return held
        if held is not None:
            self._local.held = None
            held.end()
        held = self._take()
        if held is not None:
            self._local.held = held
            with self._lock:
                self._open.add(held)
        return held

    def release(self) -> None:
        """Before this thread checks out a connection of its own (a transaction)."""

    def discard(self, held: Held, exc: BaseException) -> None:
        """After a disconnect: the thread takes a new connection next time."""
        held.end()

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._open)
            self._open.clear()
        for held in connections:
            held.end()

    def _usable(self, held: Held) -> bool:
        return True

    def _take(self) -> Held | None:
        raise NotImplementedError


class DetachedConnections(ThreadConnections):
    """SQLite files: a connection of the thread's own, outside the pool."""

    def _take(self) -> Held:
        proxy = self._engine.raw_connection()
        proxy.detach()
        return Held(proxy, _close_quietly)


class _Lease(Held):
    __slots__ = ("_fd", "_info", "_poller", "pool", "started")

    def __init__(self, proxy: Any, give_up: Callable[[Any], None], pool: Any) -> None:
        super().__init__(proxy, give_up)
        self.pool = pool
        self.started: float = proxy._connection_record.starttime
        # The pool record's info: the checkin listener (``_engine``) reads the last
        # statement's time there, also when the lease ends with its thread.
        self._info: dict[Any, Any] = proxy.info
        self._fd = -1
        self._poller: Any = None
        self.close()

    def close(self) -> None:
        self._info[LAST_STATEMENT] = time.monotonic()

    def pending_input(self) -> bool:
        """``has_pending_input`` with one poll object per socket instead of one per call
        (the lease checks before every statement)."""
        if not _HAS_POLL:
            return has_pending_input(self.dbapi_connection)
        fd = socket_fd(self.dbapi_connection)
        if fd < 0:
            return True
        if fd != self._fd:
            self._poller, self._fd = socket_poller(fd), fd
        return bool(self._poller.poll(0))


class LeasedConnections(ThreadConnections):
    """Servers: a connection checked out of the pool and kept between statements."""

    _checks_each_statement = True

    def __init__(self, engine: Engine, settings: EngineSettings) -> None:
        super().__init__(engine)
        self._settings = settings
        self._limit = engine.pool.size() - 1  # type: ignore[attr-defined]
        self._leased = 0

    def release(self) -> None:
        held: Held | None = getattr(self._local, "held", None)
        if held is not None:
            self._local.held = None
            held.end()

    def discard(self, held: Held, exc: BaseException) -> None:
        # As Connection does after a disconnect: retire this connection and every one opened
        # before it (what dropped this one most likely dropped its elders).
        cast(_Lease, held).pool._invalidate(held.proxy, exc)
        held.end()

    def _usable(self, held: Held) -> bool:
        lease: _Lease = held  # type: ignore[assignment]  # (typing.cast is a call per statement)
        pool = self._engine.pool
        recycle = self._settings.pool_recycle
        info = lease._info
        # The checks a checkout would make (the pool's and _engine's stale-connection ones);
        # one that fails sends the lease back, marked idle since its last statement, and the
        # pool's next checkout pings, replaces or reuses it.
        now = time.monotonic()
        usable = (
            lease.pool is pool
            and getattr(pool, "_invalidate_time", 0) <= lease.started
            and (recycle < 0 or time.time() - lease.started <= recycle)
            and now - info.get(LAST_STATEMENT, 0.0) <= self._settings.ping_after_idle
            and not lease.pending_input()
        )
        if usable:
            # Idle from this statement's start on: a little early, so never a missed ping.
            info[LAST_STATEMENT] = now
        return usable

    def _take(self) -> _Lease | None:
        with self._lock:
            if self._leased >= self._limit:
                return None
            self._leased += 1
        pool = self._engine.pool
        try:
            proxy = self._engine.raw_connection()
        except BaseException:
            self._returned()
            raise
        return _Lease(proxy, self._give_back, pool)

    def _give_back(self, proxy: Any) -> None:
        self._returned()
        _close_quietly(proxy)

    def _returned(self) -> None:
        with self._lock:
            self._leased -= 1


_HAS_POLL = hasattr(select, "poll")


def _close_quietly(closable: Any) -> None:
    with contextlib.suppress(Exception):  # a dead connection's reset; the pool logs it
        closable.close()
