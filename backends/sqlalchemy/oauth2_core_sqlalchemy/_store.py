"""``SQLStore``: the storage contract as SQL statements over four tables.

Round trips are the cost that matters (each is a network hop to the database), so each
operation is the fewest statements its dialect allows, all in driver autocommit, and a pooled
connection is only pinged when it looks stale (``_engine``; see docs/backends/sql.md):

====================  =========================  ===================  =========================
operation             PostgreSQL                 SQLite >= 3.35       MariaDB / MySQL
====================  =========================  ===================  =========================
save_token            INSERT ... SELECT          INSERT ... SELECT    INSERT ... SELECT
query_token           SELECT                     SELECT               SELECT
consume (winner)      UPDATE ... RETURNING       UPDATE ... RETURNING INSERT ... SELECT ... ON
                                                                      DUPLICATE KEY UPDATE ...
                                                                      RETURNING (MySQL: SELECT,
                                                                      UPDATE)
consume (replay)      UPDATE, SELECT             UPDATE, SELECT       the same, SELECT (MySQL:
                                                                      SELECT)
rotate (winner)       one statement (DML CTEs)   BEGIN IMMEDIATE,     SELECT, BEGIN, UPDATE,
                                                 UPDATE, INSERT,      INSERT, COMMIT
                                                 COMMIT
rotate (reuse)        CTE statement, SELECT      BEGIN, UPDATE,       SELECT
                                                 COMMIT, SELECT
revoke_grant          mark upsert, CTE statement BEGIN, mark upsert,  BEGIN, mark upsert,
                      + 1 UPDATE (a pass that    2 UPDATEs, COMMIT    2 UPDATEs, COMMIT
                      finds none)
purge (nothing due)   3 DELETEs                  3 DELETEs            3 DELETEs
====================  =========================  ===================  =========================

Consumption and rotation are conditional UPDATEs: the database's row lock serialises
concurrent callers and re-checks the condition, so the row count (or ``RETURNING``) names
exactly one winner without any table lock.

``revoke_grant`` leaves a mark (a row of ``revoked_grants`` kept until ``now`` +
``REVOKED_GRANT_MARK_SECONDS``), and ``save_token`` reads it inside its INSERT, storing the
record with ``revoked_at`` set when its grant is marked. How a save racing the revoke is
caught (the contract says: whatever the interleaving) depends on the database:

- SQLite runs one writer at a time: the save's statement runs wholly before or after the
  revoke's transaction (mark first, then the retiring UPDATEs).
- MariaDB/MySQL at REPEATABLE READ: InnoDB reads the tables of an INSERT ... SELECT with shared
  next-key locks, so the save locks the mark's key (or the gap where it would go) until it
  commits. The revoke's upsert waits for such a save, whose row its UPDATE then retires; a
  save after the upsert waits for the revoke's commit and reads the mark.
- PostgreSQL at READ COMMITTED: a statement's snapshot may predate a mark committed while it
  runs, and a later UPDATE does not see (nor wait for) a row not yet committed. So the save
  holds a shared advisory lock on its grant until it commits, and the revoke, once its mark
  is committed, takes that lock exclusively in its first retiring pass (waiting for every save
  that holds it) and always runs one more pass, whose snapshot sees those saves' rows. A save
  that takes the lock afterwards took its snapshot after the mark's commit, unless it was
  held up between its snapshot and its lock (in the same statement) for the whole time the
  revoke took from its mark to its lock: that interleaving is not excluded, only made
  vanishingly unlikely.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from oauth2_core.errors import Conflict, DuplicateKey
from oauth2_core.models import (
    AlreadyConsumed,
    AuthorizationCode,
    Client,
    Consumed,
    ConsumeResult,
    NotFound,
    Reused,
    Rotated,
    RotateResult,
    Token,
)
from oauth2_core.storage import Capability
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS
from oauth2_core_sqlalchemy._direct import Prepared, Runner
from oauth2_core_sqlalchemy._engine import writer_lock
from oauth2_core_sqlalchemy._records import (
    client_from_row,
    client_from_values,
    client_values,
    code_from_values,
    code_values,
    token_from_row,
    token_from_values,
    token_values,
)
from oauth2_core_sqlalchemy._statements import RequestStatements, grant_lock_key
from oauth2_core_sqlalchemy.errors import is_unique_violation, translate_errors
from oauth2_core_sqlalchemy.tables import Tables

__all__ = ["SQLStore"]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_ATTEMPTS = 3


def _retry_conflicts(operation: Callable[_P, _T]) -> Callable[_P, _T]:
    """Re-run an operation its database rolled back as a deadlock victim.

    InnoDB resolves a rotation racing a grant revocation (row lock vs. gap lock) by aborting
    one of them whole; each operation here is a compare-and-swap or idempotent, so running
    it again answers correctly (e.g. the loser of a rotation then sees ``Reused``).
    """

    @functools.wraps(operation)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return operation(*args, **kwargs)
            except Conflict:
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    return run


class SQLStore:
    """The whole storage contract on a SQLAlchemy engine and four tables."""

    capabilities: frozenset[Capability] = frozenset(Capability) - {Capability.NATIVE_TTL}

    def __init__(self, engine: Engine, tables: Tables, *, owns_engine: bool = True) -> None:
        self.engine = engine
        self.tables = tables
        self._owns_engine = owns_engine
        dialect = engine.dialect
        self._postgresql = dialect.name == "postgresql"
        self._mysql = dialect.name in ("mysql", "mariadb")
        self._update_returning = bool(dialect.update_returning)
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else "BEGIN"
        self._writing = writer_lock(engine)
        self._runner = Runner(engine, self._writing)
        self._hot = RequestStatements(self._runner, tables)

    # -- plumbing ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        self._runner.release()
        with translate_errors(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self, conn: Connection) -> Iterator[None]:
        # Explicit, because the connection is in autocommit for single statements.
        conn.exec_driver_sql(self._begin)
        try:
            yield
            conn.exec_driver_sql("COMMIT")
        except BaseException:
            # Also after a failed COMMIT: never hand a connection back mid-transaction.
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                conn.exec_driver_sql("ROLLBACK")
            raise

    def close(self) -> None:
        self._runner.close()
        if self._owns_engine:
            self.engine.dispose()

    # -- clients -------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        row = self._runner.first(self._hot.client, {"client_id": client_id})
        return None if row is None else client_from_values(row)

    @_retry_conflicts
    def save_client(self, client: Client) -> None:
        with self._writing, self._connect() as conn:
            try:
                conn.execute(sa.insert(self.tables.clients).values(client_values(client)))
            except sa_exc.IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise
                raise DuplicateKey(f"client {client.client_id!r} already exists") from exc

    def delete_client(self, client_id: str) -> None:
        table = self.tables.clients
        with self._writing, self._connect() as conn:
            conn.execute(sa.delete(table).where(table.c.client_id == client_id))

    def list_clients(self) -> list[Client]:
        """``ClientLister``: administration only, never on a request path."""
        table = self.tables.clients
        with self._connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.client_id)).mappings().all()
        return [client_from_row(row) for row in rows]

    # -- authorization codes -------------------------------------------------------------
    @_retry_conflicts
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        table = self.tables.codes
        values = code_values(table, code)
        self._insert_reclaiming(
            lambda: self._runner.execute(self._hot.insert_code, values),
            table,
            lambda: (table.c.code_hash == code.code_hash) & (table.c.expires_at <= now),
        )

    @_retry_conflicts
    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        # RFC 6749 section 4.1.2: single use; the consumed row stays as the replay tombstone.
        hot, run = self._hot, self._runner
        params = {"digest": code_hash, "now": now}
        if hot.consume_code_returning is not None:
            row = run.first(hot.consume_code_returning, params)
            if row is not None:
                return Consumed(code_from_values(row))
        else:
            # Neither UPDATE nor INSERT ... RETURNING (MySQL; or a MariaDB model whose keys
            # would not let the upsert in): read first, so a replay costs one SELECT.
            found = run.first(hot.select_code, params)
            if found is None:
                return NotFound()
            code = code_from_values(found)
            if code.consumed_at is not None:
                return AlreadyConsumed(code)
            if run.execute(hot.consume_code, params) == 1:
                return Consumed(replace(code, consumed_at=now))
        found = run.first(hot.select_code, params)
        replayed = None if found is None else code_from_values(found)
        if replayed is None or replayed.consumed_at is None:
            return NotFound()
        return AlreadyConsumed(replayed)

    # -- tokens --------------------------------------------------------------------------
    @_retry_conflicts
    def save_token(self, token: Token, *, now: datetime) -> None:
        # A record already revoked needs no mark check (the mark would not change it).
        hot = self._hot
        retired = token.revoked_at is not None
        self._save_token(
            token, now, hot.insert_token if retired else hot.insert_token_honouring_mark
        )

    @_retry_conflicts
    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        """``NewGrantTokenStore``: a plain insert (no mark subquery, no advisory lock)."""
        self._save_token(token, now, self._hot.insert_token)

    def _save_token(self, token: Token, now: datetime, insert: Prepared) -> None:
        table = self.tables.tokens
        values = token_values(table, token)

        def expired_same_key() -> Any:
            same_key = table.c.access_token_hash == token.access_token_hash
            if token.refresh_token_hash is not None:
                same_key = same_key | (table.c.refresh_token_hash == token.refresh_token_hash)
            return same_key & (table.c.expires_at <= now)

        self._insert_reclaiming(
            lambda: self._runner.execute(insert, {**values, "now": now}), table, expired_same_key
        )

    def _insert_reclaiming(
        self, insert: Callable[[], object], table: sa.Table, expired_same_key: Callable[[], Any]
    ) -> None:
        """Insert; on a key collision with an *expired* row (gone by contract), replace it.
        The collision's condition is built only when a collision happens."""
        try:
            insert()
            return
        except DuplicateKey as exc:
            with self._writing, self._connect() as conn:
                if not conn.execute(sa.delete(table).where(expired_same_key())).rowcount:
                    raise DuplicateKey("a record with this digest already exists") from exc
        insert()

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        row = self._runner.first(self._hot.token_by_access, {"digest": access_token_hash})
        if row is None:
            return None
        token = token_from_values(row)
        return token if token.is_access_active(now) else None

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        row = self._runner.first(self._hot.token_by_refresh, {"digest": refresh_token_hash})
        if row is None:
            return None
        token = token_from_values(row)
        return token if token.is_refresh_unexpired(now) else None

    def _refresh_live(self, refresh_token_hash: str, now: datetime) -> Any:
        c = self.tables.tokens.c
        return (c.refresh_token_hash == refresh_token_hash) & (c.refresh_expires_at > now)

    def _select_token(self, conn: Connection, where: Any) -> Token | None:
        row = conn.execute(sa.select(self.tables.tokens).where(where)).mappings().first()
        return None if row is None else token_from_row(row)

    @_retry_conflicts
    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        # RFC 9700 section 4.14.2: a compare-and-swap on the old refresh token.
        table = self.tables.tokens
        c = table.c
        live = self._refresh_live(refresh_token_hash, now)
        retire = (
            sa.update(table)
            .where(live & c.revoked_at.is_(None) & c.rotated_at.is_(None))
            .values(rotated_at=now)
        )
        with self._writing, self._connect() as conn:
            if self._postgresql:
                old = self._rotate_in_one_statement(conn, retire, new_token)
            elif self._update_returning:
                old = self._rotate_returning(conn, retire, new_token)
            else:
                # No UPDATE ... RETURNING (MariaDB): read first, so a reuse costs one SELECT.
                current = self._select_token(conn, live)
                if current is None:
                    return NotFound()
                if not current.is_refresh_active(now):
                    return Reused(current)
                old = self._rotate_by_rowcount(conn, retire, current, new_token, now)
            if old is not None:
                return Rotated(old, new_token)
            loser = self._select_token(conn, live)
        return NotFound() if loser is None else Reused(loser)

    def _rotate_in_one_statement(
        self, conn: Connection, retire: sa.Update, new_token: Token
    ) -> Token | None:
        table = self.tables.tokens
        old = retire.returning(*table.c).cte("old")
        values = token_values(table, new_token)
        row_values = [
            sa.cast(sa.literal(v, table.c[k].type), table.c[k].type) for k, v in values.items()
        ]
        new_row = sa.select(*row_values).where(sa.exists(sa.select(old.c.access_token_hash)))
        inserted = (
            sa.insert(table)
            .from_select(list(values), new_row)
            .returning(table.c.access_token_hash)
            .cte("inserted")
        )
        count = sa.select(sa.func.count()).select_from(inserted).scalar_subquery()
        row = conn.execute(sa.select(old, count.label("inserted_count"))).mappings().first()
        return None if row is None else token_from_row(row)

    def _rotate_returning(
        self, conn: Connection, retire: sa.Update, new_token: Token
    ) -> Token | None:
        table = self.tables.tokens
        with self._transaction(conn):
            row = conn.execute(retire.returning(*table.c)).mappings().first()
            if row is not None:
                conn.execute(sa.insert(table).values(token_values(table, new_token)))
        return None if row is None else token_from_row(row)

    def _rotate_by_rowcount(
        self, conn: Connection, retire: sa.Update, current: Token, new_token: Token, now: datetime
    ) -> Token | None:
        table = self.tables.tokens
        with self._transaction(conn):
            if conn.execute(retire).rowcount != 1:
                return None
            conn.execute(sa.insert(table).values(token_values(table, new_token)))
        return replace(current, rotated_at=now)

    @_retry_conflicts
    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        # RFC 7009 section 2.2: idempotent; an access or a refresh digest.
        table = self.tables.tokens
        c = table.c
        match = (c.access_token_hash == token_hash) | (c.refresh_token_hash == token_hash)
        with self._writing, self._connect() as conn:
            conn.execute(
                sa.update(table).where(match & c.revoked_at.is_(None)).values(revoked_at=now)
            )

    @_retry_conflicts
    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        tokens, codes = self.tables.tokens, self.tables.codes
        revoke_tokens = (
            sa.update(tokens)
            .where((tokens.c.grant_id == grant_id) & tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        spend_codes = (
            sa.update(codes)
            .where((codes.c.grant_id == grant_id) & codes.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        mark = self._mark(grant_id, now)
        with self._writing, self._connect() as conn:
            if not self._postgresql:
                with self._transaction(conn):
                    conn.execute(mark)
                    conn.execute(revoke_tokens)
                    conn.execute(spend_codes)
                return
            conn.execute(mark)  # committed before the lock below is taken
            revoked = revoke_tokens.returning(tokens.c.access_token_hash).cte("revoked")
            count = sa.select(sa.func.count()).select_from(revoked).scalar_subquery()
            spent = spend_codes.returning(codes.c.code_hash).cte("spent")
            wait_for_saves = sa.func.pg_advisory_xact_lock(*grant_lock_key(grant_id))
            conn.execute(sa.select(count, wait_for_saves).add_cte(spent))
            # READ COMMITTED: that statement's snapshot misses the rows of the saves it waited
            # for, and the successor of a rotation it waited for. The next pass sees them; a
            # rotation it waited for held a row it then retired, so passes go on until one
            # retires nothing.
            while conn.execute(revoke_tokens).rowcount:
                pass

    def _mark(self, grant_id: str, now: datetime) -> sa.Insert:
        """Upsert the grant's mark, keeping the later ``until`` of two revocations."""
        marks = self.tables.revoked_grants
        values = {
            "grant_id": grant_id,
            "until": now + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS),
        }
        if self._mysql:
            upsert = mysql.insert(marks).values(values)
            later = sa.func.greatest(marks.c.until, upsert.inserted.until)
            return upsert.on_duplicate_key_update(until=later)
        insert = postgresql.insert if self._postgresql else sqlite.insert
        statement = insert(marks).values(values)
        return statement.on_conflict_do_update(
            index_elements=[marks.c.grant_id],
            set_={"until": statement.excluded.until},
            where=marks.c.until < statement.excluded.until,
        )

    # -- maintenance ---------------------------------------------------------------------
    @_retry_conflicts
    def purge_expired(self, *, now: datetime, batch_size: int = 1000) -> int:
        """Delete what expired, ``batch_size`` rows per statement (short locks, no long scans).

        Tombstones are kept: a consumed code or retired token row carries its own
        ``expires_at`` (for tokens the later of access and refresh expiry). Grant marks past
        their ``until`` go too; they are not records, so they are not counted.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        purged = 0
        marks = self.tables.revoked_grants
        with self._connect() as conn:
            for table in (self.tables.codes, self.tables.tokens):
                purged += self._purge_table(conn, table, table.c.expires_at <= now, batch_size)
            self._purge_table(conn, marks, marks.c.until <= now, batch_size)
        return purged

    def _purge_table(self, conn: Connection, table: sa.Table, expired: Any, size: int) -> int:
        purged = 0
        while True:
            with self._writing:  # per batch: other writers go between batches
                deleted = conn.execute(self._purge_batch(table, expired, size)).rowcount
            purged += deleted
            if deleted < size:
                return purged

    def _purge_batch(self, table: sa.Table, expired: Any, batch_size: int) -> sa.Delete:
        if self._mysql:
            return (
                sa.delete(table)
                .where(expired)
                .with_dialect_options(mysql_limit=batch_size, mariadb_limit=batch_size)
            )
        (key,) = table.primary_key.columns
        batch = sa.select(key).where(expired).limit(batch_size)
        return sa.delete(table).where(key.in_(batch))
