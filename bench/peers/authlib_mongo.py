"""Authlib's hooks over pymongo: one collection per record type, indexed like the SQL models."""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from bench.peers.authlib_records import PeerClient, PeerCode, PeerToken

__all__ = ["MongoPeerStore"]


class MongoPeerStore:
    def __init__(self, database: Database[Any]) -> None:
        self.db = database
        for name in ("authlib_client", "authlib_token", "authlib_code"):
            database.drop_collection(name)
        self.clients = database["authlib_client"]
        self.tokens = database["authlib_token"]
        self.codes = database["authlib_code"]
        self.clients.create_index([("client_id", ASCENDING)], unique=True)
        self.tokens.create_index([("access_token", ASCENDING)], unique=True)
        self.tokens.create_index([("refresh_token", ASCENDING)])
        self.codes.create_index([("code", ASCENDING)], unique=True)

    def put_client(self, client: PeerClient) -> None:
        self.clients.insert_one(client.to_dict())

    def get_client(self, client_id: str) -> PeerClient | None:
        doc = self.clients.find_one({"client_id": client_id}, {"_id": 0})
        return PeerClient.from_dict(doc) if doc is not None else None

    def add_token(self, token: dict[str, Any], client_id: str, user_id: str | None) -> None:
        item = PeerToken(
            client_id=client_id, user_id=user_id, issued_at=int(time.time()),
            token_type=token["token_type"], access_token=token["access_token"],
            refresh_token=token.get("refresh_token"), scope=token.get("scope", ""),
            expires_in=token["expires_in"],
        )
        self.tokens.insert_one(item.to_dict())

    def token_by_access(self, access_token: str) -> PeerToken | None:
        doc = self.tokens.find_one({"access_token": access_token})
        return PeerToken.from_dict(doc) if doc is not None else None

    def token_by_refresh(self, refresh_token: str) -> PeerToken | None:
        doc = self.tokens.find_one({"refresh_token": refresh_token})
        return PeerToken.from_dict(doc) if doc is not None else None

    def add_code(self, fields: dict[str, Any]) -> None:
        self.codes.insert_one(dict(fields))

    def code_for(self, code: str, client_id: str) -> PeerCode | None:
        doc = self.codes.find_one({"code": code, "client_id": client_id})
        return PeerCode.from_dict(doc) if doc is not None else None

    def delete_code(self, code: PeerCode) -> None:
        self.codes.delete_one({"code": code.code})

    def revoke(self, token: PeerToken, *, access_only: bool) -> None:
        now = int(time.time())
        update = {"access_token_revoked_at": now}
        if not access_only:
            update["refresh_token_revoked_at"] = now
        self.tokens.update_one({"access_token": token.access_token}, {"$set": update})

    def end_request(self) -> None:
        return None

    def close(self) -> None:
        for name in ("authlib_client", "authlib_token", "authlib_code"):
            self.db.drop_collection(name)
