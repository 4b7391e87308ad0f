"""Records <-> BSON documents.

Each record is one document keyed by its digest (``_id``), so every contract operation touches
a single document. ``expires_at`` holds the instant (on the engine's clock) the whole record,
tombstone included, may be forgotten; the storage adds ``reclaim_at``, the same instant on the
server's clock, for the TTL index (see ``_indexes``). Datetimes go through ``to_utc_ms`` on the
way in: BSON dates keep whole milliseconds and the driver would silently truncate anything finer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oauth2_core.clock import to_utc_ms
from oauth2_core.models import AuthorizationCode, Client, Token

__all__ = [
    "bson_time",
    "client_from_doc",
    "client_to_doc",
    "code_from_doc",
    "code_to_doc",
    "token_from_doc",
    "token_to_doc",
]

Document = dict[str, Any]


def bson_time(moment: datetime) -> datetime:
    """``moment`` as aware UTC at millisecond precision (what a BSON date keeps)."""
    return to_utc_ms(moment)


def _optional_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_utc_ms(moment)


def client_to_doc(client: Client) -> Document:
    return {
        "_id": client.client_id,
        "client_secret_hash": client.client_secret_hash,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "client_name": client.client_name,
        "can_introspect": client.can_introspect,
        "created_at": _optional_time(client.created_at),
    }


def client_from_doc(doc: Document) -> Client:
    return Client(
        client_id=doc["_id"],
        client_secret_hash=doc.get("client_secret_hash"),
        redirect_uris=tuple(doc.get("redirect_uris", ())),
        grant_types=tuple(doc.get("grant_types", ())),
        response_types=tuple(doc.get("response_types", ())),
        scope=doc.get("scope", ""),
        token_endpoint_auth_method=doc.get("token_endpoint_auth_method", "client_secret_basic"),
        client_name=doc.get("client_name", ""),
        can_introspect=bool(doc.get("can_introspect", False)),
        created_at=doc.get("created_at"),
    )


def code_to_doc(code: AuthorizationCode) -> Document:
    return {
        "_id": code.code_hash,
        "client_id": code.client_id,
        "user_id": code.user_id,
        "redirect_uri": code.redirect_uri,
        "scope": code.scope,
        "grant_id": code.grant_id,
        "issued_at": to_utc_ms(code.issued_at),
        "expires_at": to_utc_ms(code.expires_at),
        "code_challenge": code.code_challenge,
        "code_challenge_method": code.code_challenge_method,
        "consumed_at": _optional_time(code.consumed_at),
    }


def code_from_doc(doc: Document) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=doc["_id"],
        client_id=doc["client_id"],
        user_id=doc["user_id"],
        redirect_uri=doc.get("redirect_uri"),
        scope=doc["scope"],
        grant_id=doc["grant_id"],
        issued_at=doc["issued_at"],
        expires_at=doc["expires_at"],
        code_challenge=doc.get("code_challenge"),
        code_challenge_method=doc.get("code_challenge_method"),
        consumed_at=doc.get("consumed_at"),
    )


def token_to_doc(token: Token) -> Document:
    return {
        "_id": token.access_token_hash,
        "client_id": token.client_id,
        "scope": token.scope,
        "grant_id": token.grant_id,
        "grant_type": token.grant_type,
        "issued_at": to_utc_ms(token.issued_at),
        "access_expires_at": to_utc_ms(token.access_expires_at),
        "user_id": token.user_id,
        "refresh_token_hash": token.refresh_token_hash,
        "refresh_expires_at": _optional_time(token.refresh_expires_at),
        "token_type": token.token_type,
        "revoked_at": _optional_time(token.revoked_at),
        "rotated_at": _optional_time(token.rotated_at),
        # The record's own end of life, tombstone included (engine clock).
        "expires_at": to_utc_ms(token.expires_at),
    }


def token_from_doc(doc: Document) -> Token:
    return Token(
        access_token_hash=doc["_id"],
        client_id=doc["client_id"],
        scope=doc["scope"],
        grant_id=doc["grant_id"],
        grant_type=doc["grant_type"],
        issued_at=doc["issued_at"],
        access_expires_at=doc["access_expires_at"],
        user_id=doc.get("user_id"),
        refresh_token_hash=doc.get("refresh_token_hash"),
        refresh_expires_at=doc.get("refresh_expires_at"),
        token_type=doc.get("token_type", "Bearer"),
        revoked_at=doc.get("revoked_at"),
        rotated_at=doc.get("rotated_at"),
    )
