"""``CheckContext``: what a check body receives (one fresh namespace, handles, a fake clock)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oauth2_conformance.harness import Harness
from oauth2_core.clock import FakeClock
from oauth2_core.storage import Capability, Storage

__all__ = ["CheckContext", "new_namespace"]


def new_namespace() -> str:
    """A namespace no other check uses (short, lowercase, safe in keys and table prefixes)."""
    return "c" + uuid.uuid4().hex[:12]


@dataclass
class CheckContext:
    harness: Harness
    namespace: str
    capabilities: frozenset[Capability]
    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime.now(UTC)))
    _handles: list[Storage] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _storage: Storage | None = field(default=None, repr=False)

    @property
    def storage(self) -> Storage:
        """The check's main handle onto its namespace (opened on first use)."""
        if self._storage is None:
            self._storage = self.make_storage()
        return self._storage

    def make_storage(self) -> Storage:
        """Another handle onto the same namespace (one per thread in race checks)."""
        handle = self.harness.make_storage(self.namespace)
        with self._lock:
            self._handles.append(handle)
        return handle

    def now(self) -> datetime:
        return self.clock.now()

    def hook(self, name: str) -> Any:
        return getattr(self.harness, name)

    def close(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.close()
        self.harness.drop_namespace(self.namespace)
