"""Verdicts and exit codes: ERROR is not FAIL, known failures, the CLI, the front door."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from _broken_storages import (
    CannotConnectHarness,
    ConsumeDeletesCode,
    OutageMidRun,
    UnreachableHooksHarness,
)
from oauth2_conformance import all_checks
from oauth2_conformance.cli import main
from oauth2_conformance.harnesses.memory import MemoryHarness
from oauth2_conformance.runner import run_suite

pytest_plugins = ["pytester"]


def test_memory_is_conformant_at_full_through_the_cli(tmp_path: Path, capsys) -> None:
    assert (
        main(["run", "--backend", "memory", "--profile", "full", "--results-dir", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "conformant at profile full" in out.splitlines()[-2]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["exit_code"] == 0 and result["counts"]["FAIL"] == 0
    assert len(result["checks"]) == len(all_checks())
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")
    assert "conformant at profile full" in (tmp_path / "report.md").read_text()


def test_pytest_front_door_gives_the_same_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mine="""
        import pytest
        from oauth2_conformance import ConformanceSuite
        from oauth2_conformance.harnesses.memory import make_harness

        class TestMemory(ConformanceSuite):
            @pytest.fixture(scope="class")
            @classmethod
            def oauth2_harness(cls):
                harness = make_harness(None)
                yield harness
                harness.close()
        """
    )
    front = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    cli = run_suite(MemoryHarness, profile="full")
    front.assert_outcomes(passed=cli.counts["PASS"], skipped=cli.counts["SKIP"])
    assert cli.exit_code == 0 and front.ret == 0


def test_group_classes_opt_in_group_by_group(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_groups="""
        import pytest
        from oauth2_conformance import CodeChecks, TokenChecks
        from oauth2_conformance.harnesses.memory import make_harness

        class TestSome(CodeChecks, TokenChecks):
            oauth2_profile = "core"

            @pytest.fixture(scope="class")
            @classmethod
            def oauth2_harness(cls):
                yield make_harness(None)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    expected = [c for c in all_checks() if c.group in {"codes", "tokens"}]
    result.assert_outcomes(passed=len(expected))


def test_profile_skips_name_the_profile() -> None:
    result = run_suite(MemoryHarness, profile="core")
    skipped = [o for o in result.outcomes if o.outcome == "SKIP"]
    assert result.exit_code == 0 and skipped
    assert any("belongs to profile 'full'" in o.message for o in skipped)
    assert all("memory" not in o.message.lower() for o in skipped), "skips name the backend"


def test_a_harness_that_cannot_connect_is_an_error_exit_2(tmp_path: Path, capsys) -> None:
    result = run_suite(CannotConnectHarness, results_dir=tmp_path)
    assert result.exit_code == 2
    assert result.counts["FAIL"] == 0 and result.counts["ERROR"] == len(all_checks())
    assert "StorageUnavailable" in (result.preflight_error or "")


def test_cli_exit_2_for_an_unreachable_harness(capsys) -> None:
    assert main(["run", "--harness", "_broken_storages:make_cannot_connect"]) == 2
    assert "ERROR: no verdict" in capsys.readouterr().out


def test_an_outage_during_a_check_is_an_error_not_a_failure() -> None:
    result = run_suite(lambda: MemoryHarness(OutageMidRun), only=["TOKEN-001", "CODE-001"])
    outcomes = {o.check.id: o.outcome for o in result.outcomes}
    assert outcomes == {"TOKEN-001": "ERROR", "CODE-001": "PASS"}
    assert result.exit_code == 2


def test_unreachable_hook_passes_for_a_chained_error() -> None:
    result = run_suite(UnreachableHooksHarness, only=["ERR-004"])
    assert [o.outcome for o in result.outcomes] == ["PASS"]


def test_known_failures_become_xfail_and_xpass_says_remove_it() -> None:
    class Known(MemoryHarness):
        known_failures: ClassVar[dict[str, str]] = {
            "CODE-002": "tombstones not implemented yet (#12)"
        }

    result = run_suite(lambda: Known(ConsumeDeletesCode), only=["CODE-002"])
    assert [o.outcome for o in result.outcomes] == ["XFAIL"]
    assert "tombstones not implemented yet" in result.outcomes[0].message
    assert result.exit_code == 0
    passing = run_suite(Known, only=["CODE-002"])
    assert [o.outcome for o in passing.outcomes] == ["FAIL"]
    assert "remove it from the harness's known_failures" in passing.outcomes[0].message


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["run", "--backend", "no-such-backend"],
        ["run", "--harness", "not-a-spec"],
        ["run", "--backend", "memory", "--profile", "gold"],
        ["run", "--backend", "memory", "--check", "NOPE-001"],
        ["explain", "NOPE-001"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_3(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        code = main(argv)
        raise SystemExit(code)
    assert exited.value.code == 3


def test_list_and_explain(capsys) -> None:
    assert main(["list-checks", "--group", "races"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == [
        "RACE-001", "RACE-002", "RACE-003", "RACE-004", "RACE-005"
    ]
    assert main(["explain", "race-001"]) == 0
    text = capsys.readouterr().out
    assert "RACE-001" in text and "hint:" in text and "ATOMIC_CODE_CONSUME" in text
