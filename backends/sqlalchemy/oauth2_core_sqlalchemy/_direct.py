"""The request path's statements, compiled once and run on the DBAPI cursor.

Profiles of issue 9's benchmark put most of an operation's client time in SQLAlchemy's
per-call machinery (building the Core statement, the ``Connection`` and its execution
context, result wrapping): on SQLite four times the database's own lookup, on PostgreSQL
more than the network round trip. A :class:`Prepared` statement is compiled for the
engine's dialect when the store is built; a call converts its parameters with the column
types' own bind processors, runs the SQL text on the DBAPI connection the thread holds
(``_thread_connections``) or on a pooled one, and converts the row back with the types'
result processors, so values are exactly those the Core path reads and writes. The pool, its
checkout events (the stale-connection checks of ``_engine``) and SQLAlchemy's error classes
are kept: driver errors are wrapped as SQLAlchemy wraps them, and a disconnect invalidates the
connection and the pool's older ones, as ``Connection`` does.

An engine with ``before_cursor_execute``/``after_cursor_execute`` listeners (tracing,
statement logs) takes the ordinary ``Connection.execute`` path instead, so instrumentation
sees every statement.
"""

from __future__ import annotations

import contextlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.engine import Engine

from oauth2_core_sqlalchemy._thread_connections import Held, thread_connections
from oauth2_core_sqlalchemy._types import DirectProcessors, packed_read
from oauth2_core_sqlalchemy.errors import translate_error, translate_errors

__all__ = ["Prepared", "Runner"]

_Processor = Callable[[Any], Any] | None
_Statement = sa.Select[Any] | sa.Insert | sa.Update
_PYFORMAT = re.compile(r"%%|%\((\w+)\)s")


def _processors(type_: sa.types.TypeEngine[Any], dialect: Any) -> DirectProcessors:
    """(bind, result) converters of a non-NULL value: our types' direct ones (``_types``),
    else SQLAlchemy's (which every type here passes NULL through unchanged)."""
    impl = type_.dialect_impl(dialect)
    direct = getattr(impl, "direct_processors", None)
    found = None if direct is None else direct(dialect)
    if found is not None:
        return found
    return impl.bind_processor(dialect), impl.result_processor(dialect, None)


def _positional(sql: str) -> tuple[str, list[str]]:
    """``%(name)s`` placeholders as ``%s``, with the names in order of appearance: a driver
    given a tuple skips matching a mapping to the query (psycopg reorders it per call)."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "%%"
        names.append(match.group(1))
        return "%s"

    return _PYFORMAT.sub(placeholder, sql), names


class Prepared:
    """One statement compiled for one dialect, with its parameter and column converters."""

    __slots__ = (
        "_bind_steps",
        "_binds",
        "_named",
        "_names",
        "_packed",
        "_pick",
        "_result_steps",
        "_width",
        "sql",
        "statement",
        "writes",
    )

    def __init__(self, statement: _Statement, engine: Engine, *, packed: bool = False) -> None:
        dialect = engine.dialect
        columns = getattr(statement, "exported_columns", ())
        packing = _packed_form(statement, dialect) if packed else None
        self._packed = packing is not None
        compiled = (statement if packing is None else packing[0]).compile(dialect=dialect)
        self.statement = statement
        self.writes = not isinstance(statement, sa.Select)
        self.sql = compiled.string
        processors = {
            name: _processors(bind.type, dialect)[0] for name, bind in compiled.binds.items()
        }
        order = compiled.positiontup if compiled.positional else list(processors)
        self._named = not compiled.positional
        if self._named and dialect.paramstyle == "pyformat":
            self.sql, order = _positional(self.sql)
            self._named = False
        self._binds: tuple[tuple[str, _Processor], ...] = tuple(
            (name, processors[name]) for name in order or ()
        )
        # Positional values are picked in C (``itemgetter``) and only the positions with a
        # converter are visited: on CPython 3.11 a comprehension is a call of its own.
        self._names = tuple(name for name, _ in self._binds)
        self._pick = operator.itemgetter(*self._names) if len(self._names) > 1 else None
        self._bind_steps = _steps(process for _, process in self._binds)
        self._width = len(columns)
        if packing is not None:
            self._result_steps = packing[1]
        else:
            self._result_steps = _steps(
                _processors(column.type, dialect)[1] for column in columns
            )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        # NULL passes unchanged: a processor is only worth calling on a value.
        if self._named:
            return {
                name: process(value)
                if (value := values[name]) is not None and process is not None
                else value
                for name, process in self._binds
            }
        pick = self._pick
        if pick is not None:
            picked = pick(values)
        else:
            picked = (values[self._names[0]],) if self._names else ()
        if not self._bind_steps:
            return picked
        converted = list(picked)
        for index, process in self._bind_steps:
            value = converted[index]
            if value is not None:
                converted[index] = process(value)
        return tuple(converted)

    def values(self, raw: Sequence[Any]) -> list[Any]:
        """A row's values in column order, converted as the Core path converts them."""
        if self._packed:
            raw = json.loads(raw[0])
        if len(raw) != self._width:
            raise ValueError(f"a row of {len(raw)} values for {self._width} columns")
        row = list(raw)
        for index, process in self._result_steps:
            value = row[index]
            if value is not None:
                row[index] = process(value)
        return row


def _steps(processors: Iterable[_Processor]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The positions that have a converter, with it."""
    return tuple((index, process) for index, process in enumerate(processors) if process)


def _packed_form(
    statement: _Statement, dialect: Any
) -> tuple[sa.Select[Any], tuple[tuple[int, Callable[[Any], Any]], ...]] | None:
    """A select reading its columns as one JSON array text (see ``Runner.prepare_record``),
    with the converters of the array's values; None for a statement that is not a select, or
    one with a column whose JSON form ``packed_read`` does not know."""
    if not isinstance(statement, sa.Select):
        return None
    wrapped, converters = [], []
    for column in statement.exported_columns:
        read = packed_read(column.type, dialect)
        if read is None:
            return None
        wrapped.append(read[0](column))
        converters.append(read[1])
    if not wrapped:
        return None
    return statement.with_only_columns(sa.func.json_array(*wrapped)), _steps(converters)


class Runner:
    """Runs :class:`Prepared` statements on one engine's pool."""

    def __init__(
        self, engine: Engine, writing: contextlib.AbstractContextManager[Any] | None = None
    ) -> None:
        self.engine = engine
        # Held around every write statement (``_engine.writer_lock``); None when there is
        # nothing to hold (a null context's enter and exit are two Python calls).
        self._writing = None if isinstance(writing, contextlib.nullcontext) else writing
        self._dialect = engine.dialect
        self._dbapi_error: Any = engine.dialect.loaded_dbapi.Error  # the driver's Error class
        self._threads = thread_connections(engine)

    def close(self) -> None:
        """End the connections threads hold (the pool's idle ones are the engine's to dispose)."""
        if self._threads is not None:
            self._threads.close_all()

    def release(self) -> None:
        """Give back this thread's held connection before it checks out one of its own, so
        that a thread never holds two of the pool's connections."""
        if self._threads is not None:
            self._threads.release()

    def meet_the_server(self) -> None:
        """Connect once, if the pool never has: SQLAlchemy initialises the dialect (server
        flavour, version, features) at the first connection."""
        self.release()
        with translate_errors(), self.engine.connect():
            pass

    def _checkout(self) -> Any:
        held = None if self._threads is None else self._threads.get()
        return self.engine.raw_connection() if held is None else held

    def prepare(self, statement: _Statement) -> Prepared:
        return Prepared(statement, self.engine)

    def prepare_record(self, statement: sa.Select[Any]) -> tuple[Prepared, bool]:
        """A select of one record's columns, and whether that form is settled.

        On MariaDB (10.2.3 and later: ``JSON_ARRAY``) the columns travel as one JSON array
        text: PyMySQL parses each result column's definition and value in Python, about 4 us
        a column, where ``json.loads`` parses the one text in C (the 13 columns of a token
        row: 297 against 213 us a lookup, raw, AMD host). Other dialects, MySQL included, read
        the columns themselves. A MySQL-family dialect learns whether its server is MariaDB,
        and of which version, at its first connection (a ``mysql://`` URL does not say):
        until then the columns are read one by one and the form is not settled, so that the
        caller asks again after its first statement rather than connecting for this."""
        dialect = self.engine.dialect
        if dialect.name in ("mysql", "mariadb") and dialect.server_version_info is None:
            return Prepared(statement, self.engine), False
        version = tuple(dialect.server_version_info or ())
        packed = bool(getattr(dialect, "is_mariadb", False)) and version >= (10, 2, 3)
        return Prepared(statement, self.engine, packed=packed), True

    def _instrumented(self) -> bool:
        # ``_has_events`` is SQLAlchemy's own flag for "some connection event is listened
        # for" (set on the engine or its class); the listener collections' truth test is a
        # Python call each, so it runs only when the flag is up.
        if not self.engine._has_events:
            return False
        dispatch = self.engine.dispatch
        return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)

    def first(self, prepared: Prepared, values: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row the statement returns, in its column order, or None."""
        if self.engine._has_events and self._instrumented():
            self.release()
            with self._lock(prepared), translate_errors(), self.engine.connect() as conn:
                found = conn.execute(prepared.statement, dict(values)).first()
            return None if found is None else tuple(found)
        if prepared.writes and self._writing is not None:
            with self._writing:
                rows, _ = self._run(prepared, values, fetch=True)
        else:
            rows, _ = self._run(prepared, values, fetch=True)
        return prepared.values(rows[0]) if rows else None

    def execute(self, prepared: Prepared, values: Mapping[str, Any]) -> int:
        """Run a statement without a result set; its row count."""
        if self._instrumented():
            self.release()
            with self._lock(prepared), translate_errors(), self.engine.connect() as conn:
                return int(conn.execute(prepared.statement, dict(values)).rowcount)
        if prepared.writes and self._writing is not None:
            with self._writing:
                return self._run(prepared, values, fetch=False)[1]
        return self._run(prepared, values, fetch=False)[1]

    def _lock(self, prepared: Prepared) -> contextlib.AbstractContextManager[Any]:
        if prepared.writes and self._writing is not None:
            return self._writing
        return contextlib.nullcontext()

    def _run(
        self, prepared: Prepared, values: Mapping[str, Any], *, fetch: bool
    ) -> tuple[Sequence[Any], int]:
        params = prepared.parameters(values)
        # ``translate_errors`` inlined: as a context manager it costs a microsecond per call.
        try:
            return self._on_connection(prepared, params, fetch)
        except sa_exc.SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _on_connection(
        self, prepared: Prepared, params: Any, fetch: bool
    ) -> tuple[Sequence[Any], int]:
        try:
            # The pool raises its own TimeoutError; connect errors come through raw.
            connection = self._checkout()
        except self._dbapi_error as exc:
            disconnect = self._dialect.is_disconnect(exc, None, None)
            raise self._wrap(prepared, params, exc, disconnect=disconnect) from exc
        held = isinstance(connection, Held)
        cursor = None
        try:
            cursor = connection.cursor()
            cursor.execute(prepared.sql, params)
            return (cursor.fetchall() if fetch else []), cursor.rowcount
        except BaseException as exc:
            if held:
                connection.failed()
            if not isinstance(exc, self._dbapi_error):
                raise
            dbapi_connection = connection.dbapi_connection
            disconnect = self._dialect.is_disconnect(exc, dbapi_connection, cursor)
            if disconnect and held:
                self._threads.discard(connection, exc)  # type: ignore[union-attr]
            elif disconnect:
                # As Connection does: retire this connection, and every one opened before
                # it (what dropped this one most likely dropped its elders).
                self.engine.pool._invalidate(connection, exc)
            raise self._wrap(prepared, params, exc, disconnect=disconnect) from exc
        finally:
            # A held connection keeps its cursor for the thread's next statement.
            if not held:
                if cursor is not None and connection.is_valid:
                    cursor.close()
                connection.close()

    def _wrap(
        self, prepared: Prepared, params: Any, exc: Exception, *, disconnect: bool
    ) -> sa_exc.DBAPIError:
        wrapped = sa_exc.DBAPIError.instance(
            prepared.sql,
            params,
            exc,
            self._dbapi_error,
            hide_parameters=True,  # digests and user ids stay out of error messages and logs
            connection_invalidated=disconnect,
            dialect=self._dialect,
        )
        if not isinstance(wrapped, sa_exc.DBAPIError):  # only for non-DBAPI exceptions
            raise TypeError(f"not a driver error: {exc!r}")
        return wrapped
