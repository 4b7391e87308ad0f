"""Django adapter (extra ``oauth2-core[django]``), in the seed API's style::

    server = AuthorizationServer(storage=open_storage(url))  # reads settings.OAUTH2_*
    require_oauth = ResourceProtector(server)

    def authorize(request):  # a normal view: CSRF-protected like any form
        if request.method == "GET":
            try:
                grant = server.get_consent_grant(request, end_user=request.user)
            except OAuth2Error as error:
                return server.create_error_response(request, error)
            return render(request, "authorize.html", {"grant": grant})
        user = request.user if request.POST.get("confirm") else None
        return server.create_authorization_response(request, grant_user=user)

    urlpatterns = [
        path("oauth/authorize", authorize),
        path("oauth/token", server.token_view),  # csrf_exempt, like revoke/introspect
        path("oauth/revoke", server.revocation_view),
        path("oauth/introspect", server.introspection_view),
        path(".well-known/oauth-authorization-server", server.metadata_view),
    ]

Clients authenticate to the token, revocation and introspection endpoints with their own
credentials, never a browser cookie, so those views are exempt from CSRF; a view of your own
that calls ``create_token_response`` needs ``@csrf_exempt`` too. The consent form is a
session-authenticated POST and stays protected by ``CsrfViewMiddleware``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.views.decorators.csrf import csrf_exempt

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.errors import OAuth2Error
from oauth2_core.integrations._common import build_engine, engine_request, validate_bearer
from oauth2_core.requests import MAX_BODY_BYTES, OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import AuthorizationGrant
from oauth2_core.storage.protocols import Storage

__all__ = [
    "AuthorizationServer",
    "ResourceProtector",
    "oauth2_settings",
    "to_django_response",
    "to_oauth2_request",
]

_View = TypeVar("_View", bound=Callable[..., Any])


def oauth2_settings() -> dict[str, Any]:
    """The ``OAUTH2_*`` entries of the Django settings."""
    return {
        name: getattr(django_settings, name)
        for name in dir(django_settings)
        if name.startswith("OAUTH2_")
    }


def to_oauth2_request(request: HttpRequest) -> OAuth2Request:
    query = request.META.get("QUERY_STRING", "")
    headers = list(request.headers.items())
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    method = request.method or "GET"
    if length > MAX_BODY_BYTES:
        body = request.read(MAX_BODY_BYTES + 1)  # bounded; the engine refuses the excess
        return engine_request(method, request.path, query, headers, body)
    try:
        # request.body is cached, so a view may still read request.POST afterwards.
        body = request.body
    except RawPostDataException:
        # A multipart form the view already parsed: its fields are all that is left.
        form = [(key, value) for key, values in request.POST.lists() for value in values]
        return engine_request(method, request.path, query, headers, form=form)
    return engine_request(method, request.path, query, headers, body)


def _bearer_request(request: HttpRequest) -> OAuth2Request:
    query = request.META.get("QUERY_STRING", "")
    return engine_request(request.method or "GET", request.path, query, request.headers.items())


def to_django_response(response: OAuth2Response) -> HttpResponse:
    result = HttpResponse(response.body, status=response.status)
    for name, value in response.headers:
        result[name] = value
    return result


class AuthorizationServer:
    """The engine configured from Django settings (``OAUTH2_*``), with ready-made views."""

    def __init__(
        self,
        storage: Storage | None = None,
        *,
        config: ServerConfig | None = None,
        clock: Clock | None = None,
        query_client: Callable[..., Any] | None = None,
        save_token: Callable[..., Any] | None = None,
        **callables: Callable[..., Any] | None,
    ) -> None:
        self.engine = build_engine(
            storage=storage,
            settings=oauth2_settings(),
            config=config,
            clock=clock,
            callables={"query_client": query_client, "save_token": save_token, **callables},
        )
        # Endpoints a client calls with its own credentials: exempt from CSRF.
        self.token_view = csrf_exempt(self.create_token_response)
        self.revocation_view = csrf_exempt(self.create_revocation_response)
        self.introspection_view = csrf_exempt(self.create_introspection_response)
        self.metadata_view = self.create_metadata_response

    # -- authorization endpoint ----------------------------------------------------------
    def get_consent_grant(self, request: HttpRequest, end_user: Any = None) -> AuthorizationGrant:
        """The validated grant (client, scope, request) for the consent template; raises
        ``OAuth2Error`` when invalid (render it with ``create_error_response``)."""
        return self.engine.validate_consent_request(to_oauth2_request(request), end_user)

    validate_consent_request = get_consent_grant

    def create_authorization_response(
        self, request: HttpRequest, grant_user: Any = None
    ) -> HttpResponse:
        """Redirect with a code, or ``access_denied`` when ``grant_user`` is None."""
        oauth_request = to_oauth2_request(request)
        return to_django_response(
            self.engine.create_authorization_response(oauth_request, grant_user)
        )

    # -- token, revocation, introspection, metadata -----------------------------------------
    def create_token_response(self, request: HttpRequest) -> HttpResponse:
        return to_django_response(self.engine.create_token_response(to_oauth2_request(request)))

    def create_revocation_response(self, request: HttpRequest) -> HttpResponse:
        oauth_request = to_oauth2_request(request)
        return to_django_response(self.engine.create_revocation_response(oauth_request))

    def create_introspection_response(self, request: HttpRequest) -> HttpResponse:
        oauth_request = to_oauth2_request(request)
        return to_django_response(self.engine.create_introspection_response(oauth_request))

    def create_metadata_response(self, request: HttpRequest | None = None) -> HttpResponse:
        return to_django_response(self.engine.create_metadata_response())

    def create_error_response(self, request: HttpRequest, error: OAuth2Error) -> HttpResponse:
        oauth_request = to_oauth2_request(request)
        return to_django_response(self.engine.create_error_response(oauth_request, error))


class ResourceProtector:
    """``@require_oauth("scope")``: the view runs only with a valid bearer token, found on
    ``request.oauth2_token``. Protected views are CSRF-exempt: a bearer token, never a
    cookie, authenticates them."""

    def __init__(self, server: AuthorizationServer) -> None:
        self.server = server

    def __call__(self, scope: str | None = None) -> Callable[[_View], _View]:
        def decorator(view: _View) -> _View:
            @functools.wraps(view)
            def protected(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                engine = self.server.engine
                result = validate_bearer(engine, _bearer_request(request), scope)
                if isinstance(result, OAuth2Response):
                    return to_django_response(result)
                request.oauth2_token = result
                return view(request, *args, **kwargs)

            return cast(_View, csrf_exempt(protected))

        return decorator
