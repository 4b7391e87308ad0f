"""Schema management: Alembic migrations shipped in this package, applied on demand.

``upgrade(engine)`` brings a database to the newest revision and is idempotent (Alembic
records the revision in ``oauth2_core_alembic_version``). ``current_revision`` and
``head_revision`` let a caller tell whether a database is up to date without changing it.
"""

from __future__ import annotations

import threading
import time

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from oauth2_core.errors import StorageUnavailable
from oauth2_core_sqlalchemy.errors import translate_errors

__all__ = ["VERSION_TABLE", "current_revision", "head_revision", "upgrade"]

VERSION_TABLE = "oauth2_core_alembic_version"
_SCRIPT_LOCATION = "oauth2_core_sqlalchemy:migrations"
# Session-level locks, so that servers starting together migrate one after the other.
# Taken with a non-blocking try in a loop: a holder that never lets go (a hung process)
# gives a clear error after LOCK_WAIT_SECONDS instead of a migrate that waits forever.
# Each lock is scoped to the schema (PostgreSQL) or database (MySQL/MariaDB) being migrated:
# PostgreSQL advisory locks span a whole database and MySQL's named locks the whole server,
# so an unscoped key would make deployments sharing one server wait on each other.
_LOCKS = {
    "postgresql": (
        "SELECT pg_try_advisory_lock(726041311, hashtext(coalesce(current_schema(), '')))",
        "SELECT pg_advisory_unlock(726041311, hashtext(coalesce(current_schema(), '')))",
    ),
    "mysql": (
        "SELECT GET_LOCK(CONCAT('oauth2_core_migrations:', DATABASE()), 0)",
        "SELECT RELEASE_LOCK(CONCAT('oauth2_core_migrations:', DATABASE()))",
    ),
}
LOCK_WAIT_SECONDS = 60.0
_LOCKS["mariadb"] = _LOCKS["mysql"]
# Alembic's ``context``/``op`` proxies are process-global: one upgrade at a time per process.
_IN_PROCESS = threading.Lock()


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("oauth2_core_sqlalchemy ships no migrations: a broken install")
    return head


def current_revision(engine: Engine) -> str | None:
    with translate_errors(), engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``; a no-op when already there. Concurrent
    callers (several servers starting at once) wait for each other."""
    with _IN_PROCESS, translate_errors(), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # One transaction holding SQLite's write lock (its DDL is transactional): a
            # concurrent upgrader waits for it within the busy timeout, then finds it done.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                command.upgrade(_config(conn), revision)
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
            return
        lock, unlock = _LOCKS.get(conn.dialect.name, (None, None))
        if lock is not None:
            _acquire(conn, lock)
            conn.commit()  # ends SQLAlchemy's autobegun transaction; the lock is the session's
        try:
            # Migrations run in a transaction where the database has transactional DDL,
            # not in the autocommit mode the storage's own statements use.
            conn.execution_options(isolation_level=conn.default_isolation_level)
            command.upgrade(_config(conn), revision)
            conn.commit()
        finally:
            if unlock is not None:
                conn.rollback()  # nothing is open after a successful upgrade's commit
                conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql(unlock)


def _acquire(conn: Connection, try_lock: str) -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not conn.exec_driver_sql(try_lock).scalar():
        if time.monotonic() >= deadline:
            raise StorageUnavailable(
                f"another process has held the schema migration lock for {LOCK_WAIT_SECONDS:.0f}"
                " s; is an upgrade hung? (PostgreSQL: pg_locks where locktype='advisory';"
                " MySQL/MariaDB: IS_USED_LOCK('oauth2_core_migrations:<database>'))"
            )
        time.sleep(0.25)
