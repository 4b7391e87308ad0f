"""A minimal Flask authorization server on oauth2-core: the seed's authorize and token views.

Run it:  uv run python docs/examples/flask/app.py   (http://127.0.0.1:5000; PORT=... to move)

Demo only: memory storage (restarting forgets everything) and every visitor is signed in as
"alice". Replace ``current_user`` with your login and ``MemoryStorage`` with ``open_storage``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, render_template_string, request

from oauth2_core.integrations.flask import AuthorizationServer, ResourceProtector, current_token
from oauth2_core.registration import new_client
from oauth2_core.storage.memory import MemoryStorage

PORT = int(os.environ.get("PORT", "5000"))
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"  # a human-chosen secret: stored as a PBKDF2 digest
REDIRECT_URI = "http://127.0.0.1:5000/callback"
# The consent page must not be framed (clickjacking) nor cached.
CONSENT_HEADERS = {"X-Frame-Options": "DENY", "Cache-Control": "no-store"}

CONSENT_PAGE = """<!doctype html><title>Authorize</title>
<p><b>{{ grant.client.client_name }}</b> asks for: {{ grant.scope or "(no scope)" }}</p>
<form method="post">
  <button name="confirm" value="yes">Allow</button>
  <button name="confirm" value="no">Deny</button>
</form>"""

CALLBACK_PAGE = """<!doctype html><title>Callback</title>
<p>code: <code>{{ code }}</code> state: <code>{{ state }}</code> error: {{ error }}</p>"""


class User:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_user_id(self) -> str:
        return self.name


def current_user() -> User:
    """Stand-in for your login (e.g. Flask-Login's ``current_user``)."""
    return User("alice")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        OAUTH2_ISSUER=f"http://127.0.0.1:{PORT}",
        OAUTH2_AUTHORIZATION_ENDPOINT="/oauth/authorize",
        OAUTH2_TOKEN_ENDPOINT="/oauth/token",
        OAUTH2_REVOCATION_ENDPOINT="/oauth/revoke",
        OAUTH2_INTROSPECTION_ENDPOINT="/oauth/introspect",
        OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": 3600, "client_credentials": 600},
    )
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

    server = AuthorizationServer(app, storage)
    require_oauth = ResourceProtector(server)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.method == "GET":
            grant = server.validate_consent_request(end_user=current_user())
            return render_template_string(CONSENT_PAGE, grant=grant), CONSENT_HEADERS
        user = current_user() if request.form.get("confirm") == "yes" else None
        return server.create_authorization_response(grant_user=user)

    @app.route("/oauth/token", methods=["POST"])
    def issue_token() -> Any:
        return server.create_token_response()

    @app.route("/oauth/revoke", methods=["POST"])
    def revoke_token() -> Any:
        return server.create_revocation_response()

    @app.route("/oauth/introspect", methods=["POST"])
    def introspect_token() -> Any:
        return server.create_introspection_response()

    @app.route("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        return server.create_metadata_response()

    @app.route("/callback")
    def callback() -> Any:
        """Plays the client's redirect URI, so the demo needs nothing else running."""
        return render_template_string(
            CALLBACK_PAGE,
            code=request.args.get("code"),
            state=request.args.get("state"),
            error=request.args.get("error"),
        )

    @app.route("/api/me")
    @require_oauth("profile")
    def me() -> Any:
        return {"user": current_token.user_id, "scope": current_token.scope}

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=PORT)
