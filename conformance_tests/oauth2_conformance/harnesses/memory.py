"""The harness of the reference ``MemoryStorage``: one ``MemoryData`` per namespace."""

from __future__ import annotations

import threading
from pprint import pformat

from oauth2_core.storage.memory import MemoryData, MemoryStorage

__all__ = ["MemoryHarness", "make_harness"]


class MemoryHarness:
    name = "memory"

    def __init__(self, storage_class: type[MemoryStorage] = MemoryStorage) -> None:
        self.storage_class = storage_class
        self._data: dict[str, MemoryData] = {}
        self._lock = threading.Lock()

    def _namespace(self, namespace: str) -> MemoryData:
        with self._lock:
            return self._data.setdefault(namespace, MemoryData())

    def make_storage(self, namespace: str) -> MemoryStorage:
        return self.storage_class(self._namespace(namespace))

    def drop_namespace(self, namespace: str) -> None:
        with self._lock:
            self._data.pop(namespace, None)

    def raw_dump(self, namespace: str) -> str:
        data = self._namespace(namespace)
        with data.lock:
            return pformat(
                {
                    "clients": data.clients,
                    "codes": data.codes,
                    "tokens": data.tokens,
                    "refresh_index": data.refresh_index,
                    "grant_tokens": data.grant_tokens,
                    "grant_codes": data.grant_codes,
                },
                width=200,
            )

    def close(self) -> None:
        with self._lock:
            self._data.clear()


def make_harness(url: str | None = None) -> MemoryHarness:
    """``url`` is accepted for symmetry with other backends; memory needs none."""
    return MemoryHarness()
