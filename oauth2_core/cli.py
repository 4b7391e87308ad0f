"""The ``oauth2-core`` command: demo, serve, client and user management, check, purge, migrate.

Exit codes: 0 success; 1 the operation failed (unknown client, duplicate id, store
unavailable, deployment warnings found by ``check``); 2 bad usage or configuration.
Starlette and uvicorn are imported only by the commands that serve.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from oauth2_core.app import commands
from oauth2_core.app.commands import CommandError
from oauth2_core.errors import ConfigurationError

__all__ = ["build_parser", "main"]


def _storage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage", metavar="URL", help="storage URL (env OAUTH2_STORAGE), e.g. sqlite:///o.db"
    )
    parser.add_argument("--config", metavar="FILE", help="TOML config file (env OAUTH2_CONFIG)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _server_options(parser: argparse.ArgumentParser, *, demo: bool) -> None:
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default 8000)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    if demo:
        parser.add_argument("--storage", metavar="URL", help="default: SQLite file in the CWD")
        return
    parser.add_argument("--storage", metavar="URL", help="storage URL (env OAUTH2_STORAGE)")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (env OAUTH2_CONFIG)")
    parser.add_argument("--issuer", metavar="URL", help="issuer URL (default http://HOST:PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (default 1)")
    parser.add_argument(
        "--threads",
        type=int,
        help="requests doing storage work at once per worker (default 8)",
    )
    parser.add_argument("--users", metavar="FILE", help="user file for the login page")
    parser.add_argument("--secret-key", help="key signing cookies (default: random per start)")
    parser.add_argument(
        "--auto-approve-as",
        metavar="USER",
        help="TESTING ONLY, loopback only: approve every valid request as USER",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oauth2-core", description="OAuth 2.0 authorization server (oauth2-core)."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="try it: a server with demo clients over SQLite")
    _server_options(demo, demo=True)
    serve = sub.add_parser("serve", help="run the authorization server")
    _server_options(serve, demo=False)

    client = sub.add_parser("client", help="manage clients")
    client_sub = client.add_subparsers(dest="client_command", required=True, metavar="ACTION")
    create = client_sub.add_parser("create", help="register a client")
    _storage_options(create)
    create.add_argument("--client-id", help="default: generated")
    create.add_argument("--secret", help="default: generated (shown once)")
    create.add_argument("--public", action="store_true", help="public client (PKCE, no secret)")
    create.add_argument("--grant-type", action="append", dest="grant_types", metavar="TYPE")
    create.add_argument("--redirect-uri", action="append", dest="redirect_uris", metavar="URI")
    create.add_argument("--scope", default="", help="space-separated scopes it may ask for")
    create.add_argument(
        "--auth-method",
        choices=["client_secret_basic", "client_secret_post", "none"],
        help="token endpoint authentication method",
    )
    create.add_argument("--name", default="", help="name shown on the consent page")
    create.add_argument(
        "--introspect", action="store_true", help="may introspect any token (resource servers)"
    )
    for action, text in (("list", "list clients"), ("show", "show a client"),
                         ("delete", "delete a client")):
        command = client_sub.add_parser(action, help=text)
        _storage_options(command)
        if action != "list":
            command.add_argument("client_id")

    user = sub.add_parser("user", help="manage the login page's users")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    user_add = user_sub.add_parser("add", help="add or replace a user")
    user_add.add_argument("username")
    user_add.add_argument("--users", required=True, metavar="FILE", help="user file")
    user_add.add_argument("--name", default="", help="display name")
    user_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    user_list = user_sub.add_parser("list", help="list users")
    user_list.add_argument("--users", required=True, metavar="FILE", help="user file")
    user_list.add_argument("--json", action="store_true", help="print JSON")

    purge = sub.add_parser("purge", help="delete expired codes and tokens")
    _storage_options(purge)
    purge.add_argument("--batch-size", type=int, default=1000)
    check = sub.add_parser("check", help="show capabilities and deployment warnings")
    _storage_options(check)
    migrate = sub.add_parser("migrate", help="create or upgrade the storage schema")
    _storage_options(migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return commands.run(args, os.environ)
    except ConfigurationError as exc:
        print(f"oauth2-core: error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"oauth2-core: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
