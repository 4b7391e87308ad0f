"""The Starlette application: OAuth endpoints wired to the engine, plus login and consent.

No OAuth logic lives here: every protocol decision is the engine's (``AuthorizationServer``).
This module only moves HTTP in and out, runs the synchronous engine in a threadpool so the
event loop never blocks, and owns the human side: login session, consent page and CSRF.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import shlex
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from oauth2_core.app import pages
from oauth2_core.app.cookies import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, Signer
from oauth2_core.app.engine_endpoints import EngineEndpoint, EngineEndpoints
from oauth2_core.app.offload import EngineThreads
from oauth2_core.app.settings import AppSettings
from oauth2_core.app.users import User, UserStore
from oauth2_core.errors import (
    InvalidRequestError,
    OAuth2Error,
    StorageError,
    TemporarilyUnavailableError,
)
from oauth2_core.integrations.starlette import to_oauth2_request, to_starlette_response
from oauth2_core.requests import MAX_BODY_BYTES, OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import AuthorizationServer
from oauth2_core.storage.protocols import Storage

__all__ = ["OAuth2App", "build_app"]

logger = logging.getLogger("oauth2_core.app")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
METADATA_PATH = "/.well-known/oauth-authorization-server"
DEMO_PUBLIC_CLIENT = "demo-public"
# Pages that show a form must not be framed (clickjacking) nor leak the query in Referer.
# No form-action: Chromium applies it to the redirect that follows the consent POST.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


class OAuth2App:
    """The request handlers, bound to one engine, user store and signer."""

    def __init__(
        self, settings: AppSettings, server: AuthorizationServer, users: UserStore
    ) -> None:
        self.settings = settings
        self.server = server
        self.users = users
        self.threads = EngineThreads(settings.threads)
        # Without a configured key, sessions last as long as this process.
        self.signer = Signer(settings.secret_key or secrets.token_urlsafe(32))
        config = server.config
        self.issuer = config.issuer
        self.secure_cookies = config.issuer.startswith("https://")
        # A "__Host-" cookie is Secure, host-only and Path=/ (RFC 6265bis section 4.1.3.2):
        # a sibling subdomain cannot plant one of its own (cookie tossing).
        prefix = "__Host-" if self.secure_cookies else ""
        self.session_cookie = prefix + SESSION_COOKIE
        self.csrf_cookie = prefix + CSRF_COOKIE
        self.authorize_path = _path(config.endpoint_url(config.authorization_endpoint))
        self.login_path = _path(config.endpoint_url("/login"))
        self.logout_path = _path(config.endpoint_url("/logout"))
        self.metadata_path = METADATA_PATH + _path(config.issuer).rstrip("/")
        self.auto_approve = User(settings.auto_approve_as) if settings.auto_approve_as else None

    def engine_endpoints(self) -> dict[str, EngineEndpoint]:
        """The machine endpoints, served as plain ASGI (``engine_endpoints``); every method
        reaches the engine, which answers 405 with ``Allow`` itself."""
        config = self.server.config
        methods = {
            config.token_endpoint: self.server.create_token_response,
            config.revocation_endpoint: self.server.create_revocation_response,
            config.introspection_endpoint: self.server.create_introspection_response,
            "/userinfo": self._userinfo,
        }
        return {
            _path(config.endpoint_url(endpoint)): self._engine(method)
            for endpoint, method in methods.items()
        }

    def routes(self) -> list[Route]:
        routes = [
            Route("/", self.index, methods=["GET", "HEAD"]),
            Route(self.metadata_path, self.metadata, methods=ALL_METHODS),
            Route(self.authorize_path, self.authorize, methods=["GET", "HEAD", "POST"]),
            Route(self.login_path, self.login, methods=["GET", "POST"]),
            Route(self.logout_path, self.logout, methods=["POST"]),
        ]
        if self.settings.demo_code_verifier:
            routes.append(Route("/demo/callback", self.demo_callback, methods=["GET"]))
        return routes

    # -- helpers ---------------------------------------------------------------------------
    def _page(self, status: int, text: str, **headers: str) -> Response:
        return Response(
            text, status, headers={**PAGE_HEADERS, **headers}, media_type="text/html"
        )

    async def _call(self, method: Callable[..., OAuth2Response], *args: Any) -> OAuth2Response:
        """Run an engine entry point off the event loop; render the errors it raises."""
        request = args[0] if args and isinstance(args[0], OAuth2Request) else None
        try:
            return await self.threads.run(method, *args)
        except OAuth2Error as exc:
            return await self.threads.run(self.server.create_error_response, request, exc)
        except StorageError:
            logger.exception("storage failure")
            error = TemporarilyUnavailableError("the authorization server's store is unavailable")
            return await self.threads.run(self.server.create_error_response, request, error)

    def _engine(self, method: Callable[[OAuth2Request], OAuth2Response]) -> EngineEndpoint:
        async def endpoint(request: OAuth2Request) -> OAuth2Response:
            return await self._call(method, request)

        return endpoint

    def _csrf(self, request: Request) -> tuple[str, bool]:
        """The CSRF cookie of the request, or a new one (True when it must be set)."""
        cookie = request.cookies.get(self.csrf_cookie)
        if cookie and len(cookie) <= 64:
            return cookie, False
        return self.signer.new_csrf_cookie(), True

    def _with_csrf_cookie(self, response: Response, cookie: str, new: bool) -> Response:
        if new:
            response.set_cookie(
                self.csrf_cookie, cookie, httponly=True, samesite="lax", secure=self.secure_cookies
            )
        return response

    def _current_user(self, request: Request) -> User | None:
        username = self.signer.session_user(request.cookies.get(self.session_cookie))
        return self.users.get(username) if username is not None else None

    def _csrf_token(self, request: Request, cookie: str) -> str:
        return self.signer.csrf_token(cookie, request.cookies.get(self.session_cookie))

    def _csrf_ok(self, request: Request, form: dict[str, str]) -> bool:
        return self.signer.csrf_valid(
            request.cookies.get(self.csrf_cookie),
            request.cookies.get(self.session_cookie),
            form.get("csrf_token"),
        )

    async def _form(self, request: Request) -> dict[str, str] | Response:
        """The fields of one of our forms, read with the engine's bounded body reader:
        never more than ``MAX_BODY_BYTES`` of a body, whatever its announced length."""
        oauth_request = await to_oauth2_request(request)
        if len(oauth_request.body) > MAX_BODY_BYTES:
            text = pages.error_page(
                title="Request refused", error="invalid_request",
                description="the form is larger than this server accepts",
            )
            return self._page(413, text, Connection="close")
        try:
            return oauth_request.form.index()[0]
        except InvalidRequestError as exc:
            text = pages.error_page(
                title="Request refused", error="invalid_request", description=exc.description
            )
            return self._page(400, text)

    def _forbidden(self) -> Response:
        return self._page(
            403,
            pages.error_page(
                title="Request refused",
                error="csrf_failed",
                description="the form expired or did not come from this server; reload the "
                "page and try again",
            ),
        )

    # -- pages -----------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        metadata_url = self.issuer + METADATA_PATH + _path(self.issuer).rstrip("/")
        return self._page(200, pages.index_page(issuer=self.issuer, metadata_url=metadata_url))

    async def metadata(self, request: Request) -> Response:
        if request.method not in {"GET", "HEAD"}:
            return Response(status_code=405, headers={"Allow": "GET, HEAD"})
        return to_starlette_response(await self._call(self.server.create_metadata_response))

    def _userinfo(self, request: OAuth2Request) -> OAuth2Response:
        """A small protected resource showing bearer validation (RFC 6750)."""
        token = self.server.validate_bearer_token(request)
        user = self.users.get(token.user_id) if token.user_id else None
        data = {"sub": token.user_id, "client_id": token.client_id, "scope": token.scope}
        if user is not None and user.name:
            data["name"] = user.name
        return OAuth2Response.json_body(200, data)

    # -- authorization endpoint (RFC 6749 section 4.1.1) -----------------------------------
    async def authorize(self, request: Request) -> Response:
        query = request.url.query
        if request.method == "POST":
            # The consent form re-presents the original request (kept in the form's action
            # URL) to the engine, which validates it again from scratch; the form body (CSRF
            # token, decision) is the app's, not the engine's.
            original = OAuth2Request(
                "GET", f"{self.authorize_path}?{query}" if query else self.authorize_path,
                request.headers.items(),
            )
            return await self._decide(request, original)
        oauth_request = await to_oauth2_request(request)
        try:
            grant = await self.threads.run(self.server.validate_consent_request, oauth_request)
        except OAuth2Error as exc:
            return await self._authorize_error(oauth_request, exc)
        except StorageError:
            logger.exception("storage failure")
            return self._unavailable()
        if self.auto_approve is not None:
            return to_starlette_response(
                await self._call(
                    self.server.create_authorization_response, oauth_request, self.auto_approve
                )
            )
        csrf, new = self._csrf(request)
        token = self._csrf_token(request, csrf)
        user = self._current_user(request)
        action = f"{self.authorize_path}?{query}"
        if user is None:
            text = pages.login_page(action=self.login_path, next_url=action, csrf=token)
            return self._with_csrf_cookie(self._page(200, text), csrf, new)
        text = pages.consent_page(
            action=action,
            csrf=token,
            client_name=grant.client.client_name,
            client_id=grant.client.client_id,
            scopes=grant.scopes or tuple(grant.scope.split()),
            redirect_uri=grant.redirect_uri,
            username=user.name or user.username,
            logout_action=self.logout_path,
        )
        return self._with_csrf_cookie(self._page(200, text), csrf, new)

    async def _decide(self, request: Request, oauth_request: OAuth2Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        user = self._current_user(request)
        if user is None:
            # The session expired between the two pages (so the form's token, bound to it,
            # cannot match either): decide nothing; sign in again, then consent.
            return RedirectResponse(
                f"{self.login_path}?next={quote(oauth_request.uri, safe='')}", 303
            )
        if not self._csrf_ok(request, form):
            return self._forbidden()
        grant_user = user if form.get("decision") == "approve" else None
        try:
            response = await self.threads.run(
                self.server.create_authorization_response, oauth_request, grant_user
            )
        except OAuth2Error as exc:
            return await self._authorize_error(oauth_request, exc)
        except StorageError:
            logger.exception("storage failure")
            return self._unavailable()
        if response.location is not None and response.status in {302, 307}:
            # RFC 9700 section 4.11: after a form POST, 303 so the browser follows with GET.
            return RedirectResponse(response.location, 303, headers=dict(PAGE_HEADERS))
        return to_starlette_response(response)

    async def _authorize_error(self, request: OAuth2Request, exc: OAuth2Error) -> Response:
        if isinstance(exc, TemporarilyUnavailableError) and exc.redirect_uri is None:
            return self._unavailable()
        if exc.redirect_uri is None:
            # Client or redirect URI not validated: never redirect (RFC 6749 section 4.1.2.1).
            status = exc.status_code if 400 <= exc.status_code < 600 else 400
            text = pages.error_page(
                title="Authorization request refused",
                error=exc.error or "invalid_request",
                description=exc.description or exc.error,
            )
            return self._page(status, text)
        return to_starlette_response(
            await self.threads.run(self.server.create_error_response, request, exc)
        )

    def _unavailable(self) -> Response:
        retry = str(self.server.config.retry_after_seconds)
        text = pages.error_page(
            title="Temporarily unavailable",
            error="temporarily_unavailable",
            description="the server cannot reach its store; try again shortly",
        )
        return self._page(503, text, **{"Retry-After": retry})

    # -- login -----------------------------------------------------------------------------
    def _safe_next(self, value: Any) -> str:
        """Only ever return to our own authorization endpoint (no open redirect)."""
        if isinstance(value, str) and value.startswith(self.authorize_path + "?"):
            return value
        return "/"

    async def login(self, request: Request) -> Response:
        csrf, new = self._csrf(request)
        token = self._csrf_token(request, csrf)
        if request.method == "GET":
            next_url = self._safe_next(request.query_params.get("next"))
            text = pages.login_page(action=self.login_path, next_url=next_url, csrf=token)
            return self._with_csrf_cookie(self._page(200, text), csrf, new)
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        if not self._csrf_ok(request, form):
            return self._forbidden()
        next_url = self._safe_next(form.get("next"))
        username = form.get("username", "")
        password = form.get("password", "")
        user = await self.threads.run(self.users.authenticate, username, password)
        if user is None:
            text = pages.login_page(
                action=self.login_path,
                next_url=next_url,
                csrf=token,
                error="Unknown username or wrong password.",
                username=username,
            )
            return self._page(401, text)
        response = RedirectResponse(next_url, 303, headers=dict(PAGE_HEADERS))
        response.set_cookie(
            self.session_cookie,
            self.signer.session_cookie(user.username),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
        )
        return response

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        if not self._csrf_ok(request, form):
            return self._forbidden()
        response = RedirectResponse(self._safe_next(form.get("next")), 303)
        response.delete_cookie(
            self.session_cookie, httponly=True, secure=self.secure_cookies, samesite="lax"
        )
        return response

    async def demo_callback(self, request: Request) -> Response:
        """Where the demo's clients are sent back: shows the code and how to redeem it."""
        params = request.query_params
        code = params.get("code", "")
        token_url = self.server.config.endpoint_url(self.server.config.token_endpoint)
        curl = (
            f"curl -s {token_url} -d grant_type=authorization_code "
            f"-d client_id={DEMO_PUBLIC_CLIENT} -d redirect_uri={self.issuer}/demo/callback "
            # The code comes from whoever crafted the link: one literal shell argument.
            f"-d {shlex.quote('code=' + code)} "
            f"-d code_verifier={self.settings.demo_code_verifier}"
        )
        text = pages.callback_page(
            code=code, state=params.get("state", ""), error=params.get("error", ""),
            token_curl=curl,
        )
        return self._page(200, text)


def build_app(
    settings: AppSettings,
    storage: Storage,
    server: AuthorizationServer,
    users: UserStore,
) -> Starlette:
    handlers = OAuth2App(settings, server, users)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await handlers.threads.run(storage.close)
        handlers.threads.shutdown()

    app = Starlette(
        routes=handlers.routes(),
        middleware=[Middleware(EngineEndpoints, endpoints=handlers.engine_endpoints())],
        lifespan=lifespan,
    )
    app.state.oauth2 = handlers
    return app
