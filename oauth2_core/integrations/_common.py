"""What the Flask, Django and Starlette adapters share: building the engine from settings or
the seed's callables, and the framework-free halves of request/response translation.

Nothing here decides anything about OAuth: grants, capabilities and errors are the engine's.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.errors import ConfigurationError, OAuth2Error
from oauth2_core.models import Token
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import REQUIRED_CAPABILITIES
from oauth2_core.server import AuthorizationServer as Engine
from oauth2_core.storage.callables import CallableStorage
from oauth2_core.storage.protocols import Storage

__all__ = ["build_engine", "engine_request", "validate_bearer"]

logger = logging.getLogger("oauth2_core.integrations")

GRANT_TYPES_SETTING = "OAUTH2_GRANT_TYPES"


def build_engine(
    *,
    storage: Storage | None,
    settings: Mapping[str, Any],
    config: ServerConfig | None,
    clock: Clock | None,
    callables: Mapping[str, Callable[..., Any] | None],
) -> Engine:
    """The engine for an adapter: ``storage=`` or the seed's ``query_client=``/``save_token=``.

    With the function style and no ``OAUTH2_GRANT_TYPES`` setting, only the grants the
    callables can honour (per the engine's ``REQUIRED_CAPABILITIES``) are enabled, and
    the others are logged with the capabilities they lack.
    An explicit setting (or ``config=``) is passed through, so the engine's own refusal
    surfaces unchanged.
    """
    given = {name: fn for name, fn in callables.items() if fn is not None}
    if storage is not None and given:
        raise ConfigurationError(
            "pass either storage=... or the storage callables "
            f"({', '.join(sorted(given))}), not both"
        )
    if storage is not None and not isinstance(storage, Storage):
        raise ConfigurationError(
            f"storage must implement the storage contract, got {type(storage).__name__}; "
            "for the function style pass query_client=... and save_token=... by keyword"
        )
    function_style = storage is None
    if storage is None:
        missing = [name for name in ("query_client", "save_token") if name not in given]
        if missing:
            raise ConfigurationError(
                "the server needs storage=... or the callables query_client=... and "
                f"save_token=... (missing: {', '.join(missing)})"
            )
        storage = CallableStorage(**given)  # type: ignore[arg-type]
    if config is None:
        config = ServerConfig.from_mapping(settings)
        if function_style and GRANT_TYPES_SETTING not in settings:
            config = _honourable_config(storage, config)
    return Engine(storage, config, clock=clock)


def _honourable_config(storage: Storage, config: ServerConfig) -> ServerConfig:
    kept: list[str] = []
    for grant in config.grant_types:
        missing = REQUIRED_CAPABILITIES.get(grant, frozenset()) - storage.capabilities
        if missing:
            logger.warning(
                "grant type %s left out: the storage callables do not provide %s "
                "(set %s to choose grants explicitly)",
                grant, ", ".join(sorted(c.name for c in missing)), GRANT_TYPES_SETTING,
            )
        else:
            kept.append(grant)
    logger.info("grant types enabled for the storage callables: %s", ", ".join(kept) or "none")
    return dataclasses.replace(config, grant_types=tuple(kept))


def engine_request(
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes = b"",
    *,
    form: Iterable[tuple[str, str]] | None = None,
) -> OAuth2Request:
    """The engine's request from the parts every framework exposes."""
    uri = f"{path}?{query}" if query else path
    return OAuth2Request(method, uri, headers, body, form=form)


def asgi_target(scope: Mapping[str, Any]) -> tuple[str, str]:
    """Path and query of an ASGI request, straight from its scope.

    Starlette's ``request.url`` would build and re-split a whole URL (host header included)
    per request for these two fields. The path is escaped as Starlette's ``URL`` escapes it;
    a query that is not UTF-8 reaches the engine with replacement characters, and fails its
    validation, instead of raising.
    """
    path: str = scope["path"]
    if "?" in path or "#" in path or "\\" in path:
        path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query: bytes = scope.get("query_string", b"")
    return path, query.decode("utf-8", "replace")


def validate_bearer(
    engine: Engine, request: OAuth2Request, scope: str | None
) -> Token | OAuth2Response:
    """The token record, or the RFC 6750 error response to send instead."""
    try:
        return engine.validate_bearer_token(request, scope)
    except OAuth2Error as error:
        return engine.create_error_response(request, error)
