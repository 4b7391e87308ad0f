"""``client_credentials`` (RFC 6749 section 4.4): confidential clients only, no refresh token."""

from __future__ import annotations

from datetime import datetime

from oauth2_core._context import EngineContext
from oauth2_core.errors import UnauthorizedClientError
from oauth2_core.grants._issue import issue, token_response
from oauth2_core.models import Client
from oauth2_core.requests import Params
from oauth2_core.responses import OAuth2Response
from oauth2_core.scopes import resolve_scope
from oauth2_core.tokens import new_grant_id

__all__ = ["handle"]

GRANT_TYPE = "client_credentials"


def handle(ctx: EngineContext, client: Client, form: Params, now: datetime) -> OAuth2Response:
    if client.is_public:
        raise UnauthorizedClientError("client_credentials requires a confidential client")
    scope = resolve_scope(form.get("scope"), client, ctx.config)
    # RFC 6749 section 4.4.3: a refresh token SHOULD NOT be included.
    issued = issue(
        ctx, client, GRANT_TYPE, scope=scope, user_id=None, grant_id=new_grant_id(),
        now=now, refresh=False,
    )
    ctx.save_new_grant_token(issued.record, now=now)
    return token_response(issued.access_token, issued.lifetime, scope, None)
