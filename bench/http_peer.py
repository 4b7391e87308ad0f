"""The HTTP peer: Authlib's Flask integration over the same store, served by uvicorn.

``uvicorn bench.http_peer:create_app --factory --interface wsgi --workers N`` runs it on the
same server software, worker count and store as ``oauth2-core serve``. The store URL comes
from ``BENCH_PEER_STORE``; tables and the client are created by the bench beforehand.
"""

from __future__ import annotations

import os
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, jsonify

__all__ = ["STORE_ENV", "create_app", "open_peer_store"]

STORE_ENV = "BENCH_PEER_STORE"  # not OAUTH2_*: oauth2-core reads those as settings


def open_peer_store(url: str, *, create: bool) -> Any:
    if url.startswith("redis"):
        from redis import Redis  # noqa: PLC0415

        from bench.peers.authlib_redis import RedisPeerStore  # noqa: PLC0415

        return RedisPeerStore(Redis.from_url(url))
    from oauth2_core_sqlalchemy import create_engine  # noqa: PLC0415

    from bench.peers.authlib_sql import SqlPeerStore  # noqa: PLC0415

    # The SQL backend's own engine factory: same driver, pool, pings and SQLite pragmas.
    return SqlPeerStore(create_engine(url), create=create)


def create_app() -> Flask:
    store = open_peer_store(os.environ[STORE_ENV], create=False)
    app = Flask(__name__)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": 3600}

    def save_token(token: dict[str, Any], request: Any) -> None:
        user_id = request.user.get_user_id() if request.user else None
        store.add_token(token, request.client.client_id, user_id)

    server = AuthorizationServer(app, query_client=store.get_client, save_token=save_token)
    server.register_grant(grants.ClientCredentialsGrant)

    class _Bearer(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Any:
            return store.token_by_access(token_string)

    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(_Bearer())

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.get("/userinfo")
    @require_oauth()
    def userinfo() -> Any:
        item = current_token
        return jsonify(sub=item.user_id, client_id=item.client_id, scope=item.scope)

    @app.teardown_appcontext
    def _end(_exc: BaseException | None) -> None:
        store.end_request()

    return app
