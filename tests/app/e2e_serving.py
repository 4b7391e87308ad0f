"""Starting ``oauth2-core`` commands as subprocesses, and the storage URL of each backend.

Shared by tests/app and tests/browser (which puts this directory on ``sys.path``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from oauth2_conformance.services import free_port, resolve_service_url

from oauth2_core.storage.registry import open_storage

REDIRECT_URI = "http://127.0.0.1/callback"
BACKEND_DEFAULTS: dict[str, str | None] = {
    "memory": None,
    "sqlite": None,
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
    "redis": "redis://127.0.0.1:6379/0",
    "mongodb": None,
}
START_TIMEOUT = 30.0


def cli(*args: str, env: Mapping[str, str] | None = None, stdin: str | None = None,
        cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``oauth2-core ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "oauth2_core.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**_clean_env(), **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    """The environment without OAUTH2_* settings that would leak into the server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OAUTH2_")}


@contextlib.contextmanager
def backend_url(backend: str, workdir: Path, run_id: str) -> Iterator[str]:
    """The storage URL for ``backend`` (skips, or fails under CI, when its service is absent)."""
    if backend == "memory":
        yield "memory://"
    elif backend == "sqlite":
        yield f"sqlite:///{workdir / 'e2e.db'}"
    elif backend == "mongodb":
        with _mongo_url() as url:
            yield url
    else:
        url = resolve_service_url(backend, BACKEND_DEFAULTS[backend])
        if backend == "redis":
            url += ("&" if "?" in url else "?") + f"prefix=e2e-{run_id}:"
        yield url


@contextlib.contextmanager
def _mongo_url() -> Iterator[str]:
    explicit = os.environ.get("OAUTH2_TEST_MONGODB_URL")
    if explicit:
        yield resolve_service_url("mongodb", explicit)
        return
    from oauth2_core_mongo.testing import secantus_server  # noqa: PLC0415 (only for mongo)

    with secantus_server() as url:
        yield url


@dataclass
class E2EClient:
    client_id: str
    secret: str | None
    scope: str


@dataclass
class E2EServer:
    base_url: str
    storage: str
    workdir: Path
    process: subprocess.Popen[bytes]
    clients: dict[str, E2EClient] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        log = self.workdir / "server.log"
        return log.read_text(errors="replace") if log.exists() else ""


def e2e_clients(suffix: str) -> list[dict[str, Any]]:
    """Confidential, public (PKCE) and resource-server clients with ids unique to this run."""
    return [
        {
            "client_id": f"conf-{suffix}",
            "client_secret": secrets.token_urlsafe(32),
            "client_name": "E2E Confidential",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "redirect_uris": [REDIRECT_URI],
            "scope": "profile read write",
        },
        {
            "client_id": f"pub-{suffix}",
            "public": True,
            "client_name": "E2E Public",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "scope": "profile read",
        },
        {
            "client_id": f"rs-{suffix}",
            "client_secret": secrets.token_urlsafe(32),
            "client_name": "E2E Resource Server",
            "grant_types": ["client_credentials"],
            "scope": "",
            "can_introspect": True,
        },
    ]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def write_config(path: Path, storage: str, clients: list[dict[str, Any]], **extra: Any) -> None:
    lines = [f"storage = {_toml_value(storage)}"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in extra.items()]
    for client in clients:
        lines.append("\n[[clients]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in client.items()]
    path.write_text("\n".join(lines) + "\n")


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(base_url + "/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # polling a starting process, not waiting on a clock
    raise RuntimeError(f"server did not start within {START_TIMEOUT}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextlib.contextmanager
def start_server(
    storage: str,
    workdir: Path,
    clients: list[dict[str, Any]],
    *,
    auto_approve_as: str | None = None,
    extra_args: tuple[str, ...] = (),
    **config: Any,
) -> Iterator[E2EServer]:
    """Migrate the storage, then run ``oauth2-core serve`` with the clients declared."""
    migrated = cli("migrate", "--storage", storage)
    if migrated.returncode != 0:
        raise RuntimeError(f"migrate failed: {migrated.stderr}")
    port = free_port()
    config_path = workdir / "oauth2.toml"
    write_config(config_path, storage, clients, **config)
    args = ["serve", "--config", str(config_path), "--port", str(port), "--log-level", "warning"]
    if auto_approve_as:
        args += ["--auto-approve-as", auto_approve_as]
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "oauth2_core.cli", *args, *extra_args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=_clean_env(),
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, log)
        running = E2EServer(base_url, storage, workdir, process)
        for client in clients:
            running.clients[client["client_id"].split("-", 1)[0]] = E2EClient(
                client["client_id"], client.get("client_secret"), client.get("scope", "")
            )
        yield running
    finally:
        stop(process)
        _delete_clients(storage, clients)


def _delete_clients(storage: str, clients: list[dict[str, Any]]) -> None:
    """Leave the shared databases as we found them (tokens expire on their own)."""
    if storage.startswith("memory:"):
        return
    handle = open_storage(storage)
    try:
        for client in clients:
            handle.delete_client(client["client_id"])
    finally:
        handle.close()
