"""``oauth2-core-sqlalchemy``: bring a database up to date, check it, purge it.

    oauth2-core-sqlalchemy upgrade URL          Alembic upgrade head (idempotent)
    oauth2-core-sqlalchemy check URL            exit 1 unless the schema is at head
    oauth2-core-sqlalchemy purge URL [--batch-size N]
                                                delete expired records, tombstones kept

Exit codes: 0 done, 1 the database is not up to date, 2 the database cannot be reached or
the URL is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oauth2_core.clock import SystemClock
from oauth2_core.errors import ConfigurationError, StorageError
from oauth2_core_sqlalchemy import schema
from oauth2_core_sqlalchemy.errors import SchemaMissing
from oauth2_core_sqlalchemy.storage import SQLStorage

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oauth2-core-sqlalchemy", description="Manage an oauth2-core SQL database."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    upgrade = commands.add_parser("upgrade", help="apply the schema migrations (idempotent)")
    upgrade.add_argument("url")
    check = commands.add_parser("check", help="exit 1 unless the schema is up to date")
    check.add_argument("url")
    purge = commands.add_parser("purge", help="delete expired records in batches")
    purge.add_argument("url")
    purge.add_argument("--batch-size", type=int, default=1000)
    return parser


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - keep --help fast

    return make_url(url).render_as_string(hide_password=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        storage = SQLStorage.from_url(args.url)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "upgrade":
            storage.upgrade_schema()
            print(f"{_redacted(args.url)}: schema at revision {schema.head_revision()}")
        elif args.command == "check":
            storage.check_schema()
            print(f"{_redacted(args.url)}: schema up to date ({schema.head_revision()})")
        else:
            storage.check_schema()
            purged = storage.purge_expired(now=SystemClock().now(), batch_size=args.batch_size)
            print(f"{_redacted(args.url)}: purged {purged} expired records")
    except SchemaMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except StorageError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        print(f"error: {exc}{cause}", file=sys.stderr)
        return 2
    finally:
        storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
