"""Find the driver handle (SQLAlchemy Engine, redis client, pymongo client) inside a store.

Peers and floors reuse the very handle our backend opened, so driver, pool and connection
settings (SQLite pragmas, Mongo write concern, timeouts) are identical by construction.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["find_handle"]

T = TypeVar("T")


def find_handle(obj: object, kind: type[T], depth: int = 2) -> T | None:
    if isinstance(obj, kind):
        return obj
    if depth == 0:
        return None
    values: list[Any] = []
    if hasattr(obj, "__dict__"):
        values.extend(vars(obj).values())
    for name in getattr(type(obj), "__slots__", ()):
        values.append(getattr(obj, name, None))
    for value in values:
        if value is None or isinstance(value, str | int | float | bytes | bool):
            continue
        found = find_handle(value, kind, depth - 1)
        if found is not None:
            return found
    return None
