"""MariaDB reads a record's columns as one ``JSON_ARRAY`` text (``Runner.prepare_record``):
the same values as column by column, for any text a column may hold; other dialects read the
columns themselves; and a ``mysql://`` URL settles the form after its first statement
instead of connecting to decide it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy import SQLStorage
from oauth2_core_sqlalchemy._direct import Prepared
from oauth2_core_sqlalchemy.testing import SQLHarness
from sql_services import mariadb_by_mysql_url

from oauth2_core.models import Client, Token
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

NOW = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
# Every ASCII character but NUL (PostgreSQL's text refuses it), the controls JSON escapes
# included, quotes, a backslash, a character of the BMP and one beyond it, and text shaped
# like a JSON array.
TRICKY = "".join(map(chr, range(1, 128))) + 'é😀\u2028","x"],["' + "\\"


def _client(client_id: str) -> Client:
    return Client(
        client_id=client_id,
        client_secret_hash="sha256$" + "0" * 64,
        redirect_uris=("https://app.example/cb?q=é", 'https://app.example/"x"'),
        grant_types=("authorization_code", "refresh_token"),
        scope=TRICKY,
        client_name=TRICKY,
        can_introspect=True,
        created_at=NOW,
    )


def _token(client_id: str, **changes: object) -> Token:
    fields: dict[str, object] = {
        "access_token_hash": hash_token(generate_token()),
        "client_id": client_id,
        "scope": TRICKY,
        "grant_id": new_grant_id(),
        "grant_type": "authorization_code",
        "issued_at": NOW,
        "access_expires_at": NOW + timedelta(hours=1),
        "user_id": TRICKY,
        "refresh_token_hash": hash_token(generate_token()),
        "refresh_expires_at": NOW + timedelta(days=14, milliseconds=1),
        **changes,
    }
    return Token(**fields)  # type: ignore[arg-type]


def test_records_read_back_exactly_in_either_form(harness: SQLHarness, storage: SQLStorage) -> None:
    client_id = "c " + TRICKY
    client = _client(client_id)
    storage.save_client(client)
    active = _token(client_id)
    retired = _token(client_id, user_id=None, revoked_at=NOW, rotated_at=NOW)
    for token in (active, retired):
        storage.save_token(token, now=NOW)
    assert storage.query_client(client_id) == client
    assert storage.query_token(active.access_token_hash, now=NOW) == active
    assert storage.query_refresh_token(str(active.refresh_token_hash), now=NOW) == active
    assert storage.query_refresh_token(str(retired.refresh_token_hash), now=NOW) == retired
    assert storage.query_token(retired.access_token_hash, now=NOW) is None  # retired
    packed = harness.backend == "mariadb"
    hot = storage._hot
    for prepared in (hot.client, hot.token_by_access, hot.token_by_refresh):
        assert prepared.sql.startswith("SELECT json_array(") is packed


def test_a_mysql_url_settles_the_form_after_its_first_statement(harness: SQLHarness) -> None:
    with mariadb_by_mysql_url(harness, "packed-mysql-url") as store:
        # Not yet connected: read column by column, and asked again next time.
        assert not store._hot.token_by_access.sql.startswith("SELECT json_array(")
        assert "token_by_access" not in vars(store._hot)
        assert store.engine.dialect.server_version_info is None  # nothing connected to decide
        token = _token("client")
        store.save_token(token, now=NOW)
        assert store.query_token(token.access_token_hash, now=NOW) == token
        assert store._hot.token_by_access.sql.startswith("SELECT json_array(")
        assert "token_by_access" in vars(store._hot)
        assert store.query_token(token.access_token_hash, now=NOW) == token


def test_a_column_type_of_unknown_json_form_keeps_the_row_column_by_column(
    harness: SQLHarness, storage: SQLStorage
) -> None:
    """An application's own column type: its JSON text might not read back as its driver
    value, so the whole row is read as columns."""
    if harness.backend != "mariadb":
        pytest.skip("only MariaDB packs its rows")
    table = sa.Table(
        "amounts",
        sa.MetaData(),
        sa.Column("name", sa.String(20)),
        sa.Column("flag", sa.Boolean),
        sa.Column("n", sa.Numeric),
    )
    known = Prepared(sa.select(table.c.name, table.c.flag), storage.engine, packed=True)
    assert known.sql.startswith("SELECT json_array(")
    name, flag = known.values(('["x", 1]',))
    assert name == "x" and flag is True  # as the Core path reads a boolean, not 1
    mixed = Prepared(sa.select(table.c.name, table.c.n), storage.engine, packed=True)
    assert not mixed.sql.startswith("SELECT json_array(")
    assert mixed.values(("x", 1)) == ["x", 1]
