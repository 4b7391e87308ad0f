"""The check registry: every check's stable ID, title, RFC reference, group and profile.

A check is a plain function ``(ctx: CheckContext) -> None`` registered with ``@check(...)``.
The pytest classes (``oauth2_conformance.suite``), the CLI and ``docs/conformance/checks.md``
are all generated from this one registry, so an ID means the same thing everywhere.
IDs are stable: a check that changes meaning gets a new ID; retired IDs are never reused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oauth2_core.storage import Capability

if TYPE_CHECKING:
    from oauth2_conformance.context import CheckContext

__all__ = [
    "GROUPS",
    "PROFILES",
    "Check",
    "all_checks",
    "check",
    "checks_in_group",
    "get_check",
    "profile_includes",
]

#: Profiles, weakest first; a profile includes every check of the profiles before it.
PROFILES: tuple[str, ...] = ("core", "standard", "full")

#: Group key -> (pytest class name, human title), in report order.
GROUPS: dict[str, tuple[str, str]] = {
    "clients": ("ClientChecks", "Clients"),
    "codes": ("CodeChecks", "Authorization codes"),
    "tokens": ("TokenChecks", "Tokens"),
    "rotation": ("RotationChecks", "Refresh rotation"),
    "revocation": ("RevocationChecks", "Revocation and grant cascade"),
    "expiry": ("ExpiryChecks", "Logical expiry (fake clock)"),
    "skew": ("ClockSkewChecks", "Clock skew"),
    "precision": ("PrecisionChecks", "Precision and time zones"),
    "at_rest": ("AtRestChecks", "Nothing in clear at rest"),
    "errors": ("ErrorChecks", "Typed and chained errors"),
    "native_ttl": ("NativeTTLChecks", "Native TTL reclamation (real time)"),
    "races": ("RaceChecks", "Concurrency races"),
    "model": ("ModelChecks", "State machine against a reference model"),
    "flows": ("FlowChecks", "Full OAuth flows through AuthorizationServer"),
}

CheckFunction = Callable[["CheckContext"], None]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    rfc: str
    since: str
    group: str
    profile: str
    hint: str
    function: CheckFunction = field(repr=False, compare=False)
    #: Capabilities the backend must declare; otherwise the check is skipped, naming them.
    requires: frozenset[Capability] = frozenset()
    #: Optional harness hooks (attribute names) the check needs; otherwise skipped.
    hooks: tuple[str, ...] = ()
    #: Real-time checks carry the pytest ``slow`` marker.
    slow: bool = False

    @property
    def description(self) -> str:
        return (self.function.__doc__ or "").strip()


_REGISTRY: dict[str, Check] = {}


def check(
    id: str,
    title: str,
    *,
    group: str,
    rfc: str,
    hint: str,
    since: str = "0.1.0",
    profile: str = "core",
    requires: frozenset[Capability] | set[Capability] = frozenset(),
    hooks: tuple[str, ...] = (),
    slow: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under a stable ID."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")

    def register(function: CheckFunction) -> CheckFunction:
        if id in _REGISTRY:
            raise ValueError(f"duplicate check id {id}")
        _REGISTRY[id] = Check(
            id=id,
            title=title,
            rfc=rfc,
            since=since,
            group=group,
            profile=profile,
            hint=hint,
            function=function,
            requires=frozenset(requires),
            hooks=hooks,
            slow=slow,
        )
        return function

    return register


def _load() -> None:
    # Importing the package registers every check (one module per group).
    import oauth2_conformance.checks  # noqa: F401, PLC0415


def _sort_key(chk: Check) -> tuple[int, str]:
    return (list(GROUPS).index(chk.group), chk.id)


def all_checks() -> list[Check]:
    _load()
    return sorted(_REGISTRY.values(), key=_sort_key)


def checks_in_group(group: str) -> list[Check]:
    return [chk for chk in all_checks() if chk.group == group]


def get_check(check_id: str) -> Check:
    _load()
    try:
        return _REGISTRY[check_id.upper()]
    except KeyError:
        raise KeyError(f"no check with id {check_id!r}") from None


def profile_includes(profile: str, check_profile: str) -> bool:
    """Whether running at ``profile`` includes a check that belongs to ``check_profile``."""
    return PROFILES.index(check_profile) <= PROFILES.index(profile)
