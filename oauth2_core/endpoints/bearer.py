"""Bearer token validation for resource servers (RFC 6750).

Only the ``Authorization`` header is read (section 2.1; the scheme is case-insensitive);
query-string tokens are ignored (RFC 9700 section 2.5 forbids them) and so are form-body
tokens. One ``query_token`` round trip per request.
"""

from __future__ import annotations

from oauth2_core._context import EngineContext
from oauth2_core.errors import (
    InsufficientScopeError,
    InvalidTokenError,
    MissingTokenError,
    StorageError,
    TemporarilyUnavailableError,
)
from oauth2_core.models import Token
from oauth2_core.requests import OAuth2Request
from oauth2_core.scopes import has_scopes
from oauth2_core.tokens import hash_token

__all__ = ["validate_bearer_token"]

_MAX_TOKEN = 4096
_INVALID = "the access token is invalid, expired or revoked"


def _bearer_value(request: OAuth2Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise MissingTokenError()
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingTokenError()  # another scheme: no bearer credentials at all
    value = value.strip()
    # b64token (RFC 6750 section 2.1): one token, no spaces or commas (repeated headers).
    if not value or len(value) > _MAX_TOKEN or " " in value or "," in value:
        raise InvalidTokenError("malformed bearer token")
    return value


def validate_bearer_token(
    ctx: EngineContext, request: OAuth2Request, scope: str | None = None
) -> Token:
    value = _bearer_value(request)
    now = ctx.clock.now()
    try:
        record = ctx.storage.query_token(hash_token(value), now=now)
    except StorageError as exc:
        raise TemporarilyUnavailableError("the token store is unavailable") from exc
    # Re-checked here too: a store whose read missed expiry or retirement must not let a
    # dead token through (SECURITY.md: expiry is checked at read time everywhere).
    if record is None or not record.is_access_active(now):
        raise InvalidTokenError(_INVALID)
    if scope and not has_scopes(record.scope, scope):
        raise InsufficientScopeError("the access token lacks the required scope", scope=scope)
    return record
