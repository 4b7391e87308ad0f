"""In-process timings: oauth2-core, Authlib and the floor, per backend and operation."""

from __future__ import annotations

from bench.contenders import contenders_for
from bench.operations import make_operation
from bench.plan import Plan
from bench.records import Record, ResultLog
from bench.services import Backend
from bench.timing import Contender, measure

__all__ = ["run_inproc"]


def run_inproc(plan: Plan, backend: Backend, log: ResultLog) -> None:
    with contenders_for(backend, ("oauth2-core", "authlib", "floor")) as found:
        for name, error in found.errors.items():
            print(f"[bench] {backend.name}: {name} unavailable: {error}")
            log.add(Record("error", backend.name, "*", name, 0.0, "", {"error": error}))
        for operation in plan.operations:
            contenders = []
            for name, driver in found.for_operation(operation).items():
                try:
                    contenders.append(Contender(name, make_operation(operation, driver)))
                except Exception as exc:  # reported per contender
                    print(f"[bench] {backend.name}/{operation}/{name}: {exc!r}")
                    log.add(Record("error", backend.name, operation, name, 0.0, "",
                                   {"error": f"{type(exc).__name__}: {exc}"}))
            try:
                timings = measure(contenders, rounds=plan.rounds, round_seconds=plan.round_seconds)
            except Exception as exc:  # one failing operation must not end the run
                print(f"[bench] {backend.name}/{operation}: {exc!r}")
                log.add(Record("error", backend.name, operation, "*", 0.0, "",
                               {"error": f"{type(exc).__name__}: {exc}"}))
                continue
            line = []
            for timing in timings:
                log.add(Record(
                    "inproc", backend.name, operation, timing.contender, timing.ops_per_second,
                    "ops/s",
                    {"us_per_op": timing.seconds_per_op * 1e6, "spread": timing.spread,
                     "rounds": len(timing.rounds), "ops_per_round": timing.ops_per_round,
                     "round_us": [seconds * 1e6 for seconds in timing.rounds]},
                ))
                line.append(f"{timing.contender} {timing.ops_per_second:,.0f}/s")
            print(f"[bench] {backend.name:<10} {operation:<18} " + "  ".join(line))
