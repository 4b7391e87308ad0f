"""Running one check body: gating (profile, capabilities, hooks) and known failures."""

from __future__ import annotations

import pytest

from oauth2_conformance.context import CheckContext
from oauth2_conformance.registry import Check, profile_includes
from oauth2_core.storage import Capability

__all__ = ["HOOK_PROTOCOLS", "execute", "skip_reason"]

#: Optional harness hook -> the protocol in ``oauth2_conformance.harness`` that defines it.
HOOK_PROTOCOLS = {
    "raw_dump": "RawViewHarness",
    "raw_record_count": "NativeTTLHarness",
    "native_ttl_timeout": "NativeTTLHarness",
    "make_unreachable_storage": "UnreachableHarness",
}


def skip_reason(
    chk: Check, *, profile: str, capabilities: frozenset[Capability], harness: object
) -> str | None:
    """Why ``chk`` does not apply, naming the profile, capability or hook; None if it does."""
    if not profile_includes(profile, chk.profile):
        return f"{chk.id} belongs to profile {chk.profile!r}; running at profile {profile!r}"
    missing = sorted(cap.name for cap in chk.requires - capabilities)
    if missing:
        return f"{chk.id} needs capability {', '.join(missing)} (not declared by the storage)"
    hooks = [hook for hook in chk.hooks if not hasattr(harness, hook)]
    if hooks:
        named = ", ".join(f"{h} ({HOOK_PROTOCOLS.get(h, 'optional hook')})" for h in hooks)
        return f"{chk.id} needs harness hook {named}"
    return None


def execute(chk: Check, ctx: CheckContext) -> None:
    """Run the check; a known failure becomes XFAIL and an unexpected pass says so."""
    known = dict(getattr(ctx.harness, "known_failures", None) or {})
    reason = known.get(chk.id)
    if reason is None:
        chk.function(ctx)
        return
    try:
        chk.function(ctx)
    except Exception as exc:  # a known failure may fail any way it likes
        pytest.xfail(f"known failure: {reason} ({type(exc).__name__}: {exc})")
    pytest.fail(
        f"XPASS: {chk.id} passes now; remove it from the harness's known_failures "
        f"(listed as: {reason})",
        pytrace=False,
    )
