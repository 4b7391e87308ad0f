"""Starlette / FastAPI adapter (extra ``oauth2-core[starlette]`` or ``[fastapi]``)::

    server = AuthorizationServer(storage=open_storage(url), settings={"OAUTH2_...": ...})
    app = FastAPI()
    app.router.routes.extend(server.routes())  # token, revoke, introspect, metadata

    @app.get("/api/me")
    async def me(token: Token = Depends(server.require_oauth("profile"))):
        return {"user": token.user_id}

The engine is synchronous (storage drivers are), so every call into it runs in Starlette's
thread pool and the event loop never blocks. ``to_oauth2_request``/``to_starlette_response``
are also what the kit's own HTTP app uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.errors import OAuth2Error
from oauth2_core.integrations._common import asgi_target, build_engine, engine_request
from oauth2_core.models import Token
from oauth2_core.requests import MAX_BODY_BYTES, OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import AuthorizationGrant
from oauth2_core.storage.protocols import Storage

__all__ = [
    "METADATA_PATH",
    "AuthorizationServer",
    "to_oauth2_request",
    "to_starlette_response",
]

METADATA_PATH = "/.well-known/oauth-authorization-server"  # RFC 8414 section 3
# Every method reaches the engine, which answers 405 with ``Allow: POST`` itself.
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def to_oauth2_request(request: Request) -> OAuth2Request:
    """Read the body (bounded) and build the engine's request."""
    path, query = asgi_target(request.scope)
    headers = request.headers.items()
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                break  # the engine answers invalid_request for an oversized body
    except RuntimeError:
        # The view already parsed the form (``await request.form()``), spending the stream.
        form = await request.form()
        pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
        return engine_request(request.method, path, query, headers, form=pairs)
    return engine_request(request.method, path, query, headers, body)


def _bearer_request(request: Request) -> OAuth2Request:
    return engine_request(request.method, *asgi_target(request.scope), request.headers.items())


def to_starlette_response(response: OAuth2Response) -> Response:
    result = Response(content=response.body, status_code=response.status)
    for name, value in response.headers:
        result.headers.append(name, value)
    return result


class AuthorizationServer:
    """The engine behind async endpoints; configure it like the other adapters.

    ``settings`` is any mapping of ``OAUTH2_*`` values (a dict, ``os.environ``...).
    """

    def __init__(
        self,
        storage: Storage | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
        config: ServerConfig | None = None,
        clock: Clock | None = None,
        query_client: Callable[..., Any] | None = None,
        save_token: Callable[..., Any] | None = None,
        **callables: Callable[..., Any] | None,
    ) -> None:
        self.engine = build_engine(
            storage=storage,
            settings=settings or {},
            config=config,
            clock=clock,
            callables={"query_client": query_client, "save_token": save_token, **callables},
        )

    # -- authorization endpoint ----------------------------------------------------------
    async def validate_consent_request(
        self, request: Request, end_user: Any = None
    ) -> AuthorizationGrant:
        """The validated grant for the consent page; raises ``OAuth2Error`` when invalid
        (render it with ``create_error_response``)."""
        oauth_request = await to_oauth2_request(request)
        return await run_in_threadpool(
            self.engine.validate_consent_request, oauth_request, end_user
        )

    get_consent_grant = validate_consent_request

    async def create_authorization_response(
        self, request: Request, grant_user: Any = None
    ) -> Response:
        """Redirect with a code, or ``access_denied`` when ``grant_user`` is None."""
        return await self._respond(self.engine.create_authorization_response, request,
                                   grant_user)

    # -- endpoints -----------------------------------------------------------------------
    async def create_token_response(self, request: Request) -> Response:
        return await self._respond(self.engine.create_token_response, request)

    async def create_revocation_response(self, request: Request) -> Response:
        return await self._respond(self.engine.create_revocation_response, request)

    async def create_introspection_response(self, request: Request) -> Response:
        return await self._respond(self.engine.create_introspection_response, request)

    async def create_metadata_response(self, request: Request | None = None) -> Response:
        response = await run_in_threadpool(self.engine.create_metadata_response)
        return to_starlette_response(response)

    async def create_error_response(self, request: Request, error: OAuth2Error) -> Response:
        oauth_request = await to_oauth2_request(request)
        response = await run_in_threadpool(
            self.engine.create_error_response, oauth_request, error
        )
        return to_starlette_response(response)

    async def _respond(
        self, entry: Callable[..., OAuth2Response], request: Request, *args: Any
    ) -> Response:
        oauth_request = await to_oauth2_request(request)
        return to_starlette_response(await run_in_threadpool(entry, oauth_request, *args))

    def routes(self) -> list[BaseRoute]:
        """Routes for the token, revocation, introspection and metadata endpoints, at the
        paths the configuration names (relative to the issuer)."""
        config = self.engine.config
        return [
            Route(_path(config.token_endpoint), self.create_token_response,
                  methods=_ALL_METHODS),
            Route(_path(config.revocation_endpoint), self.create_revocation_response,
                  methods=_ALL_METHODS),
            Route(_path(config.introspection_endpoint), self.create_introspection_response,
                  methods=_ALL_METHODS),
            Route(METADATA_PATH, self.create_metadata_response, methods=["GET"]),
        ]

    # -- resource servers ----------------------------------------------------------------
    def require_oauth(self, scope: str | None = None) -> Callable[[Request], Awaitable[Token]]:
        """A FastAPI dependency (``Depends(server.require_oauth("profile"))``) returning the
        token record, also stored on ``request.state.oauth2_token``. Without a valid token it
        raises ``HTTPException`` with the engine's RFC 6750 status and challenge headers."""

        async def dependency(request: Request) -> Token:
            oauth_request = _bearer_request(request)
            try:
                token = await run_in_threadpool(
                    self.engine.validate_bearer_token, oauth_request, scope
                )
            except OAuth2Error as error:
                response = self.engine.create_error_response(oauth_request, error)
                raise _http_exception(error, response) from None
            request.state.oauth2_token = token
            return token

        return dependency


def _http_exception(error: OAuth2Error, response: OAuth2Response) -> HTTPException:
    headers = {
        name: value for name, value in response.headers if name.lower() != "content-type"
    }
    return HTTPException(response.status, detail=error.error or "unauthorized", headers=headers)


def _path(endpoint: str) -> str:
    if endpoint.startswith(("https://", "http://")):
        endpoint = "/" + endpoint.split("://", 1)[1].partition("/")[2]
    return "/" + endpoint.lstrip("/")
