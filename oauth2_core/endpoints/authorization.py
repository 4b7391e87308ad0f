"""The authorization endpoint (RFC 6749 sections 3.1 and 4.1.1-4.1.2, RFC 9207, RFC 7636).

Validation order (RFC 9700 section 4.1, SECURITY.md): client, then redirect URI. Until both
are known good, every error is an error page (``as_page``), never a redirect, so the endpoint
cannot be turned into an open redirector. After that, errors redirect with ``error``, the
exact ``state`` and ``iss``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from oauth2_core._context import EngineContext, user_id_of
from oauth2_core._render import add_to_uri, redirect_status, render_error
from oauth2_core.client_auth import is_valid_client_id
from oauth2_core.errors import (
    AccessDeniedError,
    InvalidRequestError,
    MethodNotAllowedError,
    OAuth2Error,
    StorageError,
    TemporarilyUnavailableError,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from oauth2_core.grants._issue import issue
from oauth2_core.models import AuthorizationCode, Client
from oauth2_core.pkce import is_valid_challenge
from oauth2_core.redirect_uris import match_redirect_uri
from oauth2_core.requests import OAuth2Request, Params
from oauth2_core.responses import NO_STORE_HEADERS, OAuth2Response
from oauth2_core.scopes import resolve_scope
from oauth2_core.tokens import generate_token, hash_code, new_grant_id

__all__ = ["AuthorizationGrant", "create_authorization_response", "validate_consent_request"]

_OUTAGE = "the authorization server is temporarily unavailable; try again later"


@dataclass(frozen=True)
class AuthorizationGrant:
    """A validated authorization request, ready for a consent page (the seed's "grant")."""

    client: Client
    # Where the response will go: the validated redirect_uri of the request (a loopback one
    # may differ from the registered value by its port), or the single registered URI.
    redirect_uri: str
    scope: str  # space-separated, as granted if the user approves
    state: str | None
    response_type: str
    code_challenge: str | None
    code_challenge_method: str | None
    request: OAuth2Request
    end_user: Any = None
    # Whether redirect_uri was sent explicitly (then the token request must repeat it).
    redirect_uri_sent: bool = False
    scopes: tuple[str, ...] = field(default=())


def _params(request: OAuth2Request) -> Params:
    if request.method == "GET":
        return request.query
    if request.method == "POST":
        # A consent form usually posts back to the same URL, query string included.
        return Params(request.query.pairs() + request.form.pairs())
    raise MethodNotAllowedError(
        "the authorization endpoint accepts GET and POST", allow="GET, POST"
    )


class _Query:
    """The request's parameters, indexed once (RFC 6749 3.1: no repeats; empty = absent)."""

    __slots__ = ("repeated", "values")

    def __init__(self, params: Params) -> None:
        self.values, self.repeated = params.index()

    def get(self, name: str) -> str | None:
        if name in self.repeated:
            raise InvalidRequestError(f"parameter {name!r} must not be repeated")
        return self.values.get(name)


class _Validated(NamedTuple):
    """What validation found; ``AuthorizationGrant`` is built from it only for consent pages."""

    client: Client
    target: str
    sent: bool
    state: str | None
    response_type: str
    scope: str
    challenge: str | None
    method: str | None


def _client_and_redirect(ctx: EngineContext, query: _Query) -> tuple[Client, str, bool]:
    client_id = query.get("client_id")
    if client_id is None:
        raise InvalidRequestError("client_id is required")
    client = ctx.storage.query_client(client_id) if is_valid_client_id(client_id) else None
    if client is None or client.client_id != client_id:  # exact, whatever the collation
        raise InvalidRequestError("unknown client_id")
    requested = query.get("redirect_uri")
    registered = client.redirect_uris
    if not registered:
        raise InvalidRequestError("the client has no registered redirect URI")
    if requested is None:
        if len(registered) != 1:
            raise InvalidRequestError("redirect_uri is required: the client registered several")
        return client, registered[0], False
    if not match_redirect_uri(requested, registered):
        raise InvalidRequestError("redirect_uri does not match a registered redirect URI")
    return client, requested, True


def _response_type(ctx: EngineContext, client: Client, query: _Query) -> str:
    response_type = query.get("response_type")
    if response_type is None:
        raise InvalidRequestError("response_type is required")
    grants = ctx.config.grant_types
    if response_type == "code" and "authorization_code" in grants:
        if "code" not in client.response_types or "authorization_code" not in client.grant_types:
            raise UnauthorizedClientError("the client may not use the authorization code flow")
        return response_type
    if response_type == "token" and "implicit" in grants:
        if "token" not in client.response_types or "implicit" not in client.grant_types:
            raise UnauthorizedClientError("the client may not use the implicit flow")
        return response_type
    raise UnsupportedResponseTypeError("response_type is not supported by this server")


def _pkce(ctx: EngineContext, client: Client, query: _Query) -> tuple[str | None, str | None]:
    challenge = query.get("code_challenge")
    method = query.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequestError("code_challenge_method without code_challenge")
        if ctx.config.require_pkce or client.is_public:
            raise InvalidRequestError("code_challenge is required (PKCE, RFC 7636)")
        return None, None
    method = method or "plain"  # RFC 7636 section 4.3 default
    if method != "S256" and not (method == "plain" and ctx.config.allow_plain_pkce):
        raise InvalidRequestError("code_challenge_method must be S256")
    if not is_valid_challenge(challenge, method):
        raise InvalidRequestError("malformed code_challenge")
    return challenge, method


def _outage_page() -> TemporarilyUnavailableError:
    """On this endpoint an outage is a 503 page: no redirect carries a half-done answer."""
    outage = TemporarilyUnavailableError(_OUTAGE)
    outage.as_page = True
    return outage


def _validate(ctx: EngineContext, request: OAuth2Request) -> _Validated:
    try:
        query = _Query(_params(request))
        client, target, sent = _client_and_redirect(ctx, query)
    except OAuth2Error as exc:
        exc.as_page = True
        raise
    except StorageError as exc:
        raise _outage_page() from exc

    values = query.values
    state = None if "state" in query.repeated else values.get("state")
    fragment = (
        "response_type" not in query.repeated
        and values.get("response_type") == "token"
        and "implicit" in ctx.config.grant_types
    )
    try:
        if "state" in query.repeated:
            raise InvalidRequestError("parameter 'state' must not be repeated")
        response_type = _response_type(ctx, client, query)
        scope = resolve_scope(query.get("scope"), client, ctx.config)
        challenge, method = (None, None)
        if response_type == "code":
            challenge, method = _pkce(ctx, client, query)
    except OAuth2Error as exc:
        exc.redirect_uri, exc.state, exc.in_fragment = target, state, fragment
        raise
    return _Validated(client, target, sent, state, response_type, scope, challenge, method)


def validate_consent_request(
    ctx: EngineContext, request: OAuth2Request, end_user: Any = None
) -> AuthorizationGrant:
    found = _validate(ctx, request)
    return AuthorizationGrant(
        client=found.client,
        redirect_uri=found.target,
        scope=found.scope,
        state=found.state,
        response_type=found.response_type,
        code_challenge=found.challenge,
        code_challenge_method=found.method,
        request=request,
        end_user=end_user,
        redirect_uri_sent=found.sent,
        scopes=tuple(found.scope.split()),
    )


def _issue_code(ctx: EngineContext, grant: _Validated, user_id: str) -> dict[str, str]:
    now = ctx.clock.now()
    code = generate_token()  # 256 bits (SECURITY.md asks for at least 128)
    client_id = grant.client.client_id
    ctx.storage.save_authorization_code(
        AuthorizationCode(
            code_hash=hash_code(client_id, code),
            client_id=client_id,
            user_id=user_id,
            redirect_uri=grant.target if grant.sent else None,
            scope=grant.scope,
            grant_id=new_grant_id(),
            issued_at=now,
            expires_at=now + ctx.code_lifetime,
            code_challenge=grant.challenge,
            code_challenge_method=grant.method,
        ),
        now=now,
    )
    return {"code": code}


def _issue_implicit(ctx: EngineContext, grant: _Validated, user_id: str) -> dict[str, str]:
    now = ctx.clock.now()
    issued = issue(
        ctx, grant.client, "implicit", scope=grant.scope, user_id=user_id,
        grant_id=new_grant_id(), now=now, refresh=False,
    )
    ctx.storage.save_token(issued.record, now=now)
    fields = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": str(issued.lifetime),
    }
    if grant.scope:
        fields["scope"] = grant.scope
    return fields


def create_authorization_response(
    ctx: EngineContext, request: OAuth2Request, grant_user: Any
) -> OAuth2Response:
    try:
        grant = _validate(ctx, request)
        fragment = grant.response_type == "token"
        if grant_user is None:
            denied = AccessDeniedError("the resource owner denied the request")
            denied.redirect_uri, denied.state = grant.target, grant.state
            denied.in_fragment = fragment
            raise denied
        user_id = user_id_of(grant_user)
        try:
            if fragment:
                fields = _issue_implicit(ctx, grant, user_id)
            else:
                fields = _issue_code(ctx, grant, user_id)
        except StorageError as exc:
            raise _outage_page() from exc
    except OAuth2Error as exc:
        return render_error(exc, ctx.config, request)
    if grant.state is not None:
        fields["state"] = grant.state
    fields["iss"] = ctx.issuer  # RFC 9207
    location = add_to_uri(grant.target, fields, fragment=fragment)
    return OAuth2Response(redirect_status(request), (("Location", location), *NO_STORE_HEADERS))
