"""A minimal FastAPI authorization server on oauth2-core: authorize and token endpoints.

Run it:  uv run python docs/examples/fastapi/app.py   (http://127.0.0.1:8000; PORT=... to move)

Demo only: memory storage (restarting forgets everything) and every visitor is signed in as
"alice". The synchronous engine runs in Starlette's thread pool, never on the event loop.
"""

from __future__ import annotations

import os
from html import escape
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from oauth2_core.errors import OAuth2Error
from oauth2_core.integrations.starlette import AuthorizationServer
from oauth2_core.models import Token
from oauth2_core.registration import new_client
from oauth2_core.storage.memory import MemoryStorage

PORT = int(os.environ.get("PORT", "8000"))
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"  # a human-chosen secret: stored as a PBKDF2 digest
REDIRECT_URI = "http://127.0.0.1:8000/callback"
# The consent page must not be framed (clickjacking) nor cached.
CONSENT_HEADERS = {"X-Frame-Options": "DENY", "Cache-Control": "no-store"}


class User:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_user_id(self) -> str:
        return self.name


def current_user(request: Request) -> User:
    """Stand-in for your login (a session cookie, a dependency...)."""
    return User("alice")


def create_app() -> FastAPI:
    storage = MemoryStorage()
    client, _ = new_client(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        scope="profile",
        client_name="Demo client",
        can_introspect=True,
    )
    storage.save_client(client)
    server = AuthorizationServer(
        storage,
        settings={
            "OAUTH2_ISSUER": f"http://127.0.0.1:{PORT}",
            "OAUTH2_AUTHORIZATION_ENDPOINT": "/oauth/authorize",
            "OAUTH2_TOKEN_ENDPOINT": "/oauth/token",
            "OAUTH2_REVOCATION_ENDPOINT": "/oauth/revoke",
            "OAUTH2_INTROSPECTION_ENDPOINT": "/oauth/introspect",
        },
    )
    app = FastAPI(title="oauth2-core FastAPI example")
    # POST /oauth/token, /oauth/revoke, /oauth/introspect and the RFC 8414 metadata.
    app.router.routes.extend(server.routes())
    profile_token = Depends(server.require_oauth("profile"))

    @app.get("/oauth/authorize")
    async def consent_page(request: Request) -> Response:
        try:
            grant = await server.validate_consent_request(request, current_user(request))
        except OAuth2Error as error:
            return await server.create_error_response(request, error)
        return HTMLResponse(
            "<!doctype html><title>Authorize</title>"
            f"<p><b>{escape(grant.client.client_name)}</b> asks for: "
            f"{escape(grant.scope or '(no scope)')}</p>"
            '<form method="post"><button name="confirm" value="yes">Allow</button> '
            '<button name="confirm" value="no">Deny</button></form>',
            headers=CONSENT_HEADERS,
        )

    @app.post("/oauth/authorize")
    async def consent_decision(request: Request) -> Response:
        form = await request.form()
        user = current_user(request) if form.get("confirm") == "yes" else None
        return await server.create_authorization_response(request, grant_user=user)

    @app.get("/callback")
    async def callback(request: Request) -> HTMLResponse:
        """Plays the client's redirect URI, so the demo needs nothing else running."""
        params = escape(str(dict(request.query_params)))  # names are the sender's too
        return HTMLResponse(f"<!doctype html><title>Callback</title><pre>{params}</pre>")

    @app.get("/api/me")
    async def me(token: Token = profile_token) -> dict[str, Any]:
        return {"user": token.user_id, "scope": token.scope}

    return app


app = create_app()

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT)
