"""Minting tokens: values from the configured generators, digests into a ``Token`` record."""

from __future__ import annotations

from datetime import datetime
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any

from oauth2_core._context import EngineContext
from oauth2_core.models import Client, Token
from oauth2_core.responses import NO_STORE_HEADERS, OAuth2Response
from oauth2_core.tokens import generate_token, hash_token

__all__ = ["Issued", "issue", "token_response"]


class Issued:
    """A freshly minted record plus the bearer values to hand out once."""

    __slots__ = ("access_token", "lifetime", "record", "refresh_token")

    def __init__(
        self, record: Token, access_token: str, refresh_token: str | None, lifetime: int
    ) -> None:
        self.record = record
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.lifetime = lifetime


def _generate(generator: Any, client: Client, grant_type: str, user_id: Any, scope: str) -> str:
    if generator is None or generator is True:
        return generate_token()
    value = generator(client, grant_type, user_id, scope)
    if not isinstance(value, str) or not value:
        raise TypeError("a token generator must return a non-empty str")
    return value


def issue(
    ctx: EngineContext,
    client: Client,
    grant_type: str,
    *,
    scope: str,
    user_id: str | None,
    grant_id: str,
    now: datetime,
    refresh: bool,
    not_after: datetime | None = None,
) -> Issued:
    """Build (not save) a record. ``not_after`` caps both expiries (grace-window retries)."""
    config = ctx.config
    lifetime, span = ctx.access_lifetimes[grant_type]
    access_expires = now + span
    if not_after is not None and access_expires > not_after:
        access_expires = not_after
        lifetime = max(0, int((not_after - now).total_seconds()))
    access_token = _generate(config.access_token_generator, client, grant_type, user_id, scope)

    refresh_token: str | None = None
    refresh_hash = refresh_expires = None
    if refresh and ctx.issue_refresh_tokens and "refresh_token" in client.grant_types:
        refresh_token = _generate(
            config.refresh_token_generator, client, grant_type, user_id, scope
        )
        refresh_hash = hash_token(refresh_token)
        refresh_expires = now + ctx.refresh_lifetime
        if not_after is not None and refresh_expires > not_after:
            refresh_expires = not_after

    record = Token(
        access_token_hash=hash_token(access_token),
        client_id=client.client_id,
        scope=scope,
        grant_id=grant_id,
        grant_type=grant_type,
        issued_at=now,
        access_expires_at=access_expires,
        user_id=user_id,
        refresh_token_hash=refresh_hash,
        refresh_expires_at=refresh_expires,
    )
    return Issued(record, access_token, refresh_token, lifetime)


_TOKEN_HEADERS = (("Content-Type", "application/json"), *NO_STORE_HEADERS)


def token_response(
    access_token: str, lifetime: int, scope: str, refresh_token: str | None
) -> OAuth2Response:
    """RFC 6749 section 5.1, with ``Cache-Control: no-store`` and ``Pragma: no-cache``.

    Written directly (strings escaped by the json module's encoder) because it is the body
    of every successful token request.
    """
    parts = [
        '{"access_token":', _json_string(access_token),
        ',"token_type":"Bearer","expires_in":', str(int(lifetime)),
    ]
    if refresh_token is not None:
        parts += [',"refresh_token":', _json_string(refresh_token)]
    if scope:
        parts += [',"scope":', _json_string(scope)]
    parts.append("}")
    return OAuth2Response(200, _TOKEN_HEADERS, "".join(parts).encode("ascii"))
