"""The bench ``Driver`` for Authlib: requests in, checked responses out."""

from __future__ import annotations

import json

from bench.peers.authlib_records import PeerUser
from bench.peers.authlib_server import BenchRequest, PeerStore, build_authlib
from bench.workload import WORKLOAD, basic_auth, code_from_location

__all__ = ["AuthlibDriver"]

FORM = "application/x-www-form-urlencoded"


class AuthlibDriver:
    def __init__(self, store: PeerStore) -> None:
        self.store = store
        self.server, self.protector = build_authlib(store)
        self.user = PeerUser(WORKLOAD.user_id)
        self.token_headers = {
            "Authorization": basic_auth(WORKLOAD.client_id, WORKLOAD.client_secret),
            "Content-Type": FORM,
        }
        self.token_uri = WORKLOAD.issuer + "/token"

    def _token(self, body: str) -> dict[str, str]:
        request = BenchRequest("POST", self.token_uri, self.token_headers, body)
        status, text, _ = self.server.create_token_response(request)
        self.store.end_request()
        if status != 200:
            raise AssertionError(f"authlib token endpoint: {status} {text}")
        return json.loads(text)

    def client_credentials(self) -> str:
        return self._token(WORKLOAD.client_credentials_body)["access_token"]

    def validate(self, access_token: str) -> None:
        request = BenchRequest(
            "GET", WORKLOAD.issuer + "/resource", {"Authorization": "Bearer " + access_token}
        )
        self.protector.validate_request(["read"], request)
        self.store.end_request()

    def authorize(self) -> str:
        uri = f"{WORKLOAD.issuer}/authorize?{WORKLOAD.authorize_query}"
        request = BenchRequest("GET", uri, {})
        # The approving request (consent already given): one validation, one code.
        grant = self.server.get_authorization_grant(request)
        status, _, headers = self.server.create_authorization_response(
            request=request, grant_user=self.user, grant=grant
        )
        self.store.end_request()
        if status != 302:
            raise AssertionError(f"authlib authorize: {status} {headers}")
        return code_from_location(dict(headers)["Location"])

    def exchange(self, code: str) -> tuple[str, str]:
        data = self._token(WORKLOAD.code_exchange_body(code))
        return data["access_token"], data["refresh_token"]

    def refresh(self, refresh_token: str) -> str:
        return self._token(WORKLOAD.refresh_body(refresh_token))["refresh_token"]

    def revoke(self, token: str) -> None:
        request = BenchRequest(
            "POST", WORKLOAD.issuer + "/revoke", self.token_headers, WORKLOAD.revoke_body(token)
        )
        status, text, _ = self.server.create_endpoint_response("revocation", request)
        self.store.end_request()
        if status != 200:
            raise AssertionError(f"authlib revoke: {status} {text}")
