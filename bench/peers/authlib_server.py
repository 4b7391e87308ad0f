"""Authlib's framework-agnostic ``AuthorizationServer`` wired to a ``PeerStore``.

The grants are Authlib's own (client credentials, authorization code with the RFC 7636
extension required, refresh token with rotation), the revocation endpoint is RFC 7009's, and
bearer validation is ``ResourceProtector`` with ``BearerTokenValidator``. Only the storage
hooks are ours, each a thin call into the store, as Authlib's documentation writes them.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request, ResourceProtector, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

from bench.peers.authlib_records import PeerUser

__all__ = ["AuthlibServer", "BenchRequest", "PeerStore", "build_authlib"]

ACCESS_TOKEN_LIFETIME = 3600

class PeerStore(Protocol):
    def get_client(self, client_id: str) -> Any: ...
    def add_token(self, token: dict[str, Any], client_id: str, user_id: str | None) -> None: ...
    def token_by_access(self, access_token: str) -> Any: ...
    def token_by_refresh(self, refresh_token: str) -> Any: ...
    def add_code(self, fields: dict[str, Any]) -> None: ...
    def code_for(self, code: str, client_id: str) -> Any: ...
    def delete_code(self, code: Any) -> None: ...
    def revoke(self, token: Any, *, access_only: bool) -> None: ...
    def end_request(self) -> None: ...


class BenchRequest(OAuth2Request):
    """An ``OAuth2Request`` over method, URI, headers and a form body (Authlib's payload API)."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], body: str = "") -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(parse_qsl(urlsplit(uri).query))
        self._form = dict(parse_qsl(body))
        self.payload = BasicOAuth2Payload({**self._args, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class AuthlibServer(AuthorizationServer):
    def __init__(self, store: PeerStore) -> None:
        super().__init__(scopes_supported=["read", "write"])
        self.store = store

    def query_client(self, client_id: str) -> Any:
        return self.store.get_client(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        user_id = request.user.get_user_id() if request.user else None
        self.store.add_token(token, request.client.client_id, user_id)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # BenchRequest already

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, str, Any]:
        # What Flask's integration does with a dict body: serialize it.
        text = json.dumps(body) if isinstance(body, dict) else body
        return status, text, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.store.add_code({
            "code": code,
            "client_id": request.client.client_id,
            "redirect_uri": request.payload.redirect_uri or "",
            "scope": request.payload.scope or "",
            "user_id": request.user.get_user_id(),
            "auth_time": int(time.time()),
            "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"),
        })

    def query_authorization_code(self, code: str, client: Any) -> Any:
        item = self.server.store.code_for(code, client.client_id)
        if item is not None and not item.is_expired():
            return item
        return None

    def delete_authorization_code(self, authorization_code: Any) -> None:
        self.server.store.delete_code(authorization_code)

    def authenticate_user(self, authorization_code: Any) -> PeerUser:
        return PeerUser(authorization_code.user_id)


class _RefreshGrant(grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation on every use, as oauth2-core does

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        token = self.server.store.token_by_refresh(refresh_token)
        if token is not None and not token.is_revoked():
            return token
        return None

    def authenticate_user(self, refresh_token: Any) -> PeerUser:
        return PeerUser(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: Any) -> None:
        self.server.store.revoke(refresh_token, access_only=False)


class _Revocation(RevocationEndpoint):
    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        store = self.server.store
        if token_type_hint == "refresh_token":
            return store.token_by_refresh(token_string)
        return store.token_by_access(token_string) or store.token_by_refresh(token_string)

    def revoke_token(self, token: Any, request: Any) -> None:
        hint = request.form.get("token_type_hint")
        self.server.store.revoke(token, access_only=hint == "access_token")


def _validator(store: PeerStore) -> BearerTokenValidator:
    class _Bearer(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Any:
            return store.token_by_access(token_string)

    return _Bearer()


def build_authlib(store: PeerStore) -> tuple[AuthlibServer, ResourceProtector]:
    server = AuthlibServer(store)
    # Authlib's Flask integration default: generate_token(42) for both tokens.
    server.register_token_generator("default", BearerTokenGenerator(
        access_token_generator=lambda *a, **k: generate_token(42),
        refresh_token_generator=lambda *a, **k: generate_token(42),
        expires_generator=lambda *a, **k: ACCESS_TOKEN_LIFETIME,
    ))
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_grant(_CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(_RefreshGrant)
    server.register_endpoint(_Revocation)
    protector = ResourceProtector()
    protector.register_token_validator(_validator(store))
    return server, protector
