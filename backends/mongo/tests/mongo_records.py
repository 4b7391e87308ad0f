"""Builders of codes and tokens for the tests (digests from the engine's own helpers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from oauth2_core.models import AuthorizationCode, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id


def make_code(
    now: datetime, *, grant_id: str | None = None, lifetime: float = 60, client_id: str = "app"
) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=hash_code(client_id, generate_token()),
        client_id=client_id,
        user_id="alice",
        redirect_uri="https://app.example/cb",
        scope="read write",
        grant_id=grant_id or new_grant_id(),
        issued_at=now,
        expires_at=now + timedelta(seconds=lifetime),
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )


def make_token(
    now: datetime,
    *,
    grant_id: str | None = None,
    access_lifetime: float = 3600,
    refresh_lifetime: float | None = 86400,
) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="app",
        scope="read",
        grant_id=grant_id or new_grant_id(),
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + timedelta(seconds=access_lifetime),
        user_id="alice",
        refresh_token_hash=None if refresh_lifetime is None else hash_token(generate_token()),
        refresh_expires_at=None
        if refresh_lifetime is None
        else now + timedelta(seconds=refresh_lifetime),
    )


def successor(old: Token, now: datetime) -> Token:
    """The record a refresh grant would mint from ``old``."""
    return make_token(now, grant_id=old.grant_id)
