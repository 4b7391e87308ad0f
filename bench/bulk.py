"""Bulk loading of token records into our backends, through each backend's own encoding.

Saving 10^6 tokens one ``save_token`` at a time would take most of the bench's budget on a
networked store, so each backend gets a batched path that reuses the backend's own row,
document or script code (``token_values``, ``token_to_doc``, its Lua scripts queued in one
pipeline). Anything without a batched path falls back to ``save_token``.

``drop_loaded`` empties what growth loaded once it is measured: a server left holding 10^6
records may keep working on them (PostgreSQL's autovacuum, Redis's expiry cycle; SecantusDB,
left with 174,500 tokens, was seen taking most of a core during the HTTP section) and disturb the
sections after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oauth2_core.models import Token

__all__ = ["bulk_save", "drop_loaded"]


def _sql(storage: Any, tokens: Sequence[Token]) -> None:
    from oauth2_core_sqlalchemy._records import token_values  # noqa: PLC0415

    table = storage.tables.tokens
    with storage.engine.begin() as conn:
        conn.execute(table.insert(), [token_values(table, token) for token in tokens])


def _redis(storage: Any, tokens: Sequence[Token], now: datetime) -> None:
    # The backend's own save_token, with its script calls queued into one pipeline.
    pipe = storage.redis.pipeline(transaction=False)
    storage._call = lambda script, keys, args: script(keys=keys, args=args, client=pipe)
    try:
        for token in tokens:
            storage.save_token(token, now=now)
        pipe.execute()
    finally:
        del storage._call


def _mongo(storage: Any, tokens: Sequence[Token]) -> None:
    from oauth2_core_mongo._documents import token_to_doc  # noqa: PLC0415
    from pymongo.errors import BulkWriteError  # noqa: PLC0415

    storage._ready()
    try:
        storage._tokens.insert_many([token_to_doc(token) for token in tokens], ordered=False)
    except BulkWriteError as exc:
        # pymongo retries an insert_many cut off by a timeout (retryable writes). MongoDB
        # recognises the retry; SecantusDB runs it again, and every document of the batch,
        # already stored by the first attempt, comes back as a duplicate key. Digests are
        # unique per run (salted), so only such duplicates are ignored.
        if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", ())):
            raise


def bulk_save(backend: str, storage: Any, tokens: Sequence[Token], now: datetime) -> str:
    """Save ``tokens``; return the path used ("batched" or "save_token")."""
    try:
        if backend in {"sqlite", "postgresql", "mariadb"}:
            _sql(storage, tokens)
            return "batched"
        if backend == "redis":
            _redis(storage, tokens, now)
            return "batched"
        if backend == "mongodb":
            _mongo(storage, tokens)
            return "batched"
    except (ImportError, AttributeError, TypeError) as exc:
        # The backend's internals moved; the contract's own method still works, slowly.
        print(f"[bench] bulk load for {backend}: no batched path ({exc!r}); using save_token")
    for token in tokens:
        storage.save_token(token, now=now)
    return "save_token"


def drop_loaded(backend: str, storage: Any) -> None:
    """Empty the growth namespace's token records (tokens only: growth loads nothing else)."""
    if backend in {"postgresql", "mariadb"}:
        import sqlalchemy as sa  # noqa: PLC0415

        with storage.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE TABLE {storage.tables.tokens.name}"))
    elif backend == "redis":
        from redis import Redis  # noqa: PLC0415

        # A synchronous flush of 10^6 keys outlasts the client's socket timeout; it must
        # still finish before the next section starts, so no ASYNC.
        given = storage.redis.connection_pool.connection_kwargs
        names = ("host", "port", "db", "username", "password")
        options = {name: given[name] for name in names if name in given}
        with Redis(**options, socket_timeout=None) as client:
            client.flushdb()
    elif backend == "mongodb":
        import pymongo  # noqa: PLC0415

        with pymongo.timeout(600):  # SecantusDB drops 10^5 documents in tens of seconds
            storage._tokens.drop()  # the collection _mongo loads
