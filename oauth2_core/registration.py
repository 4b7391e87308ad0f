"""Client registration: validated client metadata in, a ``Client`` (and its secret) out.

The redirect URI rules are SECURITY.md's (see ``oauth2_core.redirect_uris``). Secrets the kit
generates carry 256 bits and are stored under a fast SHA-256 digest; a secret a human chose is
stored under PBKDF2 (``oauth2_core.tokens.hash_client_secret``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from oauth2_core.client_auth import is_valid_client_id
from oauth2_core.clock import SystemClock, to_utc_ms
from oauth2_core.config import KNOWN_GRANT_TYPES
from oauth2_core.models import Client
from oauth2_core.redirect_uris import redirect_uri_problem
from oauth2_core.scopes import is_valid_scope_token
from oauth2_core.tokens import generate_client_secret, hash_client_secret

__all__ = ["AUTH_METHODS", "InvalidClientMetadata", "new_client"]

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
_MAX_REDIRECT_URIS = 32
_MAX_TEXT = 255
_REDIRECT_GRANTS = ("authorization_code", "implicit")


class InvalidClientMetadata(ValueError):
    """Client metadata the server refuses (RFC 7591 ``invalid_client_metadata`` /
    ``invalid_redirect_uri``); the message says exactly which value and why."""

    def __init__(self, message: str, *, error: str = "invalid_client_metadata") -> None:
        super().__init__(message)
        self.error = error


def _check_client_id(client_id: str) -> None:
    if len(client_id) > _MAX_TEXT or not is_valid_client_id(client_id):
        raise InvalidClientMetadata(
            f"client_id must be 1-{_MAX_TEXT} printable ASCII characters (RFC 6749 A.1)"
        )


def _check_redirect_uris(redirect_uris: Sequence[str]) -> tuple[str, ...]:
    if isinstance(redirect_uris, str):
        raise InvalidClientMetadata("redirect_uris must be a list of strings, not one string")
    if len(redirect_uris) > _MAX_REDIRECT_URIS:
        raise InvalidClientMetadata(f"at most {_MAX_REDIRECT_URIS} redirect URIs per client")
    result: list[str] = []
    for uri in redirect_uris:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            shown = repr(uri[:80]) if isinstance(uri, str) else type(uri).__name__
            raise InvalidClientMetadata(f"{shown}: {problem}", error="invalid_redirect_uri")
        if uri not in result:
            result.append(uri)
    return tuple(result)


def _check_scope(scope: str) -> str:
    tokens = [token for token in scope.split(" ") if token]
    for token in tokens:
        if not is_valid_scope_token(token):
            raise InvalidClientMetadata("scope contains characters outside the RFC 6749 set")
    return " ".join(dict.fromkeys(tokens))


def new_client(
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    public: bool = False,
    redirect_uris: Sequence[str] = (),
    grant_types: Sequence[str] = ("authorization_code", "refresh_token"),
    scope: str = "",
    token_endpoint_auth_method: str | None = None,
    client_name: str = "",
    can_introspect: bool = False,
    now: datetime | None = None,
) -> tuple[Client, str | None]:
    """Validate and build a client. Returns ``(client, secret)``: the plain secret to show
    once (generated when not given) for confidential clients, ``None`` for public ones.
    Only the secret's digest is in the ``Client``. Raises ``InvalidClientMetadata``."""
    if client_id is None:
        client_id = secrets.token_urlsafe(18)
    _check_client_id(client_id)

    method = token_endpoint_auth_method or ("none" if public else "client_secret_basic")
    if method not in AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}"
        )
    if public and method != "none":
        raise InvalidClientMetadata("a public client uses token_endpoint_auth_method 'none'")
    is_public = method == "none"

    grants = tuple(dict.fromkeys(grant_types))
    unknown = [grant for grant in grants if grant not in KNOWN_GRANT_TYPES]
    if unknown:
        raise InvalidClientMetadata(f"unknown grant types: {', '.join(map(repr, unknown))}")
    if is_public and ("client_credentials" in grants or "password" in grants):
        raise InvalidClientMetadata(
            "a public client cannot use client_credentials or password: it cannot authenticate"
        )

    uris = _check_redirect_uris(redirect_uris)
    if any(grant in grants for grant in _REDIRECT_GRANTS) and not uris:
        raise InvalidClientMetadata(
            "redirect_uris are required for the authorization_code and implicit grants",
            error="invalid_redirect_uri",
        )

    if len(client_name) > _MAX_TEXT:
        raise InvalidClientMetadata(f"client_name must be at most {_MAX_TEXT} characters")

    plain_secret: str | None
    if is_public:
        if client_secret is not None:
            raise InvalidClientMetadata("a public client has no client_secret")
        plain_secret, secret_hash = None, None
    elif client_secret is None:
        plain_secret, secret_hash = generate_client_secret()
    else:
        if not client_secret:
            raise InvalidClientMetadata("client_secret must not be empty")
        plain_secret, secret_hash = client_secret, hash_client_secret(client_secret)

    response_types = tuple(
        kind
        for grant, kind in (("authorization_code", "code"), ("implicit", "token"))
        if grant in grants
    )
    client = Client(
        client_id=client_id,
        client_secret_hash=secret_hash,
        redirect_uris=uris,
        grant_types=grants,
        response_types=response_types,
        scope=_check_scope(scope),
        token_endpoint_auth_method=method,
        client_name=client_name,
        can_introspect=can_introspect,
        created_at=to_utc_ms(now) if now is not None else SystemClock().now(),
    )
    return client, plain_secret
