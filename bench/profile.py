"""``python -m bench.profile BACKEND OPERATION [CONTENDER]``: where one operation's time goes.

Runs the operation under cProfile (after a warm-up) and prints the functions with the most
cumulative and own time, so a missed target can be traced to an engine or backend function.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from bench.contenders import contenders_for
from bench.operations import OPERATIONS, make_operation
from bench.services import BACKENDS, bench_services


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("backend", choices=BACKENDS)
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("contender", nargs="?", default="oauth2-core",
                        choices=("oauth2-core", "authlib", "floor"))
    parser.add_argument("-n", type=int, default=2000, help="operations to profile")
    parser.add_argument("--limit", type=int, default=25, help="rows to print")
    args = parser.parse_args(argv)
    with bench_services((args.backend,)) as backends, \
            contenders_for(backends[args.backend], (args.contender,)) as found:
        driver = found.drivers[args.contender]
        op = make_operation(args.operation, driver)
        op.prepare(args.n + 50)
        for _ in range(50):
            op()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            op()
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.strip_dirs().sort_stats("cumulative").print_stats(args.limit)
    stats.sort_stats("tottime").print_stats(args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
