"""The statements of the request path, built and compiled once per store.

Every statement here takes named parameters: a record's column values by column key, plus
``now`` (and ``digest`` for lookups). See ``_direct`` for why they are compiled up front and
``_store`` for the atomicity each one gives.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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

        self.client: Prepared = prepare(
            sa.select(*_record_columns(clients, CLIENT_FIELDS)).where(
                clients.c.client_id == sa.bindparam("client_id")
            )
        )
        # Token lookups go by key alone; the store tests liveness on the record it read, so
        # the statement carries no instant to convert and the server no predicate to test.
        token_record = _record_columns(tokens, TOKEN_FIELDS)
        self.token_by_access: Prepared = prepare(
            sa.select(*token_record).where(c.access_token_hash == digest)
        )
        self.token_by_refresh: Prepared = prepare(
            sa.select(*token_record).where(c.refresh_token_hash == digest)
        )
        # A record already revoked, or the first of a grant created for it, skips the mark
        # (and, on PostgreSQL, the lock).
        self.insert_token: Prepared = prepare(_insert(tokens, _CONTRACT.tokens))
        self.insert_token_honouring_mark: Prepared = prepare(
            self._insert_honouring_mark(tables, now)
        )
        self.insert_code: Prepared = prepare(_insert(codes, _CONTRACT.codes))

        live_code = (codes.c.code_hash == digest) & (codes.c.expires_at > now)

        def consume() -> sa.Update:
            # A fresh statement each time: ``.returning()`` on one already compiled would
            # carry over its memoised (empty) result columns.
            unconsumed = live_code & codes.c.consumed_at.is_(None)
            return sa.update(codes).where(unconsumed).values(consumed_at=now)

        code_record = _record_columns(codes, CODE_FIELDS)
        self.select_code: Prepared = prepare(sa.select(*code_record).where(live_code))
        self.consume_code: Prepared = prepare(consume())
        self.consume_code_returning: Prepared | None = (
            prepare(consume().returning(*code_record)) if dialect.update_returning else None
        )

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
