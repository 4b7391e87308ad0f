"""The ``Harness``: what a backend author implements so the suite can drive their storage.

Required: ``name``, ``make_storage``, ``drop_namespace``, ``close``. Everything else is an
optional hook, discovered with ``getattr``; a check that needs a hook the harness lacks is
skipped with a reason naming the hook (never the backend).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from oauth2_core.storage import Storage

__all__ = ["Harness", "NativeTTLHarness", "RawViewHarness", "UnreachableHarness"]


@runtime_checkable
class Harness(Protocol):
    #: Short label used in reports, e.g. "sqlalchemy (postgresql)".
    name: str

    def make_storage(self, namespace: str) -> Storage:
        """A *new* handle onto the data of ``namespace`` (created empty on first use).

        Each call returns its own handle (own connection or pool) onto the same data, so
        concurrency checks can give every thread its own. Namespaces never see each other.
        """
        ...

    def drop_namespace(self, namespace: str) -> None:
        """Delete everything of ``namespace``; called after each check."""
        ...

    def close(self) -> None:
        """Release everything the harness opened."""
        ...


@runtime_checkable
class RawViewHarness(Protocol):
    def raw_dump(self, namespace: str) -> str:
        """Everything physically stored for ``namespace``, as text (rows, values, documents),
        including records that are expired but not yet reclaimed."""
        ...


@runtime_checkable
class NativeTTLHarness(Protocol):
    #: Seconds within which the store itself reclaims a record after its expiry.
    native_ttl_timeout: float

    def raw_record_count(self, namespace: str) -> int:
        """How many code and token records are physically present in ``namespace``."""
        ...


@runtime_checkable
class UnreachableHarness(Protocol):
    def make_unreachable_storage(self) -> Storage:
        """A handle configured against an endpoint that does not answer (closed port).

        Every operation on it must raise ``StorageUnavailable`` (chained) within a few
        seconds; it must not hang and must not return data.
        """
        ...


#: Optional attribute on a harness: check id -> reason, turned into XFAIL.
KnownFailures = Mapping[str, str]
