"""Authlib's hooks over plain dicts: the in-process peer of oauth2-core's memory store."""

from __future__ import annotations

import time
from typing import Any

from bench.peers.authlib_records import PeerClient, PeerCode, PeerToken

__all__ = ["MemoryPeerStore"]


class MemoryPeerStore:
    def __init__(self) -> None:
        self.clients: dict[str, PeerClient] = {}
        self.tokens: dict[str, PeerToken] = {}
        self.refresh: dict[str, PeerToken] = {}
        self.codes: dict[str, PeerCode] = {}

    def put_client(self, client: PeerClient) -> None:
        self.clients[client.client_id] = client

    def get_client(self, client_id: str) -> PeerClient | None:
        return self.clients.get(client_id)

    def add_token(self, token: dict[str, Any], client_id: str, user_id: str | None) -> None:
        item = PeerToken(
            client_id=client_id, user_id=user_id, issued_at=int(time.time()),
            token_type=token["token_type"], access_token=token["access_token"],
            refresh_token=token.get("refresh_token"), scope=token.get("scope", ""),
            expires_in=token["expires_in"],
        )
        self.tokens[item.access_token] = item
        if item.refresh_token:
            self.refresh[item.refresh_token] = item

    def token_by_access(self, access_token: str) -> PeerToken | None:
        return self.tokens.get(access_token)

    def token_by_refresh(self, refresh_token: str) -> PeerToken | None:
        return self.refresh.get(refresh_token)

    def add_code(self, fields: dict[str, Any]) -> None:
        self.codes[fields["code"]] = PeerCode(**fields)

    def code_for(self, code: str, client_id: str) -> PeerCode | None:
        item = self.codes.get(code)
        return item if item is not None and item.client_id == client_id else None

    def delete_code(self, code: PeerCode) -> None:
        self.codes.pop(code.code, None)

    def revoke(self, token: PeerToken, *, access_only: bool) -> None:
        now = int(time.time())
        token.access_token_revoked_at = now
        if not access_only:
            token.refresh_token_revoked_at = now

    def end_request(self) -> None:
        return None
