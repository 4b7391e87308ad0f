"""Building the records checks store: real random values, digests computed by the engine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from oauth2_core.models import AuthorizationCode, Client, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

__all__ = [
    "AWKWARD_SCOPE",
    "IssuedCode",
    "IssuedToken",
    "make_client",
    "make_code",
    "make_token",
    "successor",
    "without_consumption",
]

#: A scope string with the shapes stores tend to mangle (case, punctuation, URL-ish scopes).
AWKWARD_SCOPE = "openid Profile email:read https://api.example.com/v1.write x_y"


@dataclass(frozen=True)
class IssuedCode:
    value: str
    record: AuthorizationCode


@dataclass(frozen=True)
class IssuedToken:
    access: str
    refresh: str | None
    record: Token

    @property
    def access_hash(self) -> str:
        return self.record.access_token_hash

    @property
    def refresh_hash(self) -> str:
        assert self.record.refresh_token_hash is not None
        return self.record.refresh_token_hash


def make_client(client_id: str | None = None, **overrides: Any) -> Client:
    values: dict[str, Any] = {
        "client_id": client_id or "client-" + generate_token(6),
        "client_secret_hash": "sha256$" + "ab" * 32,
        "redirect_uris": ("https://app.example.com/cb", "http://127.0.0.1/cb"),
        "grant_types": ("authorization_code", "refresh_token"),
        "response_types": ("code",),
        "scope": AWKWARD_SCOPE,
        "token_endpoint_auth_method": "client_secret_basic",
        "client_name": "Conformance Client \u00e9",
    }
    values.update(overrides)
    return Client(**values)


def make_code(
    now: datetime,
    *,
    client_id: str = "client-a",
    grant_id: str | None = None,
    lifetime: timedelta = timedelta(seconds=60),
    **overrides: Any,
) -> IssuedCode:
    value = generate_token()
    values: dict[str, Any] = {
        "code_hash": hash_code(client_id, value),
        "client_id": client_id,
        "user_id": "user-1",
        "redirect_uri": "https://app.example.com/cb",
        "scope": AWKWARD_SCOPE,
        "grant_id": grant_id or new_grant_id(),
        "issued_at": now,
        "expires_at": now + lifetime,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    values.update(overrides)
    return IssuedCode(value, AuthorizationCode(**values))


def make_token(
    now: datetime,
    *,
    client_id: str = "client-a",
    grant_id: str | None = None,
    refresh: bool = True,
    access_lifetime: timedelta = timedelta(hours=1),
    refresh_lifetime: timedelta = timedelta(days=14),
    **overrides: Any,
) -> IssuedToken:
    access = generate_token()
    refresh_value = generate_token() if refresh else None
    values: dict[str, Any] = {
        "access_token_hash": hash_token(access),
        "client_id": client_id,
        "scope": AWKWARD_SCOPE,
        "grant_id": grant_id or new_grant_id(),
        "grant_type": "authorization_code",
        "issued_at": now,
        "access_expires_at": now + access_lifetime,
        "user_id": "user-1",
        "refresh_token_hash": hash_token(refresh_value) if refresh_value else None,
        "refresh_expires_at": now + refresh_lifetime if refresh_value else None,
    }
    values.update(overrides)
    return IssuedToken(access, refresh_value, Token(**values))


def successor(old: IssuedToken, now: datetime, **overrides: Any) -> IssuedToken:
    """The token a refresh of ``old`` would mint: same grant, client, user and scope."""
    fresh = make_token(
        now,
        client_id=old.record.client_id,
        grant_id=old.record.grant_id,
        scope=old.record.scope,
        user_id=old.record.user_id,
        grant_type="refresh_token",
        **overrides,
    )
    return fresh


def without_consumption(code: AuthorizationCode) -> AuthorizationCode:
    return replace(code, consumed_at=None)
