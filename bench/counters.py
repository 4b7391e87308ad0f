"""Round-trip counters, each reading the store's own view where the store offers one.

- SQLite: the SQLite library's trace callback (every statement it runs, BEGIN/COMMIT and
  pool pings included).
- PostgreSQL: the server log with ``log_statement = 'all'`` set on our sessions only,
  beside psycopg cursor executions and pool checkouts (client view). No SQLAlchemy cursor
  event listener: an engine with one takes SQLAlchemy's full execution path instead of the
  SQL store's direct DBAPI path, which would bench the wrong code.
- MariaDB: every protocol command PyMySQL sends (COM_QUERY, COM_PING...), beside
  SQLAlchemy's cursor events; performance_schema is off on this server.
- Redis: ``INFO commandstats`` deltas on the bench's private server (only our traffic) for
  commands, and socket sends from redis-py for round trips (a pipeline is one round trip).
- MongoDB: ``pymongo.monitoring.CommandListener`` (one command, one round trip).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["make_counter"]

PG_LOG = Path(os.environ.get("OAUTH2_BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))


class _Hooks:
    """Process-wide hooks, installed once, counting only while ``active``."""

    active = False
    statements = 0  # DBAPI cursor executions (psycopg; PyMySQL counts its commands)
    checkouts = 0  # pool checkouts (each may cost a ping, depending on the engine)
    traced = 0  # SQLite trace callback
    mysql_commands = 0  # PyMySQL _execute_command
    redis_sends = 0  # redis-py send_packed_command
    mongo: ClassVar[Counter[str]] = Counter()
    pg_pids: ClassVar[set[int]] = set()
    pg_log_denied = False
    installed = False


def _install() -> None:
    if _Hooks.installed:
        return
    _Hooks.installed = True
    from sqlalchemy import event  # noqa: PLC0415
    from sqlalchemy.pool import Pool  # noqa: PLC0415

    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _Hooks.active:
            _Hooks.checkouts += 1
        module = type(dbapi_connection).__module__
        if module.startswith("sqlite3") and not record.info.get("bench_traced"):
            record.info["bench_traced"] = True
            dbapi_connection.set_trace_callback(_on_trace)
        if module.startswith("psycopg") and not record.info.get("bench_logged"):
            record.info["bench_logged"] = True
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SET log_statement = 'all'")  # superuser only
                    cursor.execute("SELECT pg_backend_pid()")
                    _Hooks.pg_pids.add(int(cursor.fetchone()[0]))
            except Exception:  # not allowed: the client view stands in (see Counting.stop)
                _Hooks.pg_log_denied = True
            if not dbapi_connection.autocommit:
                dbapi_connection.commit()

    def _on_trace(_statement: str) -> None:
        if _Hooks.active:
            _Hooks.traced += 1

    event.listen(Pool, "checkout", _on_checkout)

    import psycopg  # noqa: PLC0415

    original_execute = psycopg.Cursor.execute

    def _execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _Hooks.active:
            _Hooks.statements += 1
        return original_execute(self, *args, **kwargs)

    psycopg.Cursor.execute = _execute  # type: ignore[method-assign]

    import pymysql.connections  # noqa: PLC0415

    original_mysql = pymysql.connections.Connection._execute_command

    def _mysql(self: Any, command: int, sql: Any) -> Any:
        if _Hooks.active:
            _Hooks.mysql_commands += 1
        return original_mysql(self, command, sql)

    pymysql.connections.Connection._execute_command = _mysql  # type: ignore[method-assign]

    import redis.connection  # noqa: PLC0415

    original_send = redis.connection.AbstractConnection.send_packed_command

    def _send(self: Any, command: Any, check_health: bool = True) -> Any:
        if _Hooks.active:
            _Hooks.redis_sends += 1
        return original_send(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = _send  # type: ignore[method-assign]

    from pymongo import monitoring  # noqa: PLC0415

    class _Listener(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if _Hooks.active:
                _Hooks.mongo[event.command_name] += 1

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    monitoring.register(_Listener())


def _reset() -> None:
    _Hooks.statements = _Hooks.checkouts = _Hooks.traced = 0
    _Hooks.mysql_commands = _Hooks.redis_sends = 0
    _Hooks.mongo = Counter()


class Counting:
    """``start()`` / ``stop(n)`` -> {figure: per-operation value}; ``primary`` names the
    figure that is the store's own view."""

    primary = "round_trips"

    def __init__(self, backend: str, handle: Any) -> None:
        self.backend = backend
        self.handle = handle
        self._pg_offset = 0
        self._redis_before: dict[str, int] = {}

    def start(self) -> None:
        _reset()
        if self.backend == "postgresql" and os.access(PG_LOG, os.R_OK):
            self._pg_offset = PG_LOG.stat().st_size
        if self.backend == "redis":
            self._redis_before = self._commandstats()
        _Hooks.active = True

    def stop(self, n: int) -> dict[str, float]:
        _Hooks.active = False
        figures: dict[str, float] = {}
        sql = {"pool_checkouts": _Hooks.checkouts / n}
        if self.backend == "postgresql":
            sql["client_statements"] = _Hooks.statements / n
        if self.backend == "sqlite":
            figures = {"round_trips": _Hooks.traced / n, **sql}
        elif self.backend == "postgresql":
            if _Hooks.pg_log_denied or not os.access(PG_LOG, os.R_OK):
                # No server log to read: psycopg's executions, flagged as the client view.
                figures = {"round_trips": sql["client_statements"], "client_view": 1.0, **sql}
            else:
                figures = {"round_trips": self._pg_statements() / n, **sql}
        elif self.backend == "mariadb":
            figures = {"round_trips": _Hooks.mysql_commands / n, **sql}
        elif self.backend == "redis":
            after = self._commandstats()
            delta = {k: v - self._redis_before.get(k, 0) for k, v in after.items()}
            delta = {k: v for k, v in delta.items() if v and k != "info"}
            figures = {"round_trips": _Hooks.redis_sends / n,
                       "server_commands": sum(delta.values()) / n}
            figures.update({f"cmd:{k}": v / n for k, v in sorted(delta.items())})
        elif self.backend == "mongodb":
            figures = {"round_trips": sum(_Hooks.mongo.values()) / n}
            figures.update({f"cmd:{k}": v / n for k, v in sorted(_Hooks.mongo.items())})
        return figures

    def _commandstats(self) -> dict[str, int]:
        info = self.handle.info("commandstats")  # redis-py parses it into a dict
        return {
            name.removeprefix("cmdstat_"): int(fields["calls"]) for name, fields in info.items()
        }

    def _pg_statements(self) -> int:
        time.sleep(0.3)  # the postmaster's log writer is asynchronous
        with PG_LOG.open("rb") as handle:
            handle.seek(self._pg_offset)
            text = handle.read().decode("utf-8", "replace")
        count = 0
        for match in re.finditer(r"^\S+ \S+ UTC \[(\d+)\] .*?LOG:  (statement|execute)",
                                 text, re.MULTILINE):
            if int(match.group(1)) in _Hooks.pg_pids:
                count += 1
        return count


def make_counter(backend: str, handle: Any) -> Counting:
    _install()
    return Counting(backend, handle)


def install_hooks() -> None:
    """Install before the stores open, so every connection is traced from its first use."""
    _install()
