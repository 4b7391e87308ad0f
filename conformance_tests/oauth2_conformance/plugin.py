"""The pytest plugin (entry point ``pytest11``): fixtures, markers and outcome tagging.

Authors provide ``oauth2_harness`` (class scope) in their ``ConformanceSuite`` subclass; the
plugin gives every check a fresh namespace through ``oauth2_check_context`` and tags reports
so the CLI can tell FAIL (the backend broke the contract) from ERROR (infrastructure).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from oauth2_conformance.context import CheckContext, new_namespace
from oauth2_conformance.execution import skip_reason
from oauth2_conformance.harness import Harness
from oauth2_conformance.registry import PROFILES, get_check
from oauth2_core.errors import StorageUnavailable
from oauth2_core.storage import Capability

__all__ = ["InfrastructureError"]


class InfrastructureError(Exception):
    """Raised by a check when the harness or environment, not the backend, broke."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oauth2-conformance")
    group.addoption(
        "--oauth2-profile",
        choices=PROFILES,
        default=None,
        help="conformance profile to run at (overrides the class's oauth2_profile)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oauth2_check(id): an oauth2-core conformance check")
    config.addinivalue_line("markers", "slow: real-time checks (native TTL reclamation)")


@pytest.fixture(scope="class")
def oauth2_harness() -> Harness:
    pytest.fail(
        "define an `oauth2_harness` fixture (scope='class') in your ConformanceSuite subclass "
        "that yields your Harness",
        pytrace=False,
    )


@pytest.fixture(scope="class")
def oauth2_capabilities(oauth2_harness: Harness) -> frozenset[Capability]:
    """The storage's declared capabilities (read once through a probe handle)."""
    namespace = new_namespace()
    handle = oauth2_harness.make_storage(namespace)
    try:
        return frozenset(handle.capabilities)
    finally:
        handle.close()
        oauth2_harness.drop_namespace(namespace)


def _profile(request: pytest.FixtureRequest) -> str:
    chosen = request.config.getoption("oauth2_profile", default=None)
    if chosen:
        return str(chosen)
    profile = str(getattr(request.cls, "oauth2_profile", "full"))
    if profile not in PROFILES:
        pytest.fail(f"oauth2_profile = {profile!r}: choose one of {', '.join(PROFILES)}")
    return profile


@pytest.fixture
def oauth2_check_context(
    request: pytest.FixtureRequest,
    oauth2_harness: Harness,
    oauth2_capabilities: frozenset[Capability],
) -> Iterator[CheckContext]:
    marker = request.node.get_closest_marker("oauth2_check")
    if marker is None:
        pytest.fail("oauth2_check_context is for conformance checks only", pytrace=False)
    chk = get_check(marker.args[0])
    reason = skip_reason(
        chk, profile=_profile(request), capabilities=oauth2_capabilities, harness=oauth2_harness
    )
    if reason is not None:
        pytest.skip(reason)
    ctx = CheckContext(
        harness=oauth2_harness, namespace=new_namespace(), capabilities=oauth2_capabilities
    )
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("oauth2_check")
    if marker is None:
        return
    if call.when == "setup":
        report.user_properties.append(("oauth2_check", marker.args[0]))
    infrastructure = (StorageUnavailable, InfrastructureError)
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(infrastructure):
        # The store stopped answering in the middle of a check: not a contract failure.
        report.user_properties.append(("oauth2_infrastructure", call.excinfo.typename))
