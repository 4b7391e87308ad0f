"""Running the suite in-process: a generated ``ConformanceSuite`` subclass under pytest.

The CLI and the self-tests go through here, so they run exactly the test bodies that an
author's ``class TestMine(ConformanceSuite)`` runs. Outcomes are collected per check and
classified: PASS, FAIL (the backend broke the contract), ERROR (harness or infrastructure),
SKIP (profile, capability or hook) and XFAIL (a declared known failure).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oauth2_conformance.context import new_namespace
from oauth2_conformance.harness import Harness
from oauth2_conformance.registry import Check, all_checks

__all__ = ["CheckOutcome", "RunResult", "harness_for_run", "preflight", "run_suite"]

HarnessFactory = Callable[[], Harness]
OUTCOMES = ("PASS", "FAIL", "ERROR", "SKIP", "XFAIL")

_FACTORIES: dict[str, HarnessFactory] = {}


def harness_for_run(run_id: str) -> Harness:
    """Called by the generated test module to build the harness of run ``run_id``."""
    return _FACTORIES[run_id]()


@dataclass
class CheckOutcome:
    check: Check
    outcome: str = "ERROR"
    message: str = "not run"
    duration: float = 0.0


@dataclass
class RunResult:
    harness_name: str
    profile: str
    outcomes: list[CheckOutcome]
    duration: float
    junit_path: Path | None = None
    preflight_error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {name: 0 for name in OUTCOMES}
        for item in self.outcomes:
            self.counts[item.outcome] += 1

    @property
    def exit_code(self) -> int:
        if self.preflight_error is not None or self.counts["ERROR"]:
            return 2
        return 1 if self.counts["FAIL"] else 0


def preflight(factory: HarnessFactory) -> tuple[str, str | None]:
    """Build the harness and make one round trip; ``(name, error or None)``."""
    try:
        harness = factory()
    except Exception as exc:
        return "?", f"building the harness failed: {type(exc).__name__}: {exc}"
    name = str(getattr(harness, "name", type(harness).__name__))
    namespace = new_namespace()
    try:
        storage = harness.make_storage(namespace)
        try:
            storage.query_client("oauth2-conformance-preflight")
        finally:
            storage.close()
        harness.drop_namespace(namespace)
    except Exception as exc:
        return name, f"the harness cannot reach its store: {type(exc).__name__}: {exc}"
    finally:
        harness.close()
    return name, None


_MODULE = """
import pytest

from oauth2_conformance import ConformanceSuite
from oauth2_conformance.runner import harness_for_run


class TestConformance(ConformanceSuite):
    oauth2_profile = {profile!r}

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls):
        harness = harness_for_run({run_id!r})
        yield harness
        harness.close()
"""


class _Collector:
    """pytest plugin object gathering one outcome per check from the test reports."""

    def __init__(self, checks: dict[str, Check]) -> None:
        self.outcomes = {name: CheckOutcome(chk) for name, chk in checks.items()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.rsplit("::", 1)[-1]
        item = self.outcomes.get(name)
        if item is None:
            return
        item.duration += report.duration
        infrastructure = dict(report.user_properties).get("oauth2_infrastructure")
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                item.outcome, item.message = "XFAIL", str(report.wasxfail)
            elif report.passed:
                item.outcome, item.message = "PASS", ""
            elif report.failed:
                item.outcome = "ERROR" if infrastructure else "FAIL"
                item.message = _failure_text(report)
            else:
                item.outcome, item.message = "SKIP", _skip_text(report)
        elif report.when == "setup":
            if report.skipped:
                item.outcome, item.message = "SKIP", _skip_text(report)
            elif report.failed:
                item.outcome = "ERROR"
                item.message = "harness setup failed: " + _failure_text(report)
        elif report.failed and item.outcome != "FAIL":
            item.outcome = "ERROR"
            item.message = "harness teardown failed: " + _failure_text(report)


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else "failed"


def _skip_text(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


@contextlib.contextmanager
def _registered(factory: HarnessFactory) -> Iterator[str]:
    run_id = uuid.uuid4().hex
    _FACTORIES[run_id] = factory
    try:
        yield run_id
    finally:
        del _FACTORIES[run_id]


def run_suite(
    factory: HarnessFactory,
    *,
    profile: str = "full",
    results_dir: Path | None = None,
    only: list[str] | None = None,
    quiet: bool = True,
    extra_args: tuple[str, ...] = (),
) -> RunResult:
    """Run the checks (all, or the IDs in ``only``) against the harness ``factory`` builds."""
    started = time.monotonic()
    name, problem = preflight(factory)
    selected = [c for c in all_checks() if not only or c.id in {o.upper() for o in only}]
    if problem is not None:
        outcomes = [CheckOutcome(c, "ERROR", problem) for c in selected]
        return RunResult(name, profile, outcomes, time.monotonic() - started, None, problem)
    checks = {"test_" + c.id.replace("-", "_"): c for c in selected}
    collector = _Collector(checks)
    with (
        tempfile.TemporaryDirectory(prefix="oauth2-conformance-") as tmp,
        _registered(factory) as run_id,
    ):
        folder = Path(tmp)
        module = folder / f"test_conformance_{run_id[:8]}.py"
        module.write_text(textwrap.dedent(_MODULE.format(profile=profile, run_id=run_id)))
        ini = folder / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [
            str(module),
            "-c",
            str(ini),
            "--rootdir",
            str(folder),
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--oauth2-profile",
            profile,
        ]
        if only:
            args += ["-k", " or ".join(checks)]
        junit = None
        if results_dir is not None:
            results_dir.mkdir(parents=True, exist_ok=True)
            junit = results_dir / "junit.xml"
            args += ["--junitxml", str(junit), "-o", "junit_suite_name=oauth2-conformance"]
        args += ["--tb=short", *extra_args]
        if quiet:
            # pytest's own output goes to pytest.log; the console gets the report only.
            log = io.StringIO()
            with contextlib.redirect_stdout(log):
                pytest.main([*args, "-q"], plugins=[collector])
            if results_dir is not None:
                (results_dir / "pytest.log").write_text(log.getvalue())
        else:
            pytest.main([*args, "-v", "-rs"], plugins=[collector])
    outcomes = list(collector.outcomes.values())
    return RunResult(name, profile, outcomes, time.monotonic() - started, junit)


def describe(result: RunResult) -> dict[str, Any]:
    """The JSON-ready form of a run (``result.json``)."""
    from oauth2_conformance import __version__  # noqa: PLC0415 - avoid an import cycle

    return {
        "suite_version": __version__,
        "harness": result.harness_name,
        "profile": result.profile,
        "exit_code": result.exit_code,
        "duration_seconds": round(result.duration, 3),
        "counts": result.counts,
        "preflight_error": result.preflight_error,
        "checks": [
            {
                "id": o.check.id,
                "title": o.check.title,
                "group": o.check.group,
                "profile": o.check.profile,
                "rfc": o.check.rfc,
                "since": o.check.since,
                "outcome": o.outcome,
                "message": o.message,
                "hint": o.check.hint if o.outcome in {"FAIL", "ERROR"} else None,
                "duration_seconds": round(o.duration, 3),
            }
            for o in result.outcomes
        ],
    }
