"""Round trips per operation, per contender, from the store's own view (see counters.py)."""

from __future__ import annotations

from bench.contenders import contenders_for, driver_handle
from bench.counters import install_hooks, make_counter
from bench.operations import make_operation
from bench.plan import Plan
from bench.records import Record, ResultLog
from bench.services import Backend

__all__ = ["run_roundtrips"]

WARMUP = 3


def run_roundtrips(plan: Plan, backend: Backend, log: ResultLog) -> None:
    install_hooks()
    with contenders_for(backend, ("oauth2-core", "authlib", "floor")) as found:
        counter = make_counter(backend.name, driver_handle(backend, found.storage))
        for operation in plan.operations:
            parts = []
            for name, driver in found.for_operation(operation).items():
                try:
                    op = make_operation(operation, driver)
                    n = plan.roundtrip_repeats
                    op.prepare(n + WARMUP)
                    for _ in range(WARMUP):
                        op()
                    counter.start()
                    for _ in range(n):
                        op()
                    figures = counter.stop(n)
                except Exception as exc:  # reported, the run goes on
                    print(f"[bench] roundtrips {backend.name}/{operation}/{name}: {exc!r}")
                    continue
                primary = figures.pop("round_trips")
                log.add(Record("roundtrips", backend.name, operation, name, primary,
                               "round trips/op", figures))
                parts.append(f"{name} {primary:.2f}")
            print(f"[bench] {backend.name:<10} {operation:<18} round trips: " + "  ".join(parts))
