"""One driver read of a stored token, on our backend's own table, collection or key.

Beside the engine's validation in the growth section, it tells the store's own growth (B-tree
depth, cache misses) from the backend's: if both grow alike, the store is the cause.
"""

from __future__ import annotations

from typing import Any

from bench.contenders import driver_handle, server_session
from bench.services import Backend
from oauth2_core.tokens import hash_token

__all__ = ["RawLookup", "raw_lookup"]


class RawLookup:
    def __init__(self, read: Any, close: Any = None) -> None:
        self._read = read
        self._close = close

    def validate(self, access_token: str) -> None:
        if self._read(hash_token(access_token)) is None:
            raise AssertionError("raw lookup found no token")

    def close(self) -> None:
        if self._close is not None:
            self._close()


def raw_lookup(backend: Backend, storage: Any) -> RawLookup | None:
    """None where the backend's layout is not known to the bench (memory, or it moved)."""
    try:
        handle = driver_handle(backend, storage)
        if backend.name in {"sqlite", "postgresql", "mariadb"}:
            table = storage.tables.tokens.name
            # A SQL server's lookups share oauth2-core's session, as the floor's do.
            shared = server_session(backend, storage)
            raw = handle.raw_connection() if shared is None else None
            cursor = (shared if raw is None else raw.driver_connection).cursor()
            mark = "?" if backend.name == "sqlite" else "%s"
            sql = f"SELECT * FROM {table} WHERE access_token_hash = {mark}"  # noqa: S608

            def read_sql(digest: str) -> Any:
                cursor.execute(sql, (digest,))
                return cursor.fetchone()

            return RawLookup(read_sql, cursor.close if raw is None else raw.invalidate)
        if backend.name == "redis":
            keys = storage.keys
            return RawLookup(lambda digest: handle.get(keys.access_pointer(digest)))
        if backend.name == "mongodb":
            collection = handle[storage._tokens.name]
            return RawLookup(lambda digest: collection.find_one({"_id": digest}))
    except Exception as exc:  # the extra figure is optional
        print(f"[bench] raw lookup on {backend.name}: {exc!r}")
    return None
