"""``AppSettings``: how the HTTP app is configured, from flags, environment and a TOML file.

Precedence, highest first: command-line flags, ``OAUTH2_*`` environment variables, the config
file (``--config FILE`` or ``OAUTH2_CONFIG``), defaults. App keys (``OAUTH2_STORAGE``,
``OAUTH2_HOST``, ...) configure the process; every other ``OAUTH2_*`` key is an engine setting
handed to ``ServerConfig.from_mapping`` (strings from the environment are converted to the
type of the field they set).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oauth2_core.config import ServerConfig
from oauth2_core.errors import ConfigurationError

__all__ = ["APP_KEYS", "AppSettings", "engine_settings_from_env", "is_loopback", "load_settings"]

# App-level settings; the environment spells them OAUTH2_<NAME upper-cased>.
APP_KEYS = (
    "storage",
    "host",
    "port",
    "issuer",
    "workers",
    "threads",
    "users",
    "secret_key",
    "auto_approve_as",
    "config",
)
# Storage calls a worker runs at once. More threads than this contend for the GIL (futex
# calls, kernel time) more than they overlap I/O on a store answering in well under a
# millisecond: 8 beat 16 on every backend and scenario of the HTTP bench (docs/server.md).
DEFAULT_THREADS = 8
_ENGINE_FIELDS = {f.name: f for f in dataclasses.fields(ServerConfig)}


@dataclass(frozen=True)
class AppSettings:
    """Everything ``create_app`` needs. ``engine`` holds ``OAUTH2_*`` engine settings."""

    storage: str = ""  # required: flag, OAUTH2_STORAGE or the config file
    host: str = "127.0.0.1"
    port: int = 8000
    issuer: str | None = None  # default: http://HOST:PORT
    workers: int = 1
    # Requests doing storage work at once, per worker process (the thread pool the engine's
    # blocking calls run in). A SQL storage's connection pool should hold at least as many
    # connections: beyond its ``pool_size`` each request opens and closes a connection.
    threads: int = DEFAULT_THREADS
    users: str | None = None  # JSON user file (see oauth2_core.app.users)
    secret_key: str | None = None  # signs session and CSRF cookies; generated when absent
    auto_approve_as: str | None = None
    engine: Mapping[str, Any] = field(default_factory=dict)
    # Clients to create at start-up when missing: new_client(...) keyword arguments.
    clients: tuple[Mapping[str, Any], ...] = ()
    # Demo only: the PKCE verifier whose challenge the printed authorize URL carries.
    demo_code_verifier: str | None = None

    @property
    def effective_issuer(self) -> str:
        if self.issuer:
            return self.issuer.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def server_config(self) -> ServerConfig:
        return ServerConfig.from_mapping(self.engine, issuer=self.effective_issuer)

    def validate(self) -> None:
        if not self.storage:
            raise ConfigurationError(
                "no storage given: use --storage URL, set OAUTH2_STORAGE, or put storage = "
                "\"...\" in the config file"
            )
        if not 1 <= self.port <= 65535:
            raise ConfigurationError(f"port must be between 1 and 65535, got {self.port}")
        if self.workers < 1:
            raise ConfigurationError(f"workers must be at least 1, got {self.workers}")
        if self.threads < 1:
            raise ConfigurationError(f"threads must be at least 1, got {self.threads}")
        if self.auto_approve_as is not None and not is_loopback(self.host):
            raise ConfigurationError(
                f"--auto-approve-as is a testing flag: refused on non-loopback host {self.host!r}"
            )
        issuer_host = urlsplit(self.effective_issuer).hostname or ""
        if self.auto_approve_as is not None and not is_loopback(issuer_host):
            # A loopback bind published by a reverse proxy is reachable by anyone.
            raise ConfigurationError(
                "--auto-approve-as is a testing flag: refused with the non-loopback issuer "
                f"{self.effective_issuer!r}"
            )
        if self.workers > 1 and self.storage.lower().startswith("memory:"):
            raise ConfigurationError(
                "memory:// storage lives in one process: use --workers 1 or a shared backend"
            )
        self.server_config()  # raises ConfigurationError on a bad engine setting

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["engine"] = dict(self.engine)
        data["clients"] = [dict(c) for c in self.clients]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> AppSettings:
        data = json.loads(text)
        data["clients"] = tuple(data.get("clients", ()))
        return cls(**data)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _convert(name: str, value: str) -> Any:
    """Turn an environment string into the type of the setting ``name``."""
    if name in {"port", "workers", "threads"}:
        return _int(name, value)
    engine_field = _ENGINE_FIELDS.get(name)
    if engine_field is None:
        return value
    default = engine_field.default
    if engine_field.default_factory is not dataclasses.MISSING:
        default = engine_field.default_factory()
    if isinstance(default, bool):
        lowered = value.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ConfigurationError(f"OAUTH2_{name.upper()} must be true or false, not {value!r}")
        return lowered in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return _int(name, value)
    if isinstance(default, Mapping):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"OAUTH2_{name.upper()} must be a JSON object") from exc
    return value


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        message = f"OAUTH2_{name.upper()} must be an integer, not {value!r}"
        raise ConfigurationError(message) from None


def _engine_key(name: str) -> str:
    return "OAUTH2_TOKEN_EXPIRES_IN" if name == "expires_in" else f"OAUTH2_{name.upper()}"


def engine_settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The engine's ``OAUTH2_*`` settings found in ``environ``, typed."""
    settings: dict[str, Any] = {}
    for key, value in environ.items():
        # OAUTH2_TEST_* and OAUTH2_BENCH_* belong to the test suite and the benchmarks.
        if not key.startswith("OAUTH2_") or key.startswith(("OAUTH2_TEST_", "OAUTH2_BENCH_")):
            continue
        name = key[len("OAUTH2_") :].lower()
        if name in APP_KEYS or name == "issuer":
            continue
        name = "expires_in" if name == "token_expires_in" else name
        settings[_engine_key(name)] = _convert(name, value)
    return settings


def _read_config_file(path: str) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
    known = {f.name for f in dataclasses.fields(AppSettings)} - {"demo_code_verifier"}
    unknown = sorted(set(data) - known - {"oauth2"})
    if unknown:
        raise ConfigurationError(f"unknown key(s) in {path}: {', '.join(unknown)}")
    engine = data.pop("oauth2", {})
    if not isinstance(engine, dict):
        raise ConfigurationError(f"[oauth2] in {path} must be a table")
    data["engine"] = {_engine_key(name.lower()): value for name, value in engine.items()}
    if "clients" in data:
        data["clients"] = tuple(data["clients"])
    if isinstance(data.get("users"), str):
        # A relative user file is next to the config file, wherever serve is started.
        data["users"] = str(Path(path).parent / data["users"])
    return data


def load_settings(
    flags: Mapping[str, Any], environ: Mapping[str, str], **fixed: Any
) -> AppSettings:
    """Merge flags (None means "not given"), environment and config file; validate."""
    config_path = flags.get("config") or environ.get("OAUTH2_CONFIG")
    values: dict[str, Any] = _read_config_file(config_path) if config_path else {}
    engine = dict(values.get("engine", {}))
    engine.update(engine_settings_from_env(environ))
    for name in APP_KEYS:
        env_value = environ.get(f"OAUTH2_{name.upper()}")
        if name != "config" and env_value:
            values[name] = _convert(name, env_value)
    for name, value in flags.items():
        if name != "config" and value is not None:
            values[name] = value
    values.update(fixed)
    values["engine"] = engine
    settings = AppSettings(**values)
    settings.validate()
    return settings
