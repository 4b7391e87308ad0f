"""Engines built for the contract's failure behaviour (SECURITY.md, storage and operations).

Every connection runs in driver autocommit, so a single-statement operation costs exactly its
statement: no BEGIN/COMMIT round trips. Multi-statement operations open an explicit
transaction (``BEGIN IMMEDIATE`` on SQLite, so the write lock is taken up front).

Stale connections (a database restart, a proxy or ``wait_timeout`` closing idle sessions) are
caught at checkout without a ping per operation: a connection whose socket already shows input
(the server's goodbye or end of stream; a healthy idle session has none) or that sat in the pool
longer than ``ping_after_idle`` seconds is pinged first, and one that fails the ping is replaced
along with every connection opened before it, as ``pool_pre_ping`` would. A connection that
dies while in use fails its operation with ``StorageUnavailable``; SQLAlchemy's disconnect
detection then retires the pool's older connections too. The connections threads hold between
statements (``_thread_connections``) pass the same checks before each statement.

Options read from the URL query and removed before the driver sees it:
``pool_timeout`` (seconds to wait for a free connection, default 2), ``pool_size``,
``max_overflow``, ``ping_after_idle`` (seconds, default 1; ``inf`` turns the idle ping off),
``pre_ping`` (``true`` pings on every checkout, default false), ``pool_recycle`` (seconds a
connection may live, default 3600; -1 never) and, on SQLite only, ``create=dev`` (create the
schema on open; development only). ``connect_timeout`` is passed to the driver (default 3 s).
"""

from __future__ import annotations

import contextlib
import math
import select
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from oauth2_core.errors import ConfigurationError

__all__ = [
    "LAST_STATEMENT",
    "EngineSettings",
    "build_engine",
    "engine_settings",
    "has_pending_input",
    "is_memory_sqlite",
    "parse_url",
    "socket_fd",
    "socket_poller",
    "writer_lock",
]

# One driver per database family: the ones this package is tested with.
_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "mariadb+pymysql": "mariadb+pymysql",
}
_SQLITE_BUSY_TIMEOUT_MS = 5000
_SERVER_STATUS_IN_TRANS = 1  # MySQL protocol status flag, set while a transaction is open
_IDLE_SINCE = "oauth2_core_idle_since"  # key in the pool record's info (cleared on reconnect)
# Set in a pool record's info by a thread's lease at each statement (_thread_connections):
# its idle time starts there, not when the lease goes back to the pool.
LAST_STATEMENT = "oauth2_core_last_statement"
_SETTINGS: weakref.WeakKeyDictionary[Engine, EngineSettings] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class EngineSettings:
    pool_timeout: float = 2.0
    pool_size: int = 16  # the HTTP app runs 16 storage calls at once per worker by default
    max_overflow: int = 10
    pre_ping: bool = False
    ping_after_idle: float = 1.0
    pool_recycle: float = 3600.0
    connect_timeout: int = 3
    create_dev: bool = False


def _flag(value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"expected true or false, got {value!r}")


def parse_url(url: str | URL) -> tuple[URL, EngineSettings]:
    """Normalise the driver and split our options off the URL's query."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        known = ", ".join(sorted(_DRIVERS))
        raise ConfigurationError(f"unsupported SQL URL scheme {parsed.drivername!r} ({known})")
    query = dict(parsed.query)
    settings = EngineSettings()

    def option(name: str, default: object) -> str:
        value = query.pop(name, None)
        if isinstance(value, tuple):
            raise ConfigurationError(f"option {name!r} given more than once")
        return str(default) if value is None else value

    try:
        create = query.pop("create", None)
        if create is not None and (create != "dev" or not driver.startswith("sqlite")):
            raise ConfigurationError(
                "implicit table creation is for SQLite in development only (?create=dev);"
                " use `oauth2-core-sqlalchemy upgrade URL` elsewhere"
            )
        connect_timeout = query.get("connect_timeout", str(settings.connect_timeout))
        settings = EngineSettings(
            pool_timeout=float(option("pool_timeout", settings.pool_timeout)),
            pool_size=int(option("pool_size", settings.pool_size)),
            max_overflow=int(option("max_overflow", settings.max_overflow)),
            pre_ping=_flag(option("pre_ping", "false")),
            ping_after_idle=float(option("ping_after_idle", settings.ping_after_idle)),
            pool_recycle=float(option("pool_recycle", settings.pool_recycle)),
            connect_timeout=int(str(connect_timeout)),
            create_dev=create == "dev",
        )
    except ValueError as exc:
        raise ConfigurationError(f"bad option in storage URL: {exc}") from exc
    if math.isnan(settings.ping_after_idle) or settings.ping_after_idle < 0:
        raise ConfigurationError("ping_after_idle must be a number of seconds >= 0 (or inf)")
    return parsed.set(drivername=driver, query=query), settings


def _utc_session_options(options: str | tuple[str, ...] | None) -> str | None:
    """libpq ``options`` with the session in UTC, unless the URL's own choose a zone.

    psycopg then returns timestamptz with ``datetime.UTC`` itself, which ``to_utc_ms`` passes
    through untouched; under a zone such as Debian's default ``Etc/UTC`` every instant read
    took an ``astimezone`` and a subtraction. The instants are the same either way.
    """
    if isinstance(options, tuple):
        return None  # given twice: the driver's error, not ours to resolve
    if options and "timezone" in options.lower():
        return None
    return f"{options} -c TimeZone=UTC" if options else "-c TimeZone=UTC"


def is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def build_engine(url: str | URL, settings: EngineSettings | None = None) -> Engine:
    """An autocommit engine with stale-connection checks, short timeouts and SQLite pragmas."""
    parsed, from_url = parse_url(url)
    settings = settings or from_url
    kwargs: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "pool_pre_ping": settings.pre_ping}
    connect_args: dict[str, Any] = {}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        connect_args["check_same_thread"] = False
        connect_args["timeout"] = _SQLITE_BUSY_TIMEOUT_MS / 1000
        if is_memory_sqlite(parsed):
            # One shared connection, or each thread would see its own empty database.
            kwargs["poolclass"] = StaticPool
        else:
            kwargs |= {"pool_size": settings.pool_size, "max_overflow": settings.max_overflow}
            kwargs["pool_timeout"] = settings.pool_timeout
    else:
        kwargs |= {"pool_size": settings.pool_size, "max_overflow": settings.max_overflow}
        kwargs["pool_timeout"] = settings.pool_timeout
        kwargs["pool_recycle"] = settings.pool_recycle
        # Most recently returned first: under light load one connection stays hot (no idle
        # ping) and the surplus ages out, instead of every connection idling in turn.
        kwargs["pool_use_lifo"] = True
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = settings.connect_timeout
    if backend == "postgresql" and "tcp_user_timeout" not in parsed.query:
        # A request the server host never acknowledges (gone, partitioned) fails in 10 s
        # instead of waiting out TCP's retransmissions (libpq, Linux).
        connect_args["tcp_user_timeout"] = 10_000
    if backend == "postgresql":
        options = _utc_session_options(parsed.query.get("options"))
        if options is not None:
            connect_args["options"] = options
    if backend in ("mysql", "mariadb"):
        # pymysql waits forever for a silent server otherwise.
        connect_args.setdefault("read_timeout", 10)
        connect_args.setdefault("write_timeout", 10)
        connect_args.setdefault("charset", "utf8mb4")
    engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif not settings.pre_ping:
        _check_stale_connections(engine, settings.ping_after_idle)
    if backend in ("mysql", "mariadb"):
        _skip_idle_rollbacks(engine)
    _SETTINGS[engine] = settings
    return engine


def engine_settings(engine: Engine) -> EngineSettings | None:
    """The settings ``build_engine`` made the engine with; None for anyone else's engine."""
    return _SETTINGS.get(engine)


def _check_stale_connections(engine: Engine, ping_after_idle: float) -> None:
    """Ping at checkout only a connection that looks stale; see the module docstring.

    SQLAlchemy's documented pessimistic recipe (a ``checkout`` listener raising
    ``DisconnectionError``), restricted so that a busy pool costs no round trip.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        last_statement = record.info.pop(LAST_STATEMENT, None)
        record.info[_IDLE_SINCE] = time.monotonic() if last_statement is None else last_statement

    @event.listens_for(engine, "checkout")
    def _ping_if_stale(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None:  # just connected
            return
        fresh = time.monotonic() - idle_since <= ping_after_idle
        if fresh and not has_pending_input(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            # What killed one idle connection (a restart) most likely killed its elders too.
            raise sa_exc.InvalidatePoolError("stale pooled connection") from exc


def socket_fd(dbapi_connection: Any) -> int:
    """The connection's socket descriptor; -1 once closed (or for a driver without one)."""
    try:
        fileno = getattr(dbapi_connection, "fileno", None)  # psycopg
        if fileno is not None:
            return int(fileno())
        sock = dbapi_connection._sock  # PyMySQL; None once closed
        return -1 if sock is None else int(sock.fileno())
    except Exception:  # closed: let the ping decide
        return -1


def has_pending_input(dbapi_connection: Any) -> bool:
    """Whether the server sent anything to a session with no statement running: the goodbye
    of a terminated backend, or end of stream. A poll of the socket, no round trip."""
    fd = socket_fd(dbapi_connection)
    if fd < 0:
        return True
    if hasattr(select, "poll"):
        return socket_poller(fd).poll(0) != []
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)


def socket_poller(fd: int) -> select.poll:
    """A poll object that reports input (or hang-up, or a closed descriptor) on ``fd``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return poller


def _skip_idle_rollbacks(engine: Engine) -> None:
    """SQLAlchemy ends every autocommit checkout with DBAPI ``rollback()``, which psycopg
    and sqlite3 skip when no transaction is open but pymysql sends to the server: a wasted
    round trip per operation. Skip it when the server says no transaction is open."""
    dialect = engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        status = getattr(dbapi_connection, "server_status", _SERVER_STATUS_IN_TRANS)
        if status & _SERVER_STATUS_IN_TRANS:
            rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode and str(mode[0]).lower() == "wal":
            # Durable at checkpoints; the WAL makes NORMAL safe against corruption.
            cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def writer_lock(engine: Engine) -> contextlib.AbstractContextManager[Any]:
    """What a write holds: on SQLite, one lock per database file for the whole process.

    SQLite admits one writer at a time, and a writer that finds the database locked polls it,
    sleeping 1, 2, 5, 10 ... up to 100 ms between tries (its busy handler): under concurrent
    token requests those sleeps, not the writes, made the tail latency. Writers of one process
    queue on this lock instead and go as soon as it is free; other processes still meet the
    busy timeout. Other databases lock rows themselves: no lock.
    """
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    url = engine.url
    key = (
        f"memory:{id(engine)}" if is_memory_sqlite(url) else str(Path(url.database or "").resolve())
    )
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(key, threading.RLock())
