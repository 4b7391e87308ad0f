"""Authlib's hooks over redis-py: JSON values under one key per token, code and client.

Authlib ships no Redis integration; this is the direct way to write its hooks: a token is
one key by access token plus one index key by refresh token, both with a TTL, written in one
pipeline; codes are keys with a TTL, deleted after use (Authlib's delete hook).
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis

from bench.peers.authlib_records import CODE_LIFETIME, PeerClient, PeerCode, PeerToken

__all__ = ["RedisPeerStore"]

PREFIX = "authlib:"
REFRESH_LIFETIME = 14 * 24 * 3600


class RedisPeerStore:
    def __init__(self, client: Redis) -> None:
        self.redis = client

    def put_client(self, client: PeerClient) -> None:
        self.redis.set(PREFIX + "client:" + client.client_id, json.dumps(client.to_dict()))

    def get_client(self, client_id: str) -> PeerClient | None:
        raw = self.redis.get(PREFIX + "client:" + client_id)
        return PeerClient.from_dict(json.loads(raw)) if raw is not None else None

    def _write(self, item: PeerToken, pipe: Any) -> None:
        ttl = max(item.expires_in, REFRESH_LIFETIME if item.refresh_token else 0)
        pipe.set(PREFIX + "at:" + item.access_token, json.dumps(item.to_dict()), ex=ttl)
        if item.refresh_token:
            pipe.set(PREFIX + "rt:" + item.refresh_token, item.access_token, ex=ttl)

    def add_token(self, token: dict[str, Any], client_id: str, user_id: str | None) -> None:
        item = PeerToken(
            client_id=client_id, user_id=user_id, issued_at=int(time.time()),
            token_type=token["token_type"], access_token=token["access_token"],
            refresh_token=token.get("refresh_token"), scope=token.get("scope", ""),
            expires_in=token["expires_in"],
        )
        pipe = self.redis.pipeline(transaction=False)
        self._write(item, pipe)
        pipe.execute()

    def token_by_access(self, access_token: str) -> PeerToken | None:
        raw = self.redis.get(PREFIX + "at:" + access_token)
        return PeerToken.from_dict(json.loads(raw)) if raw is not None else None

    def token_by_refresh(self, refresh_token: str) -> PeerToken | None:
        access = self.redis.get(PREFIX + "rt:" + refresh_token)
        if access is None:
            return None
        return self.token_by_access(access if isinstance(access, str) else access.decode())

    def add_code(self, fields: dict[str, Any]) -> None:
        code = PeerCode(**fields)
        self.redis.set(PREFIX + "code:" + code.code, json.dumps(code.to_dict()), ex=CODE_LIFETIME)

    def code_for(self, code: str, client_id: str) -> PeerCode | None:
        raw = self.redis.get(PREFIX + "code:" + code)
        item = PeerCode.from_dict(json.loads(raw)) if raw is not None else None
        return item if item is not None and item.client_id == client_id else None

    def delete_code(self, code: PeerCode) -> None:
        self.redis.delete(PREFIX + "code:" + code.code)

    def revoke(self, token: PeerToken, *, access_only: bool) -> None:
        now = int(time.time())
        token.access_token_revoked_at = now
        if not access_only:
            token.refresh_token_revoked_at = now
        pipe = self.redis.pipeline(transaction=False)
        self._write(token, pipe)
        pipe.execute()

    def end_request(self) -> None:
        return None

    def close(self) -> None:
        for key in self.redis.scan_iter(PREFIX + "*", count=1000):
            self.redis.delete(key)
