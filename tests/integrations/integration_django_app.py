"""The Django test site: the seed's views wired to one server, as a swappable URLconf."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.html import escape
from django.views.decorators.http import require_http_methods
from integration_flows import ALICE

from oauth2_core.errors import OAuth2Error
from oauth2_core.integrations.django import AuthorizationServer, ResourceProtector

urlpatterns: list[Any] = []


class URLConf:
    """A URLconf object (hashable by identity), for ``override_settings(ROOT_URLCONF=...)``."""

    def __init__(self, server: AuthorizationServer) -> None:
        self.server = server
        self.urlpatterns = build_urlpatterns(server)


def build_urlpatterns(server: AuthorizationServer) -> list[Any]:
    require_oauth = ResourceProtector(server)

    @require_http_methods(["GET", "POST"])
    def authorize(request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            try:
                grant = server.get_consent_grant(request, end_user=ALICE)
            except OAuth2Error as error:
                return server.create_error_response(request, error)
            return HttpResponse(
                f"<p>{escape(grant.client.client_id)} asks for {escape(grant.scope)}</p>"
                f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
                f'value="{get_token(request)}"><button name="confirm" value="yes">Allow</button>'
                "</form>"
            )
        user = ALICE if request.POST.get("confirm") == "yes" else None
        return server.create_authorization_response(request, grant_user=user)

    @require_oauth("profile")
    def profile(request: HttpRequest) -> HttpResponse:
        token = request.oauth2_token  # type: ignore[attr-defined]
        return JsonResponse(
            {"user": token.user_id, "scope": token.scope, "client": token.client_id}
        )

    @require_oauth("admin")
    def admin(request: HttpRequest) -> HttpResponse:
        return JsonResponse({"ok": True})

    return [
        path("authorize", authorize),
        path("token", server.token_view),
        path("revoke", server.revocation_view),
        path("introspect", server.introspection_view),
        path(".well-known/oauth-authorization-server", server.metadata_view),
        path("api/profile", profile),
        path("api/admin", admin),
    ]
