"""The floor on Redis: one command per round trip on the store's own redis-py client."""

from __future__ import annotations

import json
import secrets
import time

from redis import Redis

from bench.workload import WORKLOAD

__all__ = ["RedisFloor"]

PREFIX = "floor:"


class RedisFloor:
    def __init__(self, client: Redis) -> None:
        self.redis = client
        self.redis.set(PREFIX + "client:" + WORKLOAD.client_id, json.dumps({
            "client_id": WORKLOAD.client_id, "secret_hash": "sha256$" + "0" * 64,
            "redirect_uris": [WORKLOAD.redirect_uri], "scope": WORKLOAD.scope,
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        }))

    def _client(self) -> None:
        if self.redis.get(PREFIX + "client:" + WORKLOAD.client_id) is None:
            raise AssertionError("floor client missing")

    def _insert_token(self, refresh: bool) -> tuple[str, str]:
        access, refresh_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        value = json.dumps({
            "client_id": WORKLOAD.client_id, "scope": WORKLOAD.scope,
            "grant_id": secrets.token_hex(16), "issued_at": now, "access_expires_at": now + 3600,
            "refresh_hash": refresh_token if refresh else None,
        })
        self.redis.set(PREFIX + "at:" + access, value, ex=3600)
        return access, refresh_token

    def client_credentials(self) -> str:
        self._client()
        return self._insert_token(refresh=False)[0]

    def validate(self, access_token: str) -> None:
        if self.redis.get(PREFIX + "at:" + access_token) is None:
            raise AssertionError("floor token missing")

    def authorize(self) -> str:
        self._client()
        code = secrets.token_urlsafe(32)
        self.redis.set(PREFIX + "code:" + code, json.dumps({
            "client_id": WORKLOAD.client_id, "user_id": WORKLOAD.user_id,
            "redirect_uri": WORKLOAD.redirect_uri, "scope": WORKLOAD.scope,
            "grant_id": secrets.token_hex(16), "code_challenge": WORKLOAD.code_challenge,
        }), ex=60)
        return code

    def exchange(self, code: str) -> tuple[str, str]:
        self._client()
        if self.redis.getdel(PREFIX + "code:" + code) is None:  # atomic consume
            raise AssertionError("floor code not consumed")
        return self._insert_token(refresh=True)

    def close(self) -> None:
        for key in self.redis.scan_iter(PREFIX + "*", count=1000):
            self.redis.delete(key)
