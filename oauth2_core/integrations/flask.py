"""Flask adapter (extra ``oauth2-core[flask]``), in the seed API's style::

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    # or: server = AuthorizationServer(storage=open_storage(url)); server.init_app(app)
    require_oauth = ResourceProtector(server)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    def authorize():
        if request.method == "GET":
            grant = server.validate_consent_request(end_user=current_user)
            return render_template("authorize.html", grant=grant)
        user = current_user if request.form.get("confirm") else None
        return server.create_authorization_response(grant_user=user)

    @app.route("/oauth/token", methods=["POST"])
    def issue_token():
        return server.create_token_response()

    @app.route("/api/me")
    @require_oauth("profile")
    def me():
        return {"user": current_token.user_id}

Settings come from ``app.config`` (``OAUTH2_*``, see ``ServerConfig.from_mapping``). An
``OAuth2Error`` raised in a view (e.g. by ``validate_consent_request``) is rendered by the
engine through an error handler ``init_app`` registers: an error page, or a redirect back to
the client once client and redirect URI are known good.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Request, Response, current_app, g, has_app_context
from flask import request as current_request
from werkzeug.local import LocalProxy

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.errors import OAuth2Error
from oauth2_core.integrations._common import build_engine, engine_request, validate_bearer
from oauth2_core.models import Token
from oauth2_core.requests import MAX_BODY_BYTES, OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import AuthorizationGrant
from oauth2_core.server import AuthorizationServer as Engine
from oauth2_core.storage.protocols import Storage

__all__ = [
    "AuthorizationServer",
    "ResourceProtector",
    "current_token",
    "to_flask_response",
    "to_oauth2_request",
]

EXTENSION_KEY = "oauth2_core"
_View = TypeVar("_View", bound=Callable[..., Any])


def to_oauth2_request(request: Request | None = None) -> OAuth2Request:
    """The engine's request from a Flask request (the current one by default)."""
    req = current_request if request is None else request
    query = req.query_string.decode("utf-8", "replace")
    headers = list(req.headers.items())
    if "form" in vars(req):
        # The view already parsed the form, which spent the input stream.
        form = list(req.form.items(multi=True))
        return engine_request(req.method, req.path, query, headers, form=form)
    length = req.content_length
    if length is None or length > MAX_BODY_BYTES:
        body = req.stream.read(MAX_BODY_BYTES + 1)  # bounded; the engine refuses the excess
    else:
        body = req.get_data(cache=True)  # cached, so the view may still read request.form
    return engine_request(req.method, req.path, query, headers, body)


def _bearer_request(req: Request) -> OAuth2Request:
    # A protected view's body is the application's business; the token is in a header.
    query = req.query_string.decode("utf-8", "replace")
    return engine_request(req.method, req.path, query, list(req.headers.items()))


def to_flask_response(response: OAuth2Response) -> Response:
    return Response(response.body, status=response.status, headers=list(response.headers))


class AuthorizationServer:
    """The engine mounted on a Flask app; ``init_app`` may come later (app factories)."""

    def __init__(
        self,
        app: Flask | None = None,
        storage: Storage | None = None,
        *,
        config: ServerConfig | None = None,
        clock: Clock | None = None,
        query_client: Callable[..., Any] | None = None,
        save_token: Callable[..., Any] | None = None,
        **callables: Callable[..., Any] | None,
    ) -> None:
        self._storage = storage
        self._config = config
        self._clock = clock
        self._callables = {"query_client": query_client, "save_token": save_token, **callables}
        self._engine: Engine | None = None
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        storage: Storage | None = None,
        *,
        config: ServerConfig | None = None,
        clock: Clock | None = None,
        query_client: Callable[..., Any] | None = None,
        save_token: Callable[..., Any] | None = None,
        **callables: Callable[..., Any] | None,
    ) -> None:
        """Build the engine from ``app.config`` and register the OAuth2Error handler."""
        given = {"query_client": query_client, "save_token": save_token, **callables}
        merged = {**self._callables, **{k: v for k, v in given.items() if v is not None}}
        engine = build_engine(
            storage=storage if storage is not None else self._storage,
            settings=app.config,
            config=config if config is not None else self._config,
            clock=clock if clock is not None else self._clock,
            callables=merged,
        )
        app.extensions.setdefault(EXTENSION_KEY, {})[self] = engine
        self._engine = engine
        app.register_error_handler(OAuth2Error, self._handle_error)

    @property
    def engine(self) -> Engine:
        """The engine of the current app (or of the last ``init_app`` outside a request)."""
        if has_app_context():
            engine = current_app.extensions.get(EXTENSION_KEY, {}).get(self)
            if engine is not None:
                return cast(Engine, engine)
        if self._engine is None:
            raise RuntimeError("AuthorizationServer is not bound to an app: call init_app(app)")
        return self._engine

    def _handle_error(self, error: OAuth2Error) -> Response:
        return self.create_error_response(error)

    # -- authorization endpoint ----------------------------------------------------------
    def validate_consent_request(
        self, request: Request | None = None, end_user: Any = None
    ) -> AuthorizationGrant:
        """The validated grant for the consent page; raises ``OAuth2Error`` when invalid."""
        return self.engine.validate_consent_request(to_oauth2_request(request), end_user)

    get_consent_grant = validate_consent_request

    def create_authorization_response(
        self, request: Request | None = None, grant_user: Any = None
    ) -> Response:
        """Redirect with a code, or ``access_denied`` when ``grant_user`` is None."""
        return self._respond(self.engine.create_authorization_response, request, grant_user)

    # -- token, revocation, introspection, metadata -----------------------------------------
    def create_token_response(self, request: Request | None = None) -> Response:
        return self._respond(self.engine.create_token_response, request)

    def create_revocation_response(self, request: Request | None = None) -> Response:
        return self._respond(self.engine.create_revocation_response, request)

    def create_introspection_response(self, request: Request | None = None) -> Response:
        return self._respond(self.engine.create_introspection_response, request)

    def create_metadata_response(self) -> Response:
        return to_flask_response(self.engine.create_metadata_response())

    def create_error_response(
        self, error: OAuth2Error, request: Request | None = None
    ) -> Response:
        engine_request_ = to_oauth2_request(request)
        return to_flask_response(self.engine.create_error_response(engine_request_, error))

    def _respond(
        self, entry: Callable[..., OAuth2Response], request: Request | None, *args: Any
    ) -> Response:
        return to_flask_response(entry(to_oauth2_request(request), *args))


class ResourceProtector:
    """``@require_oauth("scope")``: the view runs only with a valid bearer token.

    The token record is ``flask.g.oauth2_token``, also reachable as ``current_token``.
    """

    def __init__(self, server: AuthorizationServer) -> None:
        self.server = server

    def acquire_token(self, scope: str | None = None) -> Token:
        """The current request's token; raises ``OAuth2Error`` (rendered by the app)."""
        engine = self.server.engine
        token = engine.validate_bearer_token(_bearer_request(current_request), scope)
        g.oauth2_token = token
        return token

    def __call__(self, scope: str | None = None) -> Callable[[_View], _View]:
        def decorator(view: _View) -> _View:
            @functools.wraps(view)
            def protected(*args: Any, **kwargs: Any) -> Any:
                engine = self.server.engine
                result = validate_bearer(engine, _bearer_request(current_request), scope)
                if isinstance(result, OAuth2Response):
                    return to_flask_response(result)
                g.oauth2_token = result
                return view(*args, **kwargs)

            return cast(_View, protected)

        return decorator


def _current_token() -> Token | None:
    token: Token | None = g.get("oauth2_token")
    return token


current_token: Token = cast(Token, LocalProxy(_current_token))
