"""``authorization_code`` at the token endpoint (RFC 6749 section 4.1.3, RFC 7636 4.5-4.6).

The code is consumed by one atomic storage call BEFORE any check that could still fail
(redirect_uri, PKCE) and before any token is minted, so a failed attempt burns the code and a
replay of a consumed code revokes the whole grant (RFC 6749 section 4.1.2, RFC 9700 4.2.4).
The code's digest covers the client id: another client's attempt finds nothing, consumes
nothing and revokes nothing.
"""

from __future__ import annotations

from datetime import datetime

from oauth2_core._context import EngineContext
from oauth2_core.errors import InvalidGrantError, InvalidRequestError
from oauth2_core.grants._issue import issue, token_response
from oauth2_core.models import AlreadyConsumed, AuthorizationCode, Client, Consumed
from oauth2_core.pkce import verify_code_verifier
from oauth2_core.requests import Params
from oauth2_core.responses import OAuth2Response
from oauth2_core.tokens import hash_code

__all__ = ["handle"]

GRANT_TYPE = "authorization_code"
_INVALID_CODE = "the authorization code is invalid, expired or already used"


def _check_redirect_uri(code: AuthorizationCode, client: Client, sent: str | None) -> None:
    if code.redirect_uri is not None:
        if sent != code.redirect_uri:
            raise InvalidGrantError("redirect_uri does not match the authorization request")
    elif sent is not None and sent not in client.redirect_uris:
        raise InvalidGrantError("redirect_uri does not match the registered redirect URI")


def _check_pkce(code: AuthorizationCode, verifier: str | None) -> None:
    if code.code_challenge is None:
        if verifier is not None:
            # RFC 9700 section 4.8.2: a verifier for a code without a challenge is a downgrade.
            raise InvalidRequestError("code_verifier sent for a code issued without PKCE")
        return
    if verifier is None:
        raise InvalidGrantError("code_verifier is required")
    method = code.code_challenge_method or "plain"
    if not verify_code_verifier(verifier, code.code_challenge, method):
        raise InvalidGrantError("code_verifier does not match the code challenge")


def handle(ctx: EngineContext, client: Client, form: Params, now: datetime) -> OAuth2Response:
    value = form.get("code")
    if value is None:
        raise InvalidRequestError("code is required")
    redirect_uri = form.get("redirect_uri")
    verifier = form.get("code_verifier")
    storage = ctx.storage

    result = storage.consume_authorization_code(hash_code(client.client_id, value), now=now)
    if isinstance(result, AlreadyConsumed):
        # A replay: revoke every token issued from this code (RFC 6749 section 4.1.2).
        storage.revoke_grant(result.code.grant_id, now=now)
        raise InvalidGrantError(_INVALID_CODE)
    if not isinstance(result, Consumed):
        raise InvalidGrantError(_INVALID_CODE)
    code = result.code
    if code.client_id != client.client_id or code.is_expired(now):
        raise InvalidGrantError(_INVALID_CODE)
    _check_redirect_uri(code, client, redirect_uri)
    _check_pkce(code, verifier)

    issued = issue(
        ctx, client, GRANT_TYPE, scope=code.scope, user_id=code.user_id,
        grant_id=code.grant_id, now=now, refresh=True,
    )
    storage.save_token(issued.record, now=now)
    return token_response(issued.access_token, issued.lifetime, code.scope, issued.refresh_token)
