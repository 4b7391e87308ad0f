"""Harnesses shipped with the suite, and discovery through the entry-point group."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from oauth2_conformance.harness import Harness

__all__ = ["ENTRY_POINT_GROUP", "available_backends", "load_backend_factory"]

ENTRY_POINT_GROUP = "oauth2_conformance.harnesses"

HarnessFactory = Callable[[str | None], Harness]


def available_backends() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def load_backend_factory(name: str) -> HarnessFactory:
    """The ``make_harness(url)`` registered under ``name``; LookupError if none is."""
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return cast(HarnessFactory, ep.load())
    known = ", ".join(available_backends()) or "none"
    raise LookupError(f"no harness registered as {name!r} (installed: {known})")
