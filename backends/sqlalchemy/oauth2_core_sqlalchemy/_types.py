"""Column types that make every dialect round-trip the contract's values exactly.

- Instants are aware UTC at millisecond precision (``oauth2_core.clock``): ``timestamptz`` on
  PostgreSQL, ``DATETIME(6)`` holding naive UTC on MariaDB/MySQL, integer milliseconds since the
  epoch on SQLite (whose only native temporal storage is text).
- Identifiers compare byte for byte on every dialect. MariaDB/MySQL store them as VARBINARY:
  their ``*_bin`` collations still ignore trailing spaces (PAD SPACE), which would make
  ``"app "`` find client ``"app"``; binary strings never pad.
- Tuples of strings (redirect URIs, grant types) are stored as JSON text.

Each type also offers ``direct_processors(dialect)``: the same conversions as plain functions
of a non-NULL value, for the request path's compiled statements (``_direct``). SQLAlchemy's
``TypeDecorator`` processors reach ``process_*`` through two more Python calls per value, and
on a token lookup those calls were a tenth of the client's work (issue 9).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect

from oauth2_core.clock import from_epoch_ms, to_epoch_ms, to_utc_ms

__all__ = ["DirectProcessors", "PackedRead", "StringTuple", "UTCDateTime", "key", "packed_read"]

_MYSQL_DIALECTS = ("mysql", "mariadb")

# (bind, result) converters of a non-NULL value; None where the value passes unchanged.
DirectProcessors = tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]
# How a column travels inside a JSON array (``packed_read``): the expression that puts it
# there, and the converter of its non-NULL JSON value (None: it passes unchanged).
PackedRead = tuple[Callable[[Any], Any], Callable[[Any], Any] | None]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime, truncated to milliseconds, on every dialect."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        if dialect.name in _MYSQL_DIALECTS:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        direct = self.direct_processors(dialect)
        bind = None if direct is None else direct[0]
        return to_utc_ms(value) if bind is None else bind(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return from_epoch_ms(value)
        if value.tzinfo is None:
            return _aware_of_naive_utc(value)
        return to_utc_ms(value)

    def direct_processors(self, dialect: Dialect) -> DirectProcessors | None:
        if dialect.name == "sqlite":
            return _epoch_ms_of, from_epoch_ms
        if dialect.name in _MYSQL_DIALECTS:
            return _naive_utc_of, _aware_of_naive_utc
        if dialect.name == "postgresql":
            # timestamptz comes back aware (UTC itself on sessions in UTC, ``_engine``).
            return to_utc_ms, to_utc_ms
        return None  # another dialect: the TypeDecorator's own processors


def _epoch_ms_of(value: datetime) -> int:
    return to_epoch_ms(to_utc_ms(value))


def _naive_utc_of(value: datetime) -> datetime:
    return _with_zone(to_utc_ms(value), None)


def _aware_of_naive_utc(value: datetime) -> datetime:
    return to_utc_ms(_with_zone(value, UTC))


# The constructor, not ``datetime.replace``: on CPython 3.11 replace costs four times as much,
# and every instant read or written on MariaDB goes through this.
def _with_zone(value: datetime, zone: tzinfo | None) -> datetime:
    return datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        zone,
    )


class StringTuple(sa.types.TypeDecorator[tuple[str, ...]]):
    """A tuple of strings as JSON text (portable, order kept)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: tuple[str, ...] | None, dialect: Dialect) -> Any:
        return None if value is None else _json_list_of(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[str, ...] | None:
        return None if value is None else _tuple_of_json(value)

    def direct_processors(self, dialect: Dialect) -> DirectProcessors | None:
        return _json_list_of, _tuple_of_json


def _json_list_of(value: tuple[str, ...]) -> str:
    return json.dumps(list(value))


@functools.lru_cache(maxsize=1024)
def _tuple_of_json(value: str) -> tuple[str, ...]:
    # Memoized on the stored text itself, so never stale: a client's redirect URIs, grant and
    # response types are three of these per client lookup, each a json.loads of about ten
    # Python calls, and the same few texts come back on every request (issue 9).
    return tuple(json.loads(value))


class _BinaryKey(sa.types.TypeDecorator[str]):
    """A UTF-8 string kept as VARBINARY on MariaDB/MySQL (4 bytes per character at most)."""

    impl = mysql.VARBINARY
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else _utf8_of(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else _text_of_binary_key(value)

    def direct_processors(self, dialect: Dialect) -> DirectProcessors | None:
        return _utf8_of, _text_of_binary_key


def _utf8_of(value: str) -> bytes:
    return value.encode("utf-8")


def _text_of_binary_key(value: Any) -> str:
    # A str: a column not yet migrated to VARBINARY (before revision 0003).
    return value if isinstance(value, str) else bytes(value).decode("utf-8")


def key(length: int = 255) -> sa.types.TypeEngine[str]:
    """A string compared byte for byte (client ids are case-sensitive, RFC 6749 section 2.2;
    no collation may fold case or ignore trailing spaces)."""
    return sa.String(length).with_variant(_BinaryKey(length * 4), *_MYSQL_DIALECTS)


def packed_read(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> PackedRead | None:
    """How a column of ``type_`` is read inside a MariaDB ``JSON_ARRAY`` row (``_direct``), or
    None for a type whose JSON form this module does not know (an application's own column
    type): such a row is read column by column.

    Binary keys are cast to utf8mb4 text (a binary string would turn the whole array binary
    and the text columns beside it to another charset); instants arrive as their
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text; booleans as 0 or 1; the rest as the driver reads them.
    """
    impl = type_.dialect_impl(dialect)
    if isinstance(impl, _BinaryKey):
        return _as_utf8mb4, None
    if isinstance(impl, UTCDateTime):
        return _unchanged, _aware_of_naive_utc_text
    if isinstance(impl, StringTuple):
        return _unchanged, _tuple_of_json
    if isinstance(impl, sa.Boolean):
        return _unchanged, bool
    if isinstance(impl, sa.Integer) or (
        isinstance(impl, sa.String) and not isinstance(impl, sa.Enum)
    ):
        return _unchanged, None
    return None


def _as_utf8mb4(column: Any) -> Any:
    return sa.cast(column, mysql.CHAR(charset="utf8mb4"))


def _unchanged(column: Any) -> Any:
    return column


def _aware_of_naive_utc_text(value: str) -> datetime:
    return _aware_of_naive_utc(datetime.fromisoformat(value))
