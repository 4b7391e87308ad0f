"""The statements of the request path, built and compiled once per store (the consume that
returns its code at first use: ``RequestStatements.consume_code_returning``).

Every statement here takes named parameters: a record's column values by column key, plus
``now`` (and ``digest`` for lookups). See ``_direct`` for why they are compiled up front and
``_store`` for the atomicity each one gives.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from oauth2_core_sqlalchemy._direct import Prepared, Runner
from oauth2_core_sqlalchemy._records import CLIENT_FIELDS, CODE_FIELDS, TOKEN_FIELDS
from oauth2_core_sqlalchemy.tables import Tables, default_tables

__all__ = ["RequestStatements", "grant_lock_key"]

# PostgreSQL advisory locks of a grant: (this class, hashtext(grant_id)). Schema upgrades lock
# (726041311, hashtext(schema)), so the two never meet.
_GRANT_LOCK_CLASS = 726041312


def grant_lock_key(grant_id: Any) -> tuple[Any, Any]:
    """The two-key advisory lock of a grant (a value or a bound parameter)."""
    return sa.literal_column(str(_GRANT_LOCK_CLASS)), sa.func.hashtext(grant_id)


# The columns the contract's records fill; an application's mapped models may add their own
# (a surrogate key, foreign keys) with defaults of their own.
_CONTRACT = default_tables()


def _binds(table: sa.Table, contract: sa.Table) -> dict[str, Any]:
    return {
        column.key: sa.bindparam(column.key, type_=table.c[column.key].type)
        for column in contract.c
    }


def _record_columns(table: sa.Table, fields: tuple[str, ...]) -> list[sa.Column[Any]]:
    """The columns ``_records``' ``*_from_values`` read, in that order (an application's
    own columns are not read)."""
    return [table.c[name] for name in fields]


def _insert(table: sa.Table, contract: sa.Table) -> sa.Insert:
    return sa.insert(table).values(_binds(table, contract))


class _RecordSelect:
    """A record select of ``RequestStatements``, prepared by ``Runner.prepare_record`` when
    first read and, once its form is settled, kept on the instance (a plain attribute read
    from then on)."""

    def __init__(self, statement_attribute: str) -> None:
        self._statement_attribute = statement_attribute
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: RequestStatements, owner: type | None = None) -> Prepared:
        statement = getattr(instance, self._statement_attribute)
        prepared, settled = instance._runner.prepare_record(statement)
        if settled:
            instance.__dict__[self._name] = prepared
        return prepared


class RequestStatements:
    """``query_client``, ``query_token``, ``query_refresh_token``, ``save_token``,
    ``save_authorization_code`` and ``consume_authorization_code``'s statements."""

    def __init__(self, runner: Runner, tables: Tables) -> None:
        dialect = runner.engine.dialect
        self._postgresql = dialect.name == "postgresql"
        prepare = runner.prepare
        clients, codes, tokens = tables.clients, tables.codes, tables.tokens
        c = tokens.c
        now = sa.bindparam("now", type_=c.issued_at.type)
        digest = sa.bindparam("digest", type_=c.access_token_hash.type)

        self._client_record = sa.select(*_record_columns(clients, CLIENT_FIELDS)).where(
            clients.c.client_id == sa.bindparam("client_id")
        )
        # Token lookups go by key alone; the store tests liveness on the record it read, so
        # the statement carries no instant to convert and the server no predicate to test.
        token_record = _record_columns(tokens, TOKEN_FIELDS)
        self._token_by_access = sa.select(*token_record).where(c.access_token_hash == digest)
        self._token_by_refresh = sa.select(*token_record).where(c.refresh_token_hash == digest)
        # A record already revoked, or the first of a grant created for it, skips the mark
        # (and, on PostgreSQL, the lock).
        self.insert_token: Prepared = prepare(_insert(tokens, _CONTRACT.tokens))
        self.insert_token_honouring_mark: Prepared = prepare(
            self._insert_honouring_mark(tables, now)
        )
        self.insert_code: Prepared = prepare(_insert(codes, _CONTRACT.codes))

        live_code = (codes.c.code_hash == digest) & (codes.c.expires_at > now)
        self._runner = runner
        self._codes, self._now = codes, now
        self._unconsumed = live_code & codes.c.consumed_at.is_(None)
        self._code_record = _record_columns(codes, CODE_FIELDS)
        self.select_code: Prepared = prepare(sa.select(*self._code_record).where(live_code))
        self.consume_code: Prepared = prepare(self._consume())

    client = _RecordSelect("_client_record")
    token_by_access = _RecordSelect("_token_by_access")
    token_by_refresh = _RecordSelect("_token_by_refresh")

    def _consume(self) -> sa.Update:
        # A fresh statement each time: ``.returning()`` on one already compiled would carry
        # over its memoised (empty) result columns.
        return sa.update(self._codes).where(self._unconsumed).values(consumed_at=self._now)

    @functools.cached_property
    def consume_code_returning(self) -> Prepared | None:
        """The consume that also returns the code, or None (``consume_code``, then
        ``select_code``). Decided at first use, not when the store is built: a MySQL-family
        dialect learns at its first connection whether the server is MariaDB, and of which
        version (``INSERT ... RETURNING`` came with 10.5), and a ``mysql://`` URL does not
        say."""
        runner, codes = self._runner, self._codes
        dialect = runner.engine.dialect
        if dialect.update_returning:
            return runner.prepare(self._consume().returning(*self._code_record))
        if dialect.name in ("mysql", "mariadb") and dialect.server_version_info is None:
            runner.meet_the_server()
        if (
            getattr(dialect, "is_mariadb", False)
            and dialect.insert_returning
            and _upsert_hits_only_the_code(codes)
        ):
            return runner.prepare(
                _consume_by_upsert(codes, self._unconsumed, self._now, self._code_record)
            )
        return None

    def _insert_honouring_mark(self, tables: Tables, now: Any) -> sa.Insert:
        """``INSERT ... SELECT`` whose ``revoked_at`` is ``now`` when the token's grant carries
        a live mark: the same single statement as a plain insert (``_store`` explains the
        races it closes)."""
        tokens, marks = tables.tokens, tables.revoked_grants
        binds = _binds(tokens, _CONTRACT.tokens)
        mark = (
            sa.select(self._typed(now, tokens.c.revoked_at))
            .where((marks.c.grant_id == binds["grant_id"]) & (marks.c.until > now))
            .scalar_subquery()
        )
        row = [
            mark if key == "revoked_at" else self._typed(bind, tokens.c[key])
            for key, bind in binds.items()
        ]
        select = sa.select(*row)
        if self._postgresql:
            locked = sa.func.pg_advisory_xact_lock_shared(*grant_lock_key(binds["grant_id"]))
            select = select.select_from(sa.select(locked.label("locked")).subquery("grant_lock"))
        return sa.insert(tokens).from_select(list(binds), select)

    def _typed(self, value: Any, column: sa.Column[Any]) -> Any:
        # PostgreSQL infers no type for a bare parameter in a SELECT list.
        return sa.cast(value, column.type) if self._postgresql else value


def _consume_by_upsert(
    codes: sa.Table, unconsumed: Any, now: Any, code_record: list[sa.Column[Any]]
) -> mysql.Insert:
    """MariaDB's one-statement consume (it has ``INSERT ... RETURNING`` but no
    ``UPDATE ... RETURNING``): re-insert the live, unconsumed row with ``consumed_at = now``,
    which collides with the row itself, so ``ON DUPLICATE KEY UPDATE`` sets ``consumed_at`` in
    place and ``RETURNING`` gives the record. ``FOR UPDATE`` makes the read a locking one at
    any isolation level: a concurrent consumer waits for the winner's commit, then re-reads
    the row, finds it consumed, and inserts nothing."""
    fields = [column.key for column in code_record]
    source = sa.select(*[now if key == "consumed_at" else codes.c[key] for key in fields])
    insert = mysql.insert(codes).from_select(fields, source.where(unconsumed).with_for_update())
    return insert.on_duplicate_key_update(consumed_at=insert.inserted.consumed_at).returning(
        *code_record
    )


def _upsert_hits_only_the_code(codes: sa.Table) -> bool:
    """Whether the re-insert of ``_consume_by_upsert`` can only collide with the code's own
    row and cannot fail first: every unique key is ``code_hash`` alone or an
    auto-increment primary key, and every column the contract does not fill can be left out
    of an INSERT. An application's model that is not so keeps the two statements."""
    contract = set(_CONTRACT.codes.c.keys())
    primary = list(codes.primary_key.columns)
    autoincrement = primary[0] if len(primary) == 1 and primary[0].key != "code_hash" else None
    if autoincrement is not None and autoincrement is not codes.autoincrement_column:
        return False
    unique_keys = [
        [column.key for column in constraint.columns]
        for constraint in codes.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    unique_keys += [
        [column.key for column in index.columns] for index in codes.indexes if index.unique
    ]
    unique_keys += [[column.key] for column in codes.columns if column.unique]
    if primary and autoincrement is None:
        unique_keys.append([column.key for column in primary])
    if any(keys != ["code_hash"] for keys in unique_keys) or ["code_hash"] not in unique_keys:
        return False
    return all(
        column.key in contract
        or column is autoincrement
        or column.nullable
        or column.default is not None
        or column.server_default is not None
        for column in codes.columns
    )
