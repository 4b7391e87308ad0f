"""Column types: the request path's direct converters (``direct_processors``) give exactly
what SQLAlchemy's ``TypeDecorator`` path gives, on every dialect, NULL aside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from oauth2_core_sqlalchemy import tables
from oauth2_core_sqlalchemy._direct import _positional, _processors
from sqlalchemy.engine import Dialect

DIALECTS = ["sqlite+pysqlite", "postgresql+psycopg", "mysql+pymysql", "mariadb+pymysql"]
INSTANTS = [
    datetime(2030, 1, 1, 12, 0, 0, 123000, tzinfo=UTC),
    datetime(2030, 1, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Paris")),
]
TUPLES = [(), ("https://app.example/cb",), ("a", "b é", 'q"uote')]
KEYS = ["client", "clé", "0" * 64, "app "]


def _dialect(name: str) -> Dialect:
    dialect: Dialect = sa.engine.make_url(f"{name}://").get_dialect()()
    return dialect


def _decorator_path(column: sa.Column[Any], dialect: Dialect) -> tuple[Any, Any]:
    impl = column.type.dialect_impl(dialect)
    return impl.bind_processor(dialect), impl.result_processor(dialect, None)


@pytest.mark.parametrize("name", DIALECTS)
@pytest.mark.parametrize(
    ("column", "samples"),
    [
        (tables.tokens.c.issued_at, INSTANTS),
        (tables.clients.c.redirect_uris, TUPLES),
        (tables.tokens.c.access_token_hash, KEYS),
    ],
    ids=["instant", "string-tuple", "key"],
)
def test_direct_converters_agree_with_the_type_decorators(
    name: str, column: sa.Column[Any], samples: list[Any]
) -> None:
    dialect = _dialect(name)
    slow_bind, slow_result = _decorator_path(column, dialect)
    fast_bind, fast_result = _processors(column.type, dialect)
    for value in samples:
        stored = value if slow_bind is None else slow_bind(value)
        assert (value if fast_bind is None else fast_bind(value)) == stored
        assert type(value if fast_bind is None else fast_bind(value)) is type(stored)
        read = stored if slow_result is None else slow_result(stored)
        fast_read = stored if fast_result is None else fast_result(stored)
        assert fast_read == read
        if isinstance(read, datetime):
            assert fast_read.tzinfo is UTC and fast_read.microsecond % 1000 == 0


@pytest.mark.parametrize("zone", [UTC, ZoneInfo("Etc/UTC"), ZoneInfo("America/New_York")])
def test_postgresql_instants_read_in_any_session_zone_come_back_as_utc(zone: Any) -> None:
    """Sessions that ``build_engine`` opens are in UTC; anyone else's engine may not be."""
    dialect = _dialect("postgresql+psycopg")
    _, result = _processors(tables.tokens.c.issued_at.type, dialect)
    assert result is not None
    instant = datetime(2030, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    read = result(instant.astimezone(zone))
    assert read == instant and read.tzinfo is UTC


def test_pyformat_placeholders_become_positional_in_order_with_literal_percents_kept() -> None:
    sql, names = _positional(
        "SELECT 1 FROM t WHERE a = %(digest)s::VARCHAR AND b LIKE 'x%%' AND c > %(now)s"
        " OR d = %(digest)s"
    )
    assert sql == "SELECT 1 FROM t WHERE a = %s::VARCHAR AND b LIKE 'x%%' AND c > %s OR d = %s"
    assert names == ["digest", "now", "digest"]
