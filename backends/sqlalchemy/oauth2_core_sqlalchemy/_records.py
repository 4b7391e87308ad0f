"""Rows to frozen records and back; the only place that knows both shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from oauth2_core.models import AuthorizationCode, Client, Token

__all__ = [
    "client_from_row",
    "client_values",
    "code_from_row",
    "code_values",
    "token_from_row",
    "token_values",
]


def _user_id_for(column: sa.Column[Any], user_id: str | None) -> Any:
    # Applications' own models may key users by integer (the seed's ``user_id`` foreign key).
    if user_id is None or column.type.python_type is str:
        return user_id
    return column.type.python_type(user_id)


def _user_id_from(value: Any) -> str | None:
    return None if value is None else str(value)


def client_values(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "client_secret_hash": client.client_secret_hash,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "response_types": client.response_types,
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "client_name": client.client_name,
        "can_introspect": client.can_introspect,
        "created_at": client.created_at,
    }


def client_from_row(row: Mapping[Any, Any]) -> Client:
    return Client(
        client_id=row["client_id"],
        client_secret_hash=row["client_secret_hash"],
        redirect_uris=tuple(row["redirect_uris"]),
        grant_types=tuple(row["grant_types"]),
        response_types=tuple(row["response_types"]),
        scope=row["scope"],
        token_endpoint_auth_method=row["token_endpoint_auth_method"],
        client_name=row["client_name"],
        can_introspect=bool(row["can_introspect"]),
        created_at=row["created_at"],
    )


def code_values(table: sa.Table, code: AuthorizationCode) -> dict[str, Any]:
    return {
        "code_hash": code.code_hash,
        "client_id": code.client_id,
        "user_id": _user_id_for(table.c.user_id, code.user_id),
        "redirect_uri": code.redirect_uri,
        "scope": code.scope,
        "grant_id": code.grant_id,
        "issued_at": code.issued_at,
        "expires_at": code.expires_at,
        "code_challenge": code.code_challenge,
        "code_challenge_method": code.code_challenge_method,
        "consumed_at": code.consumed_at,
    }


def code_from_row(row: Mapping[Any, Any]) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row["code_hash"],
        client_id=row["client_id"],
        user_id=str(row["user_id"]),
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        grant_id=row["grant_id"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        consumed_at=row["consumed_at"],
    )


def token_values(table: sa.Table, token: Token) -> dict[str, Any]:
    return {
        "access_token_hash": token.access_token_hash,
        "refresh_token_hash": token.refresh_token_hash,
        "client_id": token.client_id,
        "user_id": _user_id_for(table.c.user_id, token.user_id),
        "scope": token.scope,
        "grant_id": token.grant_id,
        "grant_type": token.grant_type,
        "token_type": token.token_type,
        "issued_at": token.issued_at,
        "access_expires_at": token.access_expires_at,
        "refresh_expires_at": token.refresh_expires_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "rotated_at": token.rotated_at,
    }


def token_from_row(row: Mapping[Any, Any]) -> Token:
    return Token(
        access_token_hash=row["access_token_hash"],
        refresh_token_hash=row["refresh_token_hash"],
        client_id=row["client_id"],
        user_id=_user_id_from(row["user_id"]),
        scope=row["scope"],
        grant_id=row["grant_id"],
        grant_type=row["grant_type"],
        token_type=row["token_type"],
        issued_at=row["issued_at"],
        access_expires_at=row["access_expires_at"],
        refresh_expires_at=row["refresh_expires_at"],
        revoked_at=row["revoked_at"],
        rotated_at=row["rotated_at"],
    )
