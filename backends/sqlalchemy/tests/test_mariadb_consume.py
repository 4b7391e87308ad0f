"""MariaDB's one-statement code consume (``INSERT ... SELECT ... FOR UPDATE ON DUPLICATE KEY
UPDATE ... RETURNING``, see ``_statements``): which tables may use it, and that a consumer
racing another one waits for it and then loses, at either isolation level."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._engine import build_engine
from oauth2_core_sqlalchemy._statements import _upsert_hits_only_the_code
from oauth2_core_sqlalchemy.tables import authorization_codes
from oauth2_core_sqlalchemy.testing import SQLHarness
from sql_services import mariadb_by_mysql_url

from oauth2_core.models import AlreadyConsumed, AuthorizationCode, Consumed, ConsumeResult
from oauth2_core.tokens import generate_token, hash_code, new_grant_id

NOW = datetime(2030, 1, 1, tzinfo=UTC)
_CONTRACT_COLUMNS = [
    sa.Column(column.key, column.type, nullable=column.nullable)
    for column in authorization_codes.columns
    if column.key != "code_hash"
]


def _codes(*columns: sa.SchemaItem, code_hash: sa.Column[str] | None = None) -> sa.Table:
    digest = code_hash if code_hash is not None else sa.Column("code_hash", sa.String(64))
    copies = [sa.Column(c.key, c.type, nullable=c.nullable) for c in _CONTRACT_COLUMNS]
    return sa.Table("codes", sa.MetaData(), digest, *copies, *columns)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (authorization_codes, True),
        # The mixins' shape: a surrogate auto-increment key, code_hash unique.
        (
            _codes(sa.Column("id", sa.Integer, primary_key=True), sa.UniqueConstraint("code_hash")),
            True,
        ),
        (
            _codes(
                sa.Column("id", sa.Integer, primary_key=True),
                code_hash=sa.Column("code_hash", sa.String(64), unique=True),
            ),
            True,
        ),
        (_codes(sa.Column("note", sa.Text, nullable=False, server_default="")), False),
        # code_hash only indexed: the re-insert would add a second row, not update the first.
        (
            _codes(sa.Column("id", sa.Integer, primary_key=True), sa.Index("by_hash", "code_hash")),
            False,
        ),
        # Another unique key: the re-insert could collide with some other row.
        (
            _codes(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.UniqueConstraint("code_hash"),
                sa.Column("ref", sa.String(32), unique=True),
            ),
            False,
        ),
        (
            _codes(
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                sa.UniqueConstraint("code_hash"),
            ),
            False,
        ),
        # A column the INSERT cannot leave out.
        (
            _codes(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.UniqueConstraint("code_hash"),
                sa.Column("tenant", sa.String(32), nullable=False),
            ),
            False,
        ),
        (
            _codes(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.UniqueConstraint("code_hash"),
                sa.Column("tenant", sa.String(32), nullable=False, server_default="a"),
            ),
            True,
        ),
    ],
    ids=[
        "default",
        "surrogate-key",
        "column-unique",
        "primary-key-and-extra",
        "indexed-only",
        "second-unique",
        "no-autoincrement",
        "required-column",
        "required-with-default",
    ],
)
def test_which_code_tables_take_the_one_statement_consume(table: sa.Table, expected: bool) -> None:
    assert _upsert_hits_only_the_code(table) is expected


def test_mariadb_consumes_in_one_statement(harness: SQLHarness, storage: SQLStorage) -> None:
    if harness.backend != "mariadb":
        pytest.skip("the upsert consume is MariaDB's")
    prepared = storage._hot.consume_code_returning  # type: ignore[attr-defined]
    assert prepared is not None
    assert prepared.sql.startswith("INSERT INTO oauth2_authorization_codes")
    assert " FOR UPDATE ON DUPLICATE KEY UPDATE " in prepared.sql


def test_a_mysql_url_on_mariadb_also_consumes_in_one_statement(harness: SQLHarness) -> None:
    """``mysql+pymysql://`` names no server: the dialect learns it is MariaDB (10.5+, with
    ``INSERT ... RETURNING``) at its first connection, before the statements are compiled."""
    with mariadb_by_mysql_url(harness, "mysql-url") as store:
        assert store.engine.dialect.name == "mysql"
        prepared = store._hot.consume_code_returning
        assert prepared is not None
        assert prepared.sql.startswith("INSERT INTO oauth2_authorization_codes")
        code = _code()
        store.save_authorization_code(code, now=NOW)
        assert isinstance(store.consume_authorization_code(code.code_hash, now=NOW), Consumed)
        replay = store.consume_authorization_code(code.code_hash, now=NOW)
        assert isinstance(replay, AlreadyConsumed)


def _code() -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=hash_code("client", generate_token()),
        client_id="client",
        user_id="alice",
        redirect_uri=None,
        scope="read",
        grant_id=new_grant_id(),
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
    )


def _wait_for(condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


@pytest.mark.parametrize("isolation", ["REPEATABLE-READ", "READ-COMMITTED"])
def test_a_consumer_racing_the_winner_waits_and_loses(
    harness: SQLHarness, storage: SQLStorage, isolation: str
) -> None:
    """The winner's consume is held open in a transaction; the racing consume must wait for
    its commit and answer AlreadyConsumed. At READ COMMITTED a plain INSERT ... SELECT would
    read the uncommitted-over row from its snapshot and also win: FOR UPDATE is what stops it."""
    if harness.backend != "mariadb":
        pytest.skip("the upsert consume is MariaDB's")
    code = _code()
    storage.save_authorization_code(code, now=NOW)
    url = storage.engine.url.update_query_dict(
        {"init_command": f"SET SESSION tx_isolation = '{isolation}'"}
    )
    racing = SQLStorage(build_engine(url))
    holder_engine = build_engine(url)
    results: list[ConsumeResult] = []
    try:
        with holder_engine.connect() as holder, holder_engine.connect() as observer:
            holder.exec_driver_sql("BEGIN")
            won = holder.execute(
                sa.update(authorization_codes)
                .where(authorization_codes.c.code_hash == code.code_hash)
                .values(consumed_at=NOW)
            )
            assert won.rowcount == 1
            consumer = threading.Thread(
                target=lambda: results.append(
                    racing.consume_authorization_code(code.code_hash, now=NOW)
                )
            )
            consumer.start()
            # The racing statement at the server, not finished: blocked in its locking read.
            waiting = (
                "SELECT count(*) FROM information_schema.processlist"
                " WHERE info LIKE 'INSERT INTO oauth2_authorization_codes %%'"
            )
            _wait_for(lambda: not consumer.is_alive() or observer.exec_driver_sql(waiting).scalar())
            assert consumer.is_alive(), "the racing consume did not wait for the winner"
            holder.exec_driver_sql("COMMIT")
            consumer.join(timeout=30)
        assert not consumer.is_alive()
    finally:
        racing.close()
        holder_engine.dispose()
    assert len(results) == 1 and isinstance(results[0], AlreadyConsumed)
    assert results[0].code.consumed_at == NOW
