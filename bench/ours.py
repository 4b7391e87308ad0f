"""The bench ``Driver`` for oauth2-core: ``AuthorizationServer`` over ``open_storage(url)``."""

from __future__ import annotations

from typing import Any

from bench.workload import WORKLOAD, basic_auth, code_from_location
from oauth2_core import AuthorizationServer, OAuth2Request, ServerConfig
from oauth2_core.registration import new_client
from oauth2_core.storage import SchemaManagement, Storage, open_storage

__all__ = ["OursDriver", "open_ours"]

FORM = "application/x-www-form-urlencoded"
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def open_ours(url: str) -> tuple[Storage, str]:
    """Open the backend, bring its schema up, register the bench client; return its secret.

    The secret is one the kit generates (256 bits, stored under a fast digest), as
    SECURITY.md prescribes for machine clients; a human-chosen one would take a slow KDF.
    """
    storage = open_storage(url)
    if isinstance(storage, SchemaManagement):
        storage.upgrade_schema()
    storage.delete_client(WORKLOAD.client_id)
    client, secret = new_client(
        client_id=WORKLOAD.client_id, redirect_uris=(WORKLOAD.redirect_uri,),
        grant_types=GRANT_TYPES, scope=WORKLOAD.scope,
    )
    storage.save_client(client)
    assert secret is not None
    return storage, secret


class OursDriver:
    def __init__(self, storage: Storage, client_secret: str) -> None:
        self.storage = storage
        self.server = AuthorizationServer(storage, ServerConfig(issuer=WORKLOAD.issuer))
        self.token_headers = {
            "Authorization": basic_auth(WORKLOAD.client_id, client_secret),
            "Content-Type": FORM,
        }
        self.authorize_uri = f"/authorize?{WORKLOAD.authorize_query}"

    def _token(self, body: str) -> dict[str, Any]:
        response = self.server.create_token_response(
            OAuth2Request("POST", "/token", self.token_headers, body)
        )
        if response.status != 200:
            raise AssertionError(f"oauth2-core token endpoint: {response.status} {response.body!r}")
        data: dict[str, Any] = response.json()
        return data

    def client_credentials(self) -> str:
        return str(self._token(WORKLOAD.client_credentials_body)["access_token"])

    def validate(self, access_token: str) -> None:
        request = OAuth2Request("GET", "/resource", {"Authorization": "Bearer " + access_token})
        self.server.validate_bearer_token(request, "read")

    def authorize(self) -> str:
        response = self.server.create_authorization_response(
            OAuth2Request("GET", self.authorize_uri), WORKLOAD.user_id
        )
        if response.status != 302 or response.location is None:
            raise AssertionError(f"oauth2-core authorize: {response.status} {response.body!r}")
        return code_from_location(response.location)

    def exchange(self, code: str) -> tuple[str, str]:
        data = self._token(WORKLOAD.code_exchange_body(code))
        return str(data["access_token"]), str(data["refresh_token"])

    def refresh(self, refresh_token: str) -> str:
        return str(self._token(WORKLOAD.refresh_body(refresh_token))["refresh_token"])

    def revoke(self, token: str) -> None:
        response = self.server.create_revocation_response(
            OAuth2Request("POST", "/revoke", self.token_headers, WORKLOAD.revoke_body(token))
        )
        if response.status != 200:
            raise AssertionError(f"oauth2-core revoke: {response.status} {response.body!r}")
