"""Driver errors translated into the engine's storage errors, always chained.

``SchemaMissing`` is a ``StorageUnavailable`` (the engine answers 503, the data is not lost)
whose message names the command that fixes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy.exc as sa_exc

from oauth2_core.errors import Conflict, DuplicateKey, StorageError, StorageUnavailable

__all__ = ["SchemaMissing", "is_unique_violation", "translate_error", "translate_errors"]

UPGRADE_HINT = "run `oauth2-core-sqlalchemy upgrade URL` (or `oauth2-core migrate --storage URL`)"

# SQLSTATEs (psycopg and pymysql both expose ``sqlstate``) and MySQL error numbers.
_CONFLICT = {"40001", "40P01", "55P03", 1205, 1213}  # serialization, deadlock, lock timeout
_NO_TABLE = {"42P01", "42S02", 1146}  # undefined table
_UNIQUE = {"23505", 1062}  # unique violation (SQLite says so in its message)


class SchemaMissing(StorageUnavailable):
    """The database is reachable but lacks the oauth2-core tables (or an up-to-date version)."""


def _driver_codes(exc: sa_exc.DBAPIError) -> set[object]:
    orig = exc.orig
    codes: set[object] = {getattr(orig, "sqlstate", None)}
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # pymysql: (errno, message)
        codes.add(args[0])
    return codes


def is_unique_violation(exc: sa_exc.IntegrityError) -> bool:
    """A duplicate key, as opposed to e.g. an application model's foreign key refusing."""
    return bool(_driver_codes(exc) & _UNIQUE) or "unique constraint" in str(exc.orig).lower()


def translate_error(exc: sa_exc.SQLAlchemyError) -> StorageError:
    """The storage error to raise ``from`` a SQLAlchemy/driver error."""
    if isinstance(exc, sa_exc.TimeoutError):
        return StorageUnavailable("no database connection free within the pool timeout")
    if not isinstance(exc, sa_exc.DBAPIError):
        return StorageError(f"storage failure: {type(exc).__name__}")
    codes = _driver_codes(exc)
    message = str(exc.orig).lower()
    if isinstance(exc, sa_exc.IntegrityError):
        if is_unique_violation(exc):
            return DuplicateKey("a record with this key already exists")
        return StorageError("an integrity constraint of the database refused the write")
    if codes & _CONFLICT or "database is locked" in message:
        return Conflict("a concurrent transaction won; retrying may succeed")
    if codes & _NO_TABLE or "no such table" in message:
        return SchemaMissing(f"the oauth2-core tables are missing or out of date: {UPGRADE_HINT}")
    if exc.connection_invalidated or isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError
    ):
        return StorageUnavailable(f"database unavailable: {type(exc.orig).__name__}")
    return StorageError(f"database error: {type(exc.orig).__name__}")


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise SQLAlchemy/driver errors as ``StorageError`` subclasses, ``from`` the cause."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc) from exc
