"""The token endpoint (RFC 6749 section 3.2): POST, form-encoded, client authenticated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from oauth2_core._context import EngineContext
from oauth2_core._render import render_error
from oauth2_core.client_auth import authenticate_client
from oauth2_core.errors import (
    InvalidRequestError,
    MethodNotAllowedError,
    OAuth2Error,
    StorageError,
    TemporarilyUnavailableError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from oauth2_core.models import Client
from oauth2_core.requests import OAuth2Request, Params
from oauth2_core.responses import OAuth2Response

__all__ = ["GrantHandler", "create_token_response", "outage_response", "read_form"]

GrantHandler = Callable[[EngineContext, Client, Params, datetime], OAuth2Response]
OUTAGE = "the authorization server is temporarily unavailable; try again later"


def read_form(request: OAuth2Request, endpoint: str) -> Params:
    """The form body of a POST (RFC 6749 section 3.2, RFC 7009 2.1, RFC 7662 2.1)."""
    if request.method != "POST":
        raise MethodNotAllowedError(f"the {endpoint} endpoint accepts POST only")
    if not request.is_form:
        raise InvalidRequestError("the body must be application/x-www-form-urlencoded")
    return request.form


def outage_response(ctx: EngineContext, request: OAuth2Request) -> OAuth2Response:
    """503 ``temporarily_unavailable`` with Retry-After: never invalid_grant for an outage,
    since clients discard refresh tokens on invalid_grant."""
    return render_error(TemporarilyUnavailableError(OUTAGE), ctx.config, request)


def create_token_response(
    ctx: EngineContext, grants: Mapping[str, GrantHandler], request: OAuth2Request
) -> OAuth2Response:
    try:
        form = read_form(request, "token")
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise InvalidRequestError("grant_type is required")
        handler = grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError("this server does not support that grant_type")
        client = authenticate_client(request, form, ctx.storage)
        if grant_type not in client.grant_types:
            raise UnauthorizedClientError("the client may not use this grant_type")
        return handler(ctx, client, form, ctx.clock.now())
    except OAuth2Error as exc:
        return render_error(exc, ctx.config, request)
    except StorageError:
        return outage_response(ctx, request)
