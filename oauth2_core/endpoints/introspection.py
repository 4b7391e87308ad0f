"""Token introspection (RFC 7662).

The caller authenticates as a confidential client. It sees its own tokens, or any token when
``client.can_introspect``; everything else (unknown, expired, revoked, rotated, another
client's) is exactly ``{"active": false}`` (section 2.2), so the endpoint is no oracle.
"""

from __future__ import annotations

from typing import Any

from oauth2_core._context import EngineContext
from oauth2_core._render import render_error
from oauth2_core.client_auth import authenticate_client
from oauth2_core.endpoints.revocation import find_token
from oauth2_core.endpoints.token import outage_response, read_form
from oauth2_core.errors import InvalidClientError, InvalidRequestError, OAuth2Error, StorageError
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.tokens import hash_token

__all__ = ["create_introspection_response"]

_INACTIVE = {"active": False}


def create_introspection_response(ctx: EngineContext, request: OAuth2Request) -> OAuth2Response:
    try:
        form = read_form(request, "introspection")
        client = authenticate_client(request, form, ctx.storage)
        if client.is_public:
            raise InvalidClientError("introspection requires an authenticated client")
        token = form.get("token")
        if token is None:
            raise InvalidRequestError("token is required")
        now = ctx.clock.now()
        record, is_refresh = find_token(ctx, hash_token(token), form.get("token_type_hint"), now)
    except OAuth2Error as exc:
        return render_error(exc, ctx.config, request)
    except StorageError:
        return outage_response(ctx, request)

    if record is None or (record.client_id != client.client_id and not client.can_introspect):
        return OAuth2Response.json_body(200, _INACTIVE)
    if is_refresh:
        if not record.is_refresh_active(now) or record.refresh_expires_at is None:
            return OAuth2Response.json_body(200, _INACTIVE)
        expires_at, token_type = record.refresh_expires_at, "refresh_token"
    else:
        if not record.is_access_active(now):
            return OAuth2Response.json_body(200, _INACTIVE)
        expires_at, token_type = record.access_expires_at, record.token_type
    body: dict[str, Any] = {
        "active": True,
        "client_id": record.client_id,
        "scope": record.scope,
        "exp": int(expires_at.timestamp()),
        "iat": int(record.issued_at.timestamp()),
        "token_type": token_type,
        "iss": ctx.issuer,
    }
    if record.user_id is not None:
        body["sub"] = record.user_id
    return OAuth2Response.json_body(200, body)
