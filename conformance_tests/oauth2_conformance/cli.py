"""``oauth2-conformance``: run the suite against a backend, list and explain checks.

Exit codes: 0 conformant, 1 contract failures, 2 harness or infrastructure errors, 3 usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, cast

from oauth2_conformance.harnesses import HarnessFactory as BackendFactory
from oauth2_conformance.harnesses import load_backend_factory
from oauth2_conformance.registry import GROUPS, PROFILES, all_checks, get_check, profile_includes
from oauth2_conformance.report import render_text, write_results
from oauth2_conformance.runner import HarnessFactory, run_suite

__all__ = ["EXIT_ERROR", "EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_USAGE = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oauth2-conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run the suite against a backend")
    target = run.add_mutually_exclusive_group(required=True)
    target.add_argument("--backend", help="a harness registered under oauth2_conformance.harnesses")
    target.add_argument("--harness", help="pkg.module:factory, called as factory(url)")
    run.add_argument("--url", help="store URL given to the harness factory")
    run.add_argument("--profile", choices=PROFILES, default="full")
    run.add_argument("--results-dir", type=Path, help="write result.json, report.md, junit.xml")
    run.add_argument(
        "--check",
        action="append",
        dest="only",
        metavar="ID",
        help="run only this check (repeatable)",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")
    listing = commands.add_parser("list-checks", help="list the registered checks")
    listing.add_argument("--profile", choices=PROFILES)
    listing.add_argument("--group", choices=list(GROUPS))
    explain = commands.add_parser("explain", help="describe one check")
    explain.add_argument("id")
    return parser


def _import_factory(spec: str) -> BackendFactory:
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"--harness wants pkg.module:factory, got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"cannot load harness factory {spec!r}: {exc}") from exc
    if not callable(factory):
        raise UsageError(f"{spec!r} is not callable")
    return cast(BackendFactory, factory)


def _factory(args: argparse.Namespace) -> HarnessFactory:
    if args.backend:
        try:
            make = load_backend_factory(args.backend)
        except LookupError as exc:
            raise UsageError(str(exc)) from exc
    else:
        make = _import_factory(args.harness)
    url = args.url
    return lambda: make(url)


def _run(args: argparse.Namespace) -> int:
    factory = _factory(args)
    if args.only:
        for check_id in args.only:
            try:
                get_check(check_id)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from exc
    result = run_suite(
        factory,
        profile=args.profile,
        results_dir=args.results_dir,
        only=args.only,
        quiet=not args.verbose,
    )
    print(render_text(result))
    if args.results_dir is not None:
        write_results(result, args.results_dir)
        print(f"results: {args.results_dir}/ (result.json, report.md, junit.xml, pytest.log)")
    return result.exit_code


def _list(args: argparse.Namespace) -> int:
    for chk in all_checks():
        if args.group and chk.group != args.group:
            continue
        if args.profile and not profile_includes(args.profile, chk.profile):
            continue
        print(f"{chk.id:<11} {chk.profile:<9} {chk.group:<11} {chk.title}")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    try:
        chk = get_check(args.id)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    requires = ", ".join(sorted(c.name for c in chk.requires)) or "none"
    print(f"{chk.id}: {chk.title}")
    print(f"  group:    {GROUPS[chk.group][1]} ({GROUPS[chk.group][0]})")
    print(f"  profile:  {chk.profile}    since: {chk.since}    reference: {chk.rfc}")
    print(f"  requires: {requires}    hooks: {', '.join(chk.hooks) or 'none'}")
    if chk.slow:
        print("  marker:   slow (real time)")
    print()
    print(textwrap.indent(chk.description, "  "))
    print()
    print(textwrap.indent(textwrap.fill("hint: " + chk.hint, 96), "  "))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"run": _run, "list-checks": _list, "explain": _explain}
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        print(f"oauth2-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
