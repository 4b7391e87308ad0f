"""The run report: console text, ``report.md`` and ``result.json`` from one ``RunResult``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from oauth2_conformance.registry import GROUPS
from oauth2_conformance.runner import OUTCOMES, CheckOutcome, RunResult, describe

__all__ = ["render_markdown", "render_text", "verdict", "write_results"]


def verdict(result: RunResult) -> str:
    """One line: the answer a CI log reader looks for."""
    counts = result.counts
    if result.preflight_error is not None:
        return f"ERROR: no verdict, {result.preflight_error}"
    if counts["ERROR"]:
        return (
            f"ERROR: no verdict at profile {result.profile}: {counts['ERROR']} check(s) hit "
            "harness or infrastructure errors"
        )
    if counts["FAIL"]:
        return f"NOT conformant at profile {result.profile}: {counts['FAIL']} check(s) failed"
    line = f"conformant at profile {result.profile}"
    if counts["XFAIL"]:
        line += f", except {counts['XFAIL']} known failure(s) declared by the harness"
    return line


def _group_rows(result: RunResult) -> list[tuple[str, Counter[str]]]:
    rows = []
    for key, (_, title) in GROUPS.items():
        tally = Counter(o.outcome for o in result.outcomes if o.check.group == key)
        if tally:
            rows.append((title, tally))
    return rows


def _problems(result: RunResult) -> list[CheckOutcome]:
    return [o for o in result.outcomes if o.outcome in {"FAIL", "ERROR"}]


def _skip_reasons(result: RunResult) -> Counter[str]:
    return Counter(o.message.split(" ", 1)[1] for o in result.outcomes if o.outcome == "SKIP")


def render_text(result: RunResult) -> str:
    lines = [
        f"oauth2-core conformance: {result.harness_name}, profile {result.profile}, "
        f"{len(result.outcomes)} checks in {result.duration:.1f} s",
        "",
        f"{'group':<46}" + "".join(f"{name:>7}" for name in OUTCOMES),
    ]
    for title, tally in _group_rows(result):
        lines.append(f"{title:<46}" + "".join(f"{tally[name]:>7}" for name in OUTCOMES))
    lines.append(f"{'total':<46}" + "".join(f"{result.counts[n]:>7}" for n in OUTCOMES))
    for item in _problems(result):
        chk = item.check
        lines += [
            "",
            f"{item.outcome} {chk.id} {chk.title} ({chk.rfc})",
            f"    {item.message}",
            f"    hint: {chk.hint}",
        ]
    reasons = _skip_reasons(result)
    if reasons:
        lines += ["", "skipped:"]
        lines += [f"    {count} x {reason}" for reason, count in sorted(reasons.items())]
    lines += ["", verdict(result)]
    return "\n".join(lines)


def render_markdown(result: RunResult) -> str:
    lines = [
        f"# Conformance report: {result.harness_name}",
        "",
        f"**{verdict(result)}**",
        "",
        f"Profile `{result.profile}`, {len(result.outcomes)} checks, "
        f"{result.duration:.1f} s, exit code {result.exit_code}.",
        "",
        "| group | " + " | ".join(OUTCOMES) + " |",
        "|---|" + "---:|" * len(OUTCOMES),
    ]
    for title, tally in _group_rows(result):
        lines.append(f"| {title} | " + " | ".join(str(tally[n]) for n in OUTCOMES) + " |")
    problems = _problems(result)
    if problems:
        lines += ["", "## Failures and errors", ""]
        for item in problems:
            chk = item.check
            lines += [
                f"### {item.outcome} `{chk.id}` {chk.title}",
                "",
                f"- reference: {chk.rfc}",
                f"- message: `{item.message}`",
                f"- hint: {chk.hint}",
                "",
            ]
    lines += ["", "## All checks", "", "| id | title | outcome | note |", "|---|---|---|---|"]
    for item in result.outcomes:
        note = item.message.replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| `{item.check.id}` | {item.check.title} | {item.outcome} | {note} |")
    return "\n".join(lines) + "\n"


def write_results(result: RunResult, folder: Path) -> None:
    """``result.json`` and ``report.md`` (pytest already wrote ``junit.xml`` there)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(json.dumps(describe(result), indent=2) + "\n")
    (folder / "report.md").write_text(render_markdown(result))
