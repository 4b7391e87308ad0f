"""What each ``oauth2-core`` command does; ``oauth2_core.cli`` only parses arguments."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from oauth2_core.app.management import (
    client_to_dict,
    create_client,
    list_clients,
)
from oauth2_core.app.settings import AppSettings, load_settings
from oauth2_core.app.users import UserStore
from oauth2_core.clock import SystemClock
from oauth2_core.errors import ConfigurationError, DuplicateKey, StorageError
from oauth2_core.registration import InvalidClientMetadata
from oauth2_core.storage.protocols import (
    Capability,
    DeploymentChecks,
    Maintenance,
    SchemaManagement,
    Storage,
)
from oauth2_core.storage.registry import open_storage

__all__ = ["CommandError", "run"]


class CommandError(Exception):
    """A command failed for a reason the user should read (no traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if getattr(args, "json", False) else text)


@contextmanager
def _storage(args: argparse.Namespace, environ: Mapping[str, str]) -> Iterator[Storage]:
    flags = {"storage": args.storage, "config": args.config}
    settings = load_settings(flags, environ)
    try:
        storage = open_storage(settings.storage)
    except StorageError as exc:
        raise CommandError(f"cannot open storage: {exc}") from exc
    try:
        yield storage
    except StorageError as exc:
        raise CommandError(f"storage error: {type(exc).__name__}: {exc}") from exc
    finally:
        storage.close()


def _client_text(data: Mapping[str, Any]) -> str:
    width = max(len(key) for key in data)
    lines = []
    for key, value in data.items():
        shown = " ".join(value) if isinstance(value, list) else value
        lines.append(f"{key.ljust(width)}  {'' if shown is None else shown}")
    return "\n".join(lines)


# -- client ----------------------------------------------------------------------------------
def _client_create(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    metadata: dict[str, Any] = {
        "client_id": args.client_id,
        "client_secret": args.secret,
        "public": args.public,
        "scope": args.scope,
        "client_name": args.name,
        "can_introspect": args.introspect,
        "redirect_uris": tuple(args.redirect_uris or ()),
        "token_endpoint_auth_method": args.auth_method,
    }
    if args.grant_types:
        metadata["grant_types"] = tuple(args.grant_types)
    if args.public and args.secret:
        raise ConfigurationError("a public client has no secret: drop --secret or --public")
    with _storage(args, environ) as storage:
        try:
            client, secret = create_client(storage, **metadata)
        except InvalidClientMetadata as exc:
            raise CommandError(f"{exc.error}: {exc}", exit_code=2) from exc
        except DuplicateKey as exc:
            raise CommandError(f"client id {args.client_id!r} already exists") from exc
    data = client_to_dict(client)
    text = "created client\n" + _client_text(data)
    if secret is not None and not args.secret:
        text += f"\nclient_secret  {secret}\n(shown once: store it now; only a digest is kept)"
    _out(args, {"client": data, "client_secret": secret if not args.secret else None}, text)
    return 0


def _client_list(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    with _storage(args, environ) as storage:
        try:
            clients = list_clients(storage)
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from exc
    rows = [client_to_dict(c) for c in clients]
    lines = [
        f"{r['client_id']}  {'public' if r['public'] else 'confidential'}  "
        f"{' '.join(r['grant_types'])}  {r['client_name']}".rstrip()
        for r in rows
    ]
    _out(args, rows, "\n".join(lines) if lines else "no clients")
    return 0


def _client_show(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    with _storage(args, environ) as storage:
        client = storage.query_client(args.client_id)
    if client is None:
        raise CommandError(f"no client with id {args.client_id!r}")
    data = client_to_dict(client)
    _out(args, data, _client_text(data))
    return 0


def _client_delete(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    with _storage(args, environ) as storage:
        if storage.query_client(args.client_id) is None:
            raise CommandError(f"no client with id {args.client_id!r}")
        storage.delete_client(args.client_id)
    _out(args, {"deleted": args.client_id}, f"deleted client {args.client_id}")
    return 0


# -- users ------------------------------------------------------------------------------------
def _user_add(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
    UserStore(args.users).add(args.username, password, name=args.name)
    print(f"saved user {args.username} in {args.users}")
    return 0


def _user_list(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    names = UserStore(args.users).usernames()
    _out(args, names, "\n".join(names) if names else "no users")
    return 0


# -- data -------------------------------------------------------------------------------------
def _purge(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if args.batch_size < 1:
        raise ConfigurationError("--batch-size must be at least 1")
    with _storage(args, environ) as storage:
        if not isinstance(storage, Maintenance):
            if Capability.NATIVE_TTL in storage.capabilities:
                _out(args, {"purged": 0, "native_ttl": True},
                     f"{type(storage).__name__} expires records natively: nothing to purge")
                return 0
            raise CommandError(f"{type(storage).__name__} does not support purge_expired()")
        count = storage.purge_expired(now=SystemClock().now(), batch_size=args.batch_size)
    _out(args, {"purged": count}, f"purged {count} expired record(s)")
    return 0


def _check(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    with _storage(args, environ) as storage:
        storage.query_client("oauth2-core-check-" + secrets.token_hex(4))  # reachability
        warnings = storage.deployment_warnings() if isinstance(storage, DeploymentChecks) else []
        capabilities = sorted(c.value for c in storage.capabilities)
        backend = type(storage).__module__ + "." + type(storage).__name__
    missing = sorted(c.value for c in Capability if c.value not in capabilities)
    data = {
        "backend": backend,
        "reachable": True,
        "capabilities": capabilities,
        "missing_capabilities": missing,
        "warnings": warnings,
        "ok": not warnings,
    }
    lines = [f"backend       {backend}", "reachable     yes"]
    lines.append("capabilities  " + ", ".join(capabilities))
    if missing:
        lines.append("missing       " + ", ".join(missing))
    lines += [f"WARNING: {w}" for w in warnings] or ["no deployment warnings"]
    _out(args, data, "\n".join(lines))
    return 1 if warnings else 0


def _migrate(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    with _storage(args, environ) as storage:
        if not isinstance(storage, SchemaManagement):
            _out(args, {"migrated": False}, "nothing to migrate for this backend")
            return 0
        storage.upgrade_schema()
    _out(args, {"migrated": True}, "schema is up to date")
    return 0


# -- serving ----------------------------------------------------------------------------------
def _run_uvicorn(settings: AppSettings, log_level: str) -> int:
    # Imported here: only serving needs the web stack (``import oauth2_core`` stays bare).
    import uvicorn  # noqa: PLC0415

    from oauth2_core.app.coalesced_writes import CoalescedHttpProtocol  # noqa: PLC0415
    from oauth2_core.app.factory import SETTINGS_ENV, create_app  # noqa: PLC0415

    app = create_app(settings)  # fail here, before binding, on a bad configuration
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_level": log_level,
        "server_header": False, "http": CoalescedHttpProtocol,
    }
    if settings.workers > 1:
        app.state.oauth2.server.storage.close()
        os.environ[SETTINGS_ENV] = settings.to_json()
        uvicorn.run(
            "oauth2_core.app.factory:create_app_from_env", factory=True,
            workers=settings.workers, **options,
        )
    else:
        uvicorn.run(app, **options)
    return 0


def _serve(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    flags = {
        name: getattr(args, name)
        for name in ("storage", "config", "host", "port", "issuer", "workers", "threads", "users",
                     "secret_key", "auto_approve_as")
    }
    settings = load_settings(flags, environ)
    if not settings.secret_key:
        settings = dataclasses.replace(settings, secret_key=secrets.token_urlsafe(32))
    if settings.auto_approve_as:
        print(
            f"WARNING: --auto-approve-as: every valid authorization request is approved as "
            f"{settings.auto_approve_as!r} without login or consent. Testing only.",
            file=sys.stderr,
        )
    elif not UserStore(settings.users).usernames():
        print(
            "WARNING: no users configured: nobody can sign in to approve requests. "
            "Add one with 'oauth2-core user add --users FILE NAME' and pass --users FILE.",
            file=sys.stderr,
        )
    print(f"oauth2-core: serving issuer {settings.effective_issuer}", file=sys.stderr)
    return _run_uvicorn(settings, args.log_level)


def _demo(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from oauth2_core.app.demo import prepare_demo  # noqa: PLC0415 (imports the web stack)

    setup = prepare_demo(
        host=args.host or "127.0.0.1", port=args.port or 8000, storage_url=args.storage
    )
    print(setup.instructions(), flush=True)
    return _run_uvicorn(setup.settings, args.log_level)


_COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace, Mapping[str, str]], int]] = {
    ("demo", None): _demo,
    ("serve", None): _serve,
    ("client", "create"): _client_create,
    ("client", "list"): _client_list,
    ("client", "show"): _client_show,
    ("client", "delete"): _client_delete,
    ("user", "add"): _user_add,
    ("user", "list"): _user_list,
    ("purge", None): _purge,
    ("check", None): _check,
    ("migrate", None): _migrate,
}


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    action = getattr(args, "client_command", None) or getattr(args, "user_command", None)
    try:
        return _COMMANDS[(args.command, action)](args, environ)
    except StorageError as exc:
        raise CommandError(f"storage error: {type(exc).__name__}: {exc}") from exc
