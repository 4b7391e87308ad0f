"""Legacy ``password`` grant (RFC 6749 section 4.3): opt-in only, off by default.

RFC 9700 section 2.4 says it MUST NOT be used; it exists for migrations from servers that
offered it. ``ServerConfig.authenticate_user(username, password)`` returns the user or None.
The password is never stored or logged.
"""

from __future__ import annotations

from datetime import datetime

from oauth2_core._context import EngineContext, user_id_of
from oauth2_core.errors import (
    ConfigurationError,
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from oauth2_core.grants._issue import issue, token_response
from oauth2_core.models import Client
from oauth2_core.requests import Params
from oauth2_core.responses import OAuth2Response
from oauth2_core.scopes import resolve_scope
from oauth2_core.tokens import new_grant_id

__all__ = ["handle"]

GRANT_TYPE = "password"


def handle(ctx: EngineContext, client: Client, form: Params, now: datetime) -> OAuth2Response:
    if client.is_public:
        raise UnauthorizedClientError("the password grant requires a confidential client")
    username = form.get("username")
    password = form.get("password")
    if username is None or password is None:
        raise InvalidRequestError("username and password are required")
    scope = resolve_scope(form.get("scope"), client, ctx.config)
    authenticate = ctx.config.authenticate_user
    if not callable(authenticate):
        raise ConfigurationError("the password grant needs ServerConfig.authenticate_user")
    user = authenticate(username, password)
    if user is None:
        raise InvalidGrantError("invalid resource owner credentials")
    issued = issue(
        ctx, client, GRANT_TYPE, scope=scope, user_id=user_id_of(user),
        grant_id=new_grant_id(), now=now, refresh=True,
    )
    ctx.save_new_grant_token(issued.record, now=now)
    return token_response(issued.access_token, issued.lifetime, scope, issued.refresh_token)
