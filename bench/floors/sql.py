"""The floor on SQL: DBAPI calls on one autocommit connection.

On PostgreSQL and MariaDB that connection is the one oauth2-core's lookups run on in this
thread (its lease, ``shared``), so both contenders talk to the same server session: the same
backend process on PostgreSQL, the same server thread on MariaDB. On this 2-core VM a round
trip to a session scheduled on the client's core took about 25 us and one across cores about
100 us, and two sessions flipped between those modes independently, for seconds at a time: a
floor with a session of its own made the ratio a draw of the scheduler (issue 9). SQLite has
no server; its floor takes a connection of its own from the store's engine.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bench.workload import WORKLOAD

__all__ = ["SqlFloor"]

_TABLES = (
    """CREATE TABLE floor_client (client_id VARCHAR(64) PRIMARY KEY,
    secret_hash VARCHAR(128), redirect_uris VARCHAR(1000), grant_types VARCHAR(200),
    scope VARCHAR(200), auth_method VARCHAR(40))""",
    """CREATE TABLE floor_token (access_hash VARCHAR(64) PRIMARY KEY,
    refresh_hash VARCHAR(64) UNIQUE, client_id VARCHAR(64), user_id VARCHAR(64),
    scope VARCHAR(200), grant_id VARCHAR(64), grant_type VARCHAR(40), issued_at TIMESTAMP(3),
    access_expires_at TIMESTAMP(3), refresh_expires_at TIMESTAMP(3) NULL,
    revoked_at TIMESTAMP(3) NULL, rotated_at TIMESTAMP(3) NULL)""",
    """CREATE TABLE floor_code (code_hash VARCHAR(64) PRIMARY KEY, client_id VARCHAR(64),
    user_id VARCHAR(64), redirect_uri VARCHAR(1000), scope VARCHAR(200), grant_id VARCHAR(64),
    issued_at TIMESTAMP(3), expires_at TIMESTAMP(3), code_challenge VARCHAR(128),
    consumed_at TIMESTAMP(3) NULL)""",
)
_TOKEN_COLUMNS = (
    "access_hash, refresh_hash, client_id, user_id, scope, grant_id, grant_type, issued_at,"
    " access_expires_at, refresh_expires_at"
)


class SqlFloor:
    def __init__(self, engine: Engine, *, shared: Any = None) -> None:
        self.dialect = engine.dialect.name
        self.raw = None if shared is not None else engine.raw_connection()
        self.conn: Any = shared if self.raw is None else self.raw.driver_connection
        if self.dialect == "sqlite":
            self.conn.isolation_level = None
        elif self.dialect == "postgresql":
            self.conn.autocommit = True
        else:
            self.conn.autocommit(True)
        self.cursor = self.conn.cursor()
        for table in ("floor_client", "floor_token", "floor_code"):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in _TABLES:
            self.cursor.execute(ddl if self.dialect != "postgresql" else ddl.replace("(3)", ""))
        self._exec(
            "INSERT INTO floor_client VALUES (%s, %s, %s, %s, %s, %s)",
            (WORKLOAD.client_id, "sha256$" + "0" * 64, WORKLOAD.redirect_uri,
             "authorization_code refresh_token client_credentials", WORKLOAD.scope,
             "client_secret_basic"),
        )

    def _exec(self, sql: str, params: tuple[Any, ...]) -> Any:
        if self.dialect == "sqlite":
            sql = sql.replace("%s", "?")
        self.cursor.execute(sql, params)
        return self.cursor

    def _client(self) -> None:
        row = self._exec(
            "SELECT * FROM floor_client WHERE client_id = %s", (WORKLOAD.client_id,)
        ).fetchone()
        if row is None:
            raise AssertionError("floor client missing")

    def _insert_token(self, refresh: bool) -> tuple[str, str | None]:
        now = datetime.now(UTC)
        access = secrets.token_urlsafe(32)
        refresh_token = secrets.token_urlsafe(32) if refresh else None
        self._exec(
            f"INSERT INTO floor_token ({_TOKEN_COLUMNS}) VALUES "  # noqa: S608 (constants)
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (access, refresh_token, WORKLOAD.client_id, WORKLOAD.user_id if refresh else None,
             WORKLOAD.scope, secrets.token_hex(16),
             "authorization_code" if refresh else "client_credentials", now,
             now + timedelta(hours=1), now + timedelta(days=14) if refresh else None),
        )
        return access, refresh_token

    def client_credentials(self) -> str:
        self._client()
        return self._insert_token(refresh=False)[0]

    def validate(self, access_token: str) -> None:
        row = self._exec(
            "SELECT * FROM floor_token WHERE access_hash = %s", (access_token,)
        ).fetchone()
        if row is None:
            raise AssertionError("floor token missing")

    def authorize(self) -> str:
        self._client()
        now = datetime.now(UTC)
        code = secrets.token_urlsafe(32)
        self._exec(
            "INSERT INTO floor_code (code_hash, client_id, user_id, redirect_uri, scope,"
            " grant_id, issued_at, expires_at, code_challenge) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (code, WORKLOAD.client_id, WORKLOAD.user_id, WORKLOAD.redirect_uri, WORKLOAD.scope,
             secrets.token_hex(16), now, now + timedelta(seconds=60), WORKLOAD.code_challenge),
        )
        return code

    def exchange(self, code: str) -> tuple[str, str]:
        self._client()
        returning = "RETURNING client_id, user_id, redirect_uri, scope, grant_id, code_challenge"
        if self.dialect in {"mysql", "mariadb"}:
            # MariaDB has DELETE ... RETURNING but no UPDATE ... RETURNING: one round trip.
            sql = f"DELETE FROM floor_code WHERE code_hash = %s {returning}"  # noqa: S608
            params: tuple[Any, ...] = (code,)
        else:
            sql = (f"UPDATE floor_code SET consumed_at = %s WHERE code_hash = %s"  # noqa: S608
                   f" AND consumed_at IS NULL {returning}")
            params = (datetime.now(UTC), code)
        if self._exec(sql, params).fetchone() is None:
            raise AssertionError("floor code not consumed")
        access, refresh = self._insert_token(refresh=True)
        assert refresh is not None
        return access, refresh

    def close(self) -> None:
        for table in ("floor_client", "floor_token", "floor_code"):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")
        self.cursor.close()
        if self.raw is not None:
            self.raw.invalidate()
