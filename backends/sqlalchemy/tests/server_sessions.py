"""Server sessions in tests: which one a connection is, and ending one from outside (what a
restart, a proxy or ``wait_timeout`` does to a pooled connection)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy.testing import SQLHarness


def session_id(harness: SQLHarness, conn: sa.Connection) -> int:
    postgresql = harness.backend == "postgresql"
    query = "SELECT pg_backend_pid()" if postgresql else "SELECT CONNECTION_ID()"
    return int(conn.exec_driver_sql(query).scalar_one())


def kill(harness: SQLHarness, session_id: int) -> None:
    """Terminate a session from another one, and wait until the server has let it go."""
    admin = build_engine(harness.url)
    try:
        with admin.connect() as conn:
            if harness.backend == "postgresql":
                # PostgreSQL 14+: waits (up to 5 s) until the backend is gone.
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({session_id}, 5000)")
                return
            conn.exec_driver_sql(f"KILL CONNECTION {session_id}")
            alive = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s"
            for _ in range(500):
                if not conn.exec_driver_sql(alive, (session_id,)).scalar_one():
                    return
                time.sleep(0.01)
            raise AssertionError(f"session {session_id} survived KILL")
    finally:
        admin.dispose()


def server_only(harness: SQLHarness) -> None:
    if harness.backend == "sqlite":
        pytest.skip("SQLite has no server to drop connections")


def driver_session_id(dbapi_connection: Any) -> int:
    info = getattr(dbapi_connection, "info", None)  # psycopg
    if info is not None and hasattr(info, "backend_pid"):
        return int(info.backend_pid)
    return int(dbapi_connection.thread_id())  # PyMySQL
