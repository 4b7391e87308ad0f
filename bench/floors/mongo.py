"""The floor on MongoDB: one command per round trip on the store's own pymongo database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from bench.workload import WORKLOAD

__all__ = ["MongoFloor"]


class MongoFloor:
    def __init__(self, database: Database[Any]) -> None:
        self.db = database
        for name in ("floor_client", "floor_token", "floor_code"):
            database.drop_collection(name)
        self.clients, self.tokens = database["floor_client"], database["floor_token"]
        self.codes = database["floor_code"]
        self.clients.insert_one({
            "_id": WORKLOAD.client_id, "secret_hash": "sha256$" + "0" * 64,
            "redirect_uris": [WORKLOAD.redirect_uri], "scope": WORKLOAD.scope,
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        })

    def _client(self) -> None:
        if self.clients.find_one({"_id": WORKLOAD.client_id}) is None:
            raise AssertionError("floor client missing")

    def _insert_token(self, refresh: bool) -> tuple[str, str]:
        access, refresh_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        self.tokens.insert_one({
            "_id": access, "client_id": WORKLOAD.client_id, "scope": WORKLOAD.scope,
            "grant_id": secrets.token_hex(16), "issued_at": now,
            "access_expires_at": now + timedelta(hours=1),
            "refresh_hash": refresh_token if refresh else None,
        })
        return access, refresh_token

    def client_credentials(self) -> str:
        self._client()
        return self._insert_token(refresh=False)[0]

    def validate(self, access_token: str) -> None:
        if self.tokens.find_one({"_id": access_token}) is None:
            raise AssertionError("floor token missing")

    def authorize(self) -> str:
        self._client()
        code, now = secrets.token_urlsafe(32), datetime.now(UTC)
        self.codes.insert_one({
            "_id": code, "client_id": WORKLOAD.client_id, "user_id": WORKLOAD.user_id,
            "redirect_uri": WORKLOAD.redirect_uri, "scope": WORKLOAD.scope,
            "grant_id": secrets.token_hex(16), "code_challenge": WORKLOAD.code_challenge,
            "expires_at": now + timedelta(seconds=60), "consumed_at": None,
        })
        return code

    def exchange(self, code: str) -> tuple[str, str]:
        self._client()
        consumed = self.codes.find_one_and_update(
            {"_id": code, "consumed_at": None}, {"$set": {"consumed_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )
        if consumed is None:
            raise AssertionError("floor code not consumed")
        return self._insert_token(refresh=True)

    def close(self) -> None:
        for name in ("floor_client", "floor_token", "floor_code"):
            self.db.drop_collection(name)
