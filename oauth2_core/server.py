"""``AuthorizationServer``: the engine's public face (the seed API's verbs).

The server wires storage, configuration and clock into an ``EngineContext`` once, checks the
storage's declared capabilities against the enabled grants, and hands each request to its
endpoint module (``oauth2_core.endpoints``) and grant module (``oauth2_core.grants``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oauth2_core._context import EngineContext, new_grant_saver
from oauth2_core._render import render_error
from oauth2_core.clock import Clock, SystemClock
from oauth2_core.config import KNOWN_GRANT_TYPES, ServerConfig
from oauth2_core.endpoints import authorization, bearer, introspection, metadata, revocation
from oauth2_core.endpoints.authorization import AuthorizationGrant
from oauth2_core.endpoints.token import GrantHandler, create_token_response
from oauth2_core.errors import ConfigurationError, OAuth2Error
from oauth2_core.grants import authorization_code, client_credentials, password, refresh_token
from oauth2_core.models import Token
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.storage.protocols import Capability, Storage

__all__ = ["REQUIRED_CAPABILITIES", "AuthorizationGrant", "AuthorizationServer"]

# What each grant needs the store to guarantee (ARCHITECTURE.md section 3).
REQUIRED_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "authorization_code": frozenset(
        {
            Capability.ATOMIC_CODE_CONSUME,
            Capability.CODE_REUSE_DETECTION,
            Capability.REVOCATION_CASCADE,
        }
    ),
    "refresh_token": frozenset(
        {Capability.ATOMIC_REFRESH_ROTATION, Capability.REVOCATION_CASCADE}
    ),
    "client_credentials": frozenset(),
    "password": frozenset(),
    "implicit": frozenset(),
}

_TOKEN_GRANTS: dict[str, GrantHandler] = {
    "authorization_code": authorization_code.handle,
    "client_credentials": client_credentials.handle,
    "refresh_token": refresh_token.handle,
    "password": password.handle,
}


def _check_capabilities(storage: Storage, config: ServerConfig) -> None:
    declared = frozenset(getattr(storage, "capabilities", frozenset()))
    problems = []
    for grant in config.grant_types:
        missing = REQUIRED_CAPABILITIES[grant] - declared
        if missing:
            names = ", ".join(sorted(capability.name for capability in missing))
            problems.append(f"{grant} needs {names}")
    if problems:
        raise ConfigurationError(
            f"{type(storage).__name__} cannot honour this configuration: "
            + "; ".join(problems)
            + " (disable those grants or use a backend that declares the capabilities)"
        )
    if "password" in config.grant_types and not callable(config.authenticate_user):
        raise ConfigurationError("the password grant needs ServerConfig.authenticate_user")


class AuthorizationServer:
    def __init__(
        self,
        storage: Storage,
        config: ServerConfig | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        """Check ``storage.capabilities`` against the enabled grants; ConfigurationError
        naming the missing capabilities when the backend cannot honour them."""
        config = config or ServerConfig()
        _check_capabilities(storage, config)
        grants = config.grant_types
        self._ctx = EngineContext(
            storage=storage,
            config=config,
            clock=clock or SystemClock(),
            issuer=config.issuer,
            issue_refresh_tokens=(
                "refresh_token" in grants and config.refresh_token_generator is not False
            ),
            access_lifetimes={
                grant: (seconds, timedelta(seconds=seconds))
                for grant in KNOWN_GRANT_TYPES
                for seconds in [config.access_token_lifetime(grant)]
            },
            refresh_lifetime=timedelta(seconds=config.refresh_token_lifetime),
            code_lifetime=timedelta(seconds=config.authorization_code_lifetime),
            save_new_grant_token=new_grant_saver(storage),
        )
        self._grants = {g: _TOKEN_GRANTS[g] for g in grants if g in _TOKEN_GRANTS}
        self._metadata = metadata.build_metadata(config)

    # Read-only: every endpoint works from the context built above.
    @property
    def storage(self) -> Storage:
        return self._ctx.storage

    @property
    def config(self) -> ServerConfig:
        return self._ctx.config

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    # -- authorization endpoint (RFC 6749 section 4.1.1) ---------------------------------
    def validate_consent_request(
        self, request: OAuth2Request, end_user: Any = None
    ) -> AuthorizationGrant:
        """Validate an authorization request; raise ``OAuth2Error`` when invalid.

        The raised error has ``redirect_uri`` set only when client and redirect URI were
        validated; pass it to ``create_error_response`` to get the page or the redirect.
        A storage outage raises ``TemporarilyUnavailableError`` rendered as a 503 page.
        """
        return authorization.validate_consent_request(self._ctx, request, end_user)

    get_consent_grant = validate_consent_request

    def create_authorization_response(
        self, request: OAuth2Request, grant_user: Any
    ) -> OAuth2Response:
        """Re-validate the request; ``grant_user`` None denies (``access_denied``).

        A user is any object with ``get_user_id()`` or a plain string id. Answers a 302
        redirect (303 after a POST) with ``code``, ``state`` and ``iss`` (RFC 9207), or an
        error page/redirect.
        """
        return authorization.create_authorization_response(self._ctx, request, grant_user)

    # -- token endpoint (RFC 6749 section 3.2) -------------------------------------------
    def create_token_response(self, request: OAuth2Request) -> OAuth2Response:
        return create_token_response(self._ctx, self._grants, request)

    # -- RFC 7009 / RFC 7662 / RFC 8414 ----------------------------------------------------
    def create_revocation_response(self, request: OAuth2Request) -> OAuth2Response:
        return revocation.create_revocation_response(self._ctx, request)

    def create_introspection_response(self, request: OAuth2Request) -> OAuth2Response:
        return introspection.create_introspection_response(self._ctx, request)

    def metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def create_metadata_response(self) -> OAuth2Response:
        return OAuth2Response.json_body(200, self._metadata, no_store=False)

    # -- resource servers (RFC 6750) -----------------------------------------------------
    def validate_bearer_token(self, request: OAuth2Request, scope: str | None = None) -> Token:
        """Return the active token record or raise a ``BearerTokenError``
        (``TemporarilyUnavailableError`` when the store is down)."""
        return bearer.validate_bearer_token(self._ctx, request, scope)

    # -- errors ----------------------------------------------------------------------------
    def create_error_response(
        self, request: OAuth2Request | None, error: OAuth2Error
    ) -> OAuth2Response:
        """Render any ``OAuth2Error`` the public methods raised: redirect, JSON, page or
        RFC 6750 challenge, with ``error_uri`` and translated description as configured."""
        return render_error(error, self._ctx.config, request)
