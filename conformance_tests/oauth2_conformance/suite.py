"""The classes a backend author subclasses: ``ConformanceSuite`` and one class per group.

Every class carries one ``test_<ID>`` method per registered check of its groups; each method
runs the check body from the registry against the ``oauth2_harness`` fixture the author
provides. ``oauth2_profile`` (class attribute, default ``"full"``) picks the profile; the pytest
option ``--oauth2-profile`` overrides it for a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

import pytest

from oauth2_conformance.context import CheckContext
from oauth2_conformance.execution import execute
from oauth2_conformance.registry import GROUPS, Check, checks_in_group

__all__ = [
    "DEFAULT_PROFILE",
    "AtRestChecks",
    "ClientChecks",
    "ClockSkewChecks",
    "CodeChecks",
    "ConformanceSuite",
    "ErrorChecks",
    "ExpiryChecks",
    "FlowChecks",
    "ModelChecks",
    "NativeTTLChecks",
    "PrecisionChecks",
    "RaceChecks",
    "RevocationChecks",
    "RotationChecks",
    "TokenChecks",
]

DEFAULT_PROFILE = "full"


def _make_test(chk: Check) -> Callable[..., None]:
    def test(self: Any, oauth2_check_context: CheckContext) -> None:
        execute(chk, oauth2_check_context)

    name = "test_" + chk.id.replace("-", "_")
    test.__name__ = name
    test.__qualname__ = name
    test.__doc__ = f"{chk.id}: {chk.title}"
    marked = pytest.mark.oauth2_check(chk.id)(test)
    if chk.slow:
        marked = pytest.mark.slow(marked)
    return cast(Callable[..., None], marked)


class _SuiteBase:
    #: Profile this class is held to: "core", "standard" or "full".
    oauth2_profile: ClassVar[str] = DEFAULT_PROFILE


def _add_checks(cls: type[_SuiteBase], group: str) -> None:
    for chk in checks_in_group(group):
        test = _make_test(chk)
        setattr(cls, test.__name__, test)


class ClientChecks(_SuiteBase):
    """Clients: round trip, case-sensitive ids, delete, public clients."""


class CodeChecks(_SuiteBase):
    """Authorization codes: consume, replay tombstones, unknown digests, optional fields."""


class TokenChecks(_SuiteBase):
    """Token records: lookups by access and refresh digest, exact scope strings."""


class RotationChecks(_SuiteBase):
    """Refresh rotation as a compare-and-swap: Rotated, Reused, NotFound."""


class RevocationChecks(_SuiteBase):
    """Revocation by either digest, idempotence, and the grant cascade."""


class ExpiryChecks(_SuiteBase):
    """Logical expiry at read time on both sides of every boundary (fake clock)."""


class ClockSkewChecks(_SuiteBase):
    """The engine clock ten years ahead of and behind wall time."""


class PrecisionChecks(_SuiteBase):
    """Aware UTC datetimes, millisecond round trips, other input zones."""


class AtRestChecks(_SuiteBase):
    """Nothing in clear at rest after full flows (needs the raw_dump hook)."""


class ErrorChecks(_SuiteBase):
    """DuplicateKey on duplicates; StorageUnavailable, chained, from an unreachable store."""


class NativeTTLChecks(_SuiteBase):
    """The store reclaims expired records itself, in real time (slow)."""


class RaceChecks(_SuiteBase):
    """Concurrency races: N threads with their own handles, released by a barrier."""


class ModelChecks(_SuiteBase):
    """A Hypothesis state machine against a naive reference model."""


class FlowChecks(_SuiteBase):
    """Full OAuth flows through AuthorizationServer on top of the backend."""


_GROUP_CLASSES: dict[str, type[_SuiteBase]] = {
    "clients": ClientChecks,
    "codes": CodeChecks,
    "tokens": TokenChecks,
    "rotation": RotationChecks,
    "revocation": RevocationChecks,
    "expiry": ExpiryChecks,
    "skew": ClockSkewChecks,
    "precision": PrecisionChecks,
    "at_rest": AtRestChecks,
    "errors": ErrorChecks,
    "native_ttl": NativeTTLChecks,
    "races": RaceChecks,
    "model": ModelChecks,
    "flows": FlowChecks,
}
for _group, _cls in _GROUP_CLASSES.items():
    if _cls.__name__ != GROUPS[_group][0]:
        raise RuntimeError(f"group {_group!r} is registered as {GROUPS[_group][0]}")
    _add_checks(_cls, _group)


class ConformanceSuite(
    ClientChecks,
    CodeChecks,
    TokenChecks,
    RotationChecks,
    RevocationChecks,
    ExpiryChecks,
    ClockSkewChecks,
    PrecisionChecks,
    AtRestChecks,
    ErrorChecks,
    NativeTTLChecks,
    RaceChecks,
    ModelChecks,
    FlowChecks,
):
    """Every group. Subclass it as ``TestMyBackend`` and provide an ``oauth2_harness``
    fixture (class scope) yielding your ``Harness``."""
