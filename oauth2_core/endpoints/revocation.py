"""Token revocation (RFC 7009).

Unknown, expired or already revoked tokens answer 200 (section 2.2); another client's token
is left alone with the same 200, so the endpoint is no oracle. ``token_type_hint`` only
orders the lookups. Revoking a refresh token revokes its whole grant (section 2.1: the
access tokens of the same authorization). A storage error answers 503, never 200.
"""

from __future__ import annotations

from datetime import datetime

from oauth2_core._context import EngineContext
from oauth2_core._render import render_error
from oauth2_core.client_auth import authenticate_client
from oauth2_core.endpoints.token import outage_response, read_form
from oauth2_core.errors import InvalidRequestError, OAuth2Error, StorageError
from oauth2_core.models import Token
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import NO_STORE_HEADERS, OAuth2Response
from oauth2_core.tokens import hash_token

__all__ = ["create_revocation_response", "find_token"]


def find_token(
    ctx: EngineContext, digest: str, hint: str | None, now: datetime
) -> tuple[Token | None, bool]:
    """The record behind a presented token, and whether it was found as a refresh token."""
    storage = ctx.storage
    if hint == "refresh_token":
        record = storage.query_refresh_token(digest, now=now)
        if record is not None:
            return record, True
        return storage.query_token(digest, now=now), False
    record = storage.query_token(digest, now=now)
    if record is not None:
        return record, False
    record = storage.query_refresh_token(digest, now=now)
    return record, record is not None


def create_revocation_response(ctx: EngineContext, request: OAuth2Request) -> OAuth2Response:
    try:
        form = read_form(request, "revocation")
        client = authenticate_client(request, form, ctx.storage)
        token = form.get("token")
        if token is None:
            raise InvalidRequestError("token is required")
        digest = hash_token(token)
        now = ctx.clock.now()
        record, is_refresh = find_token(ctx, digest, form.get("token_type_hint"), now)
        if record is not None and record.client_id == client.client_id:
            if is_refresh:
                ctx.storage.revoke_grant(record.grant_id, now=now)
            else:
                ctx.storage.revoke_token(digest, now=now)
    except OAuth2Error as exc:
        return render_error(exc, ctx.config, request)
    except StorageError:
        return outage_response(ctx, request)
    return OAuth2Response(200, NO_STORE_HEADERS)
