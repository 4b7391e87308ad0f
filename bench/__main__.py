"""``python -m bench``: run the benchmarks, write JSON lines, the summary and the charts."""

from __future__ import annotations

import argparse
import importlib
import os
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.operations import OPERATIONS
from bench.plan import SECTIONS, Plan
from bench.records import Record, ResultLog, machine_facts
from bench.services import BACKENDS, bench_services

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance"
GUIDE = ROOT / "docs" / "performance.md"
_MODULES = {"inproc": "inproc", "roundtrips": "roundtrips", "growth": "growth", "http": "http_load"}


def _csv(value: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {what}: {', '.join(unknown)}")
    return chosen


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("OAUTH2_BENCH_QUICK")),
                        help="short rounds, small sizes: for development (OAUTH2_BENCH_QUICK)")
    parser.add_argument("--backends", type=lambda v: _csv(v, BACKENDS, "backend"),
                        default=BACKENDS, help=f"comma-separated, of {','.join(BACKENDS)}")
    parser.add_argument("--operations", type=lambda v: _csv(v, OPERATIONS, "operation"),
                        default=OPERATIONS, help=f"comma-separated, of {','.join(OPERATIONS)}")
    parser.add_argument("--sections", type=lambda v: _csv(v, SECTIONS, "section"),
                        default=SECTIONS, help=f"comma-separated, of {','.join(SECTIONS)}")
    parser.add_argument("--no-docs", action="store_true",
                        help="write no summary or charts (a full run writes docs/performance/)")
    return parser.parse_args(argv)


def _run_section(section: str, backend: str, plan: Plan, target: Any, log: ResultLog) -> None:
    """One section on one backend; a failure is recorded and the run goes on."""
    module = importlib.import_module(f"bench.{_MODULES[section]}")
    try:
        getattr(module, f"run_{section}")(plan, target, log)
    except Exception as exc:  # a broken backend must not cost the other figures
        traceback.print_exc()
        message = f"{section}: {type(exc).__name__}: {exc}"
        print(f"[bench] {backend}: {message}")
        log.add(Record("error", backend, "*", section, 0.0, "", {"error": message}))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan(args.quick, args.backends, args.operations, args.sections)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log = ResultLog(RESULTS / f"run-{stamp}.jsonl")
    if "http" in plan.sections:
        from bench.http_load import ensure_wrk  # noqa: PLC0415

        ensure_wrk()
    facts = machine_facts()
    started = time.monotonic()
    print(f"[bench] {'quick' if plan.quick else 'full'} run -> {log.path}")
    try:
        with bench_services(plan.backends) as backends:
            for name in plan.backends:
                backend = backends.get(name)
                if backend is None:
                    continue
                for section in ("inproc", "roundtrips", "growth"):
                    if section in plan.sections and (section, name) != ("roundtrips", "memory"):
                        _run_section(section, name, plan, backend, log)
            if "http" in plan.sections:
                _run_section("http", "*", plan, backends, log)
    finally:
        log.close()
    facts["duration"] = f"{time.monotonic() - started:.0f} s"
    facts["mode"] = "quick" if plan.quick else "full"
    if not args.no_docs:
        from bench.charts import render_charts  # noqa: PLC0415
        from bench.summary import update_reference, write_summary  # noqa: PLC0415

        # Quick runs never overwrite the committed reference figures.
        out = RESULTS / "quick" if plan.quick else DOCS
        charts = render_charts(log.records, out)
        summary = write_summary(log.records, facts, charts, out / "summary.md")
        print(f"[bench] summary: {summary}")
        if plan.is_reference():
            update_reference(log.records, facts, charts, GUIDE)
            print(f"[bench] results block of {GUIDE} updated")
    print(f"[bench] done in {facts['duration']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
