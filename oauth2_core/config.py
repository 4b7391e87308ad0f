"""``ServerConfig``: every knob of the engine, frozen, validated once at construction.

``ServerConfig.from_mapping`` reads the Flask-style ``OAUTH2_*`` settings of the seed API
(``OAUTH2_TOKEN_EXPIRES_IN``, ``OAUTH2_ACCESS_TOKEN_GENERATOR``, ``OAUTH2_ERROR_URIS``, ...).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from oauth2_core.errors import ConfigurationError
from oauth2_core.models import Client

__all__ = [
    "DEFAULT_GRANT_TYPES",
    "LEGACY_GRANT_TYPES",
    "ErrorTranslator",
    "ServerConfig",
    "TokenGenerator",
    "import_string",
]

# (client, grant_type, user, scope) -> token string; ``user`` is the user id or None.
TokenGenerator = Callable[[Client, str, Any, str], str]
# (error code, English description, preferred locales best first) -> description to send.
ErrorTranslator = Callable[[str, str, tuple[str, ...]], str]

DEFAULT_GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")
LEGACY_GRANT_TYPES = ("password", "implicit")
KNOWN_GRANT_TYPES = DEFAULT_GRANT_TYPES + LEGACY_GRANT_TYPES
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
MAX_CODE_LIFETIME = 600


def import_string(path: str) -> Any:
    """Import ``package.module.attribute`` (or ``package.module:attribute``)."""
    module_name, sep, attribute = path.replace(":", ".").rpartition(".")
    if not sep or not module_name:
        raise ConfigurationError(f"not a dotted import path: {path!r}")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import {path!r}: {exc}") from exc


def _resolve_generator(value: TokenGenerator | str | bool | None, name: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    resolved = import_string(value) if isinstance(value, str) else value
    if not callable(resolved):
        raise ConfigurationError(f"{name} must be callable, got {type(resolved).__name__}")
    return resolved


@dataclass(frozen=True)
class ServerConfig:
    """Configuration of an ``AuthorizationServer``.

    Lifetimes are in seconds. ``expires_in`` maps a grant type to the lifetime of the access
    tokens that grant issues (the seed's ``OAUTH2_TOKEN_EXPIRES_IN``); grants not listed get
    ``DEFAULT_ACCESS_TOKEN_LIFETIME``.
    """

    issuer: str = "http://127.0.0.1:8000"
    grant_types: tuple[str, ...] = DEFAULT_GRANT_TYPES
    expires_in: Mapping[str, int] = field(default_factory=dict)
    authorization_code_lifetime: int = 60
    refresh_token_lifetime: int = 14 * 24 * 3600
    # None or True: the built-in 256-bit generator. For refresh tokens False means "never".
    access_token_generator: TokenGenerator | str | bool | None = None
    refresh_token_generator: TokenGenerator | str | bool | None = None
    # Error code -> URI; without an entry, responses carry no error_uri.
    error_uris: Mapping[str, str] = field(default_factory=dict)
    translate_error: ErrorTranslator | str | None = None
    refresh_token_grace_seconds: int = 0
    rotate_refresh_tokens: bool = True
    require_pkce: bool = True
    allow_plain_pkce: bool = False
    # Empty: any scope string a client is allowed is accepted.
    scopes_supported: tuple[str, ...] = ()
    default_scope: str = ""
    authorization_endpoint: str = "/authorize"
    token_endpoint: str = "/token"
    revocation_endpoint: str = "/revoke"
    introspection_endpoint: str = "/introspect"
    realm: str = "oauth2-core"
    retry_after_seconds: int = 2
    # Legacy password grant only: (username, password) -> user or None.
    authenticate_user: Callable[[str, str], Any] | str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.grant_types) - set(KNOWN_GRANT_TYPES)
        if unknown:
            raise ConfigurationError(f"unknown grant types: {', '.join(sorted(unknown))}")
        if not 1 <= self.authorization_code_lifetime <= MAX_CODE_LIFETIME:
            raise ConfigurationError(
                "authorization_code_lifetime must be between 1 and 600 seconds "
                "(RFC 6749 section 4.1.2 recommends at most 10 minutes)"
            )
        for name, seconds in [*self.expires_in.items(), ("refresh_token_lifetime",
                                                          self.refresh_token_lifetime)]:
            if not isinstance(seconds, int) or seconds <= 0:
                raise ConfigurationError(f"lifetime for {name!r} must be a positive integer")
        if self.refresh_token_grace_seconds < 0:
            raise ConfigurationError("refresh_token_grace_seconds must not be negative")
        if not self.issuer.startswith(("https://", "http://")) or "#" in self.issuer:
            raise ConfigurationError("issuer must be an http(s) URL without a fragment")
        if "?" in self.issuer:
            raise ConfigurationError("issuer must not carry a query (RFC 8414 section 2)")
        object.__setattr__(self, "issuer", self.issuer.rstrip("/"))
        object.__setattr__(self, "expires_in", MappingProxyType(dict(self.expires_in)))
        object.__setattr__(self, "error_uris", MappingProxyType(dict(self.error_uris)))
        object.__setattr__(self, "grant_types", tuple(self.grant_types))
        object.__setattr__(self, "scopes_supported", tuple(self.scopes_supported))
        for name in ("access_token_generator", "refresh_token_generator"):
            object.__setattr__(self, name, _resolve_generator(getattr(self, name), name))
        for name in ("translate_error", "authenticate_user"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, import_string(value))

    def access_token_lifetime(self, grant_type: str) -> int:
        return int(self.expires_in.get(grant_type, DEFAULT_ACCESS_TOKEN_LIFETIME))

    def endpoint_url(self, path: str) -> str:
        """Absolute URL of an endpoint given as a path relative to the issuer."""
        if path.startswith(("https://", "http://")):
            return path
        return self.issuer + "/" + path.lstrip("/")

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any], **overrides: Any) -> ServerConfig:
        """Build from ``OAUTH2_*`` settings (Flask ``app.config``, Django settings, env).

        Each field ``name`` is read from ``OAUTH2_NAME``; ``OAUTH2_TOKEN_EXPIRES_IN`` is the
        seed's name for ``expires_in`` and ``OAUTH2_ERROR_URIS`` may be ``(error, uri)`` pairs.
        Unknown ``OAUTH2_*`` keys are refused, so a typo does not silently do nothing.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        aliases = {"TOKEN_EXPIRES_IN": "expires_in"}
        values: dict[str, Any] = {}
        for key, value in settings.items():
            if not key.startswith("OAUTH2_"):
                continue
            suffix = key[len("OAUTH2_") :]
            name = aliases.get(suffix, suffix.lower())
            if name not in names:
                known = ", ".join(sorted(f"OAUTH2_{n.upper()}" for n in names))
                raise ConfigurationError(f"unknown setting {key}; known settings: {known}")
            values[name] = value
        if "error_uris" in values and not isinstance(values["error_uris"], Mapping):
            values["error_uris"] = dict(_pairs(values["error_uris"], "OAUTH2_ERROR_URIS"))
        for name in ("grant_types", "scopes_supported"):
            if isinstance(values.get(name), str):
                values[name] = tuple(values[name].split())
        values.update(overrides)
        return cls(**values)


def _pairs(value: Iterable[Any], name: str) -> list[tuple[str, str]]:
    pairs = []
    for item in value:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ConfigurationError(f"{name} must be (error, uri) pairs, got {item!r}")
        pairs.append((str(item[0]), str(item[1])))
    return pairs
