"""A minimal Django authorization server on oauth2-core, in one file: the seed's views.

Run it:  uv run python docs/examples/django/app.py   (http://127.0.0.1:8000; PORT=... to move)

Demo only: memory storage (restarting forgets everything), no database, and every visitor is
signed in as "alice". In a real project the settings live in settings.py, the views in
views.py, ``request.user`` comes from django.contrib.auth, and the storage from
``open_storage(url)``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import django
from django.conf import settings

PORT = int(os.environ.get("PORT", "8000"))
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"  # a human-chosen secret: stored as a PBKDF2 digest
REDIRECT_URI = "http://127.0.0.1:8000/callback"
# The consent page must not be framed (clickjacking) nor cached.
CONSENT_HEADERS = {"X-Frame-Options": "DENY", "Cache-Control": "no-store"}

settings.configure(
    DEBUG=True,
    SECRET_KEY="django-example-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
    OAUTH2_ISSUER=f"http://127.0.0.1:{PORT}",
    OAUTH2_AUTHORIZATION_ENDPOINT="/oauth/authorize",
    OAUTH2_TOKEN_ENDPOINT="/oauth/token",
    OAUTH2_REVOCATION_ENDPOINT="/oauth/revoke",
    OAUTH2_INTROSPECTION_ENDPOINT="/oauth/introspect",
    OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": 3600, "client_credentials": 600},
)
django.setup()

# Imported after settings.configure(): the adapter reads settings.OAUTH2_* at construction.
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.template import Context, Engine  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.http import require_http_methods  # noqa: E402

from oauth2_core.errors import OAuth2Error  # noqa: E402
from oauth2_core.integrations.django import AuthorizationServer, ResourceProtector  # noqa: E402
from oauth2_core.registration import new_client  # noqa: E402
from oauth2_core.storage.memory import MemoryStorage  # noqa: E402

CONSENT_PAGE = Engine().from_string(
    """<!doctype html><title>Authorize</title>
<p><b>{{ grant.client.client_name }}</b> asks for: {{ grant.scope|default:"(no scope)" }}</p>
<form method="post">{% csrf_token %}
  <button name="confirm" value="yes">Allow</button>
  <button name="confirm" value="no">Deny</button>
</form>"""
)
CALLBACK_PAGE = Engine().from_string(
    """<!doctype html><title>Callback</title>
<p>code: <code>{{ code }}</code> state: <code>{{ state }}</code> error: {{ error }}</p>"""
)


class User:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_user_id(self) -> str:
        return self.name


def current_user(request: HttpRequest) -> User:
    """Stand-in for ``request.user`` (django.contrib.auth)."""
    return User("alice")


storage = MemoryStorage()
demo_client, _ = new_client(
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    redirect_uris=[REDIRECT_URI],
    grant_types=["authorization_code", "refresh_token", "client_credentials"],
    scope="profile",
    client_name="Demo client",
    can_introspect=True,
)
storage.save_client(demo_client)
server = AuthorizationServer(storage)
require_oauth = ResourceProtector(server)


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """A normal view: CsrfViewMiddleware protects the consent form."""
    if request.method == "GET":
        try:
            grant = server.get_consent_grant(request, end_user=current_user(request))
        except OAuth2Error as error:
            return server.create_error_response(request, error)
        context = Context({"grant": grant, "csrf_token": get_token(request)})
        return HttpResponse(CONSENT_PAGE.render(context), headers=CONSENT_HEADERS)
    user = current_user(request) if request.POST.get("confirm") == "yes" else None
    return server.create_authorization_response(request, grant_user=user)


def callback(request: HttpRequest) -> HttpResponse:
    """Plays the client's redirect URI, so the demo needs nothing else running."""
    context = Context({key: request.GET.get(key) for key in ("code", "state", "error")})
    return HttpResponse(CALLBACK_PAGE.render(context))


@require_oauth("profile")
def me(request: HttpRequest) -> JsonResponse:
    token: Any = request.oauth2_token  # type: ignore[attr-defined]
    return JsonResponse({"user": token.user_id, "scope": token.scope})


urlpatterns = [
    path("oauth/authorize", authorize),
    path("oauth/token", server.token_view),  # csrf_exempt: clients use their credentials
    path("oauth/revoke", server.revocation_view),
    path("oauth/introspect", server.introspection_view),
    path(".well-known/oauth-authorization-server", server.metadata_view),
    path("callback", callback),
    path("api/me", me),
]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], "runserver", f"127.0.0.1:{PORT}", "--noreload"])
