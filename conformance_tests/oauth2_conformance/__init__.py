"""oauth2-core-conformance: the suite every storage backend passes.

Authors subclass ``ConformanceSuite`` (or pick group classes such as ``CodeChecks``) and give
it an ``oauth2_harness`` fixture; or run ``oauth2-conformance run``. See
``docs/writing-a-backend.md``.
"""

from oauth2_conformance.harness import (
    Harness,
    KnownFailures,
    NativeTTLHarness,
    RawViewHarness,
    UnreachableHarness,
)
from oauth2_conformance.registry import PROFILES, Check, all_checks, get_check
from oauth2_conformance.suite import (
    DEFAULT_PROFILE,
    AtRestChecks,
    ClientChecks,
    ClockSkewChecks,
    CodeChecks,
    ConformanceSuite,
    ErrorChecks,
    ExpiryChecks,
    FlowChecks,
    ModelChecks,
    NativeTTLChecks,
    PrecisionChecks,
    RaceChecks,
    RevocationChecks,
    RotationChecks,
    TokenChecks,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "AtRestChecks",
    "Check",
    "ClientChecks",
    "ClockSkewChecks",
    "CodeChecks",
    "ConformanceSuite",
    "ErrorChecks",
    "ExpiryChecks",
    "FlowChecks",
    "Harness",
    "KnownFailures",
    "ModelChecks",
    "NativeTTLChecks",
    "NativeTTLHarness",
    "PrecisionChecks",
    "RaceChecks",
    "RawViewHarness",
    "RevocationChecks",
    "RotationChecks",
    "TokenChecks",
    "UnreachableHarness",
    "__version__",
    "all_checks",
    "get_check",
]
