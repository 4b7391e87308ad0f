"""Rows to frozen records and back; the only place that knows both shapes.

The request path reads rows positionally: its statements select a record's columns in the
order of the record's fields (``*_FIELDS``) and ``*_from_values`` hands them straight to the
constructor. Building a mapping and reading it back by key cost as much as SQLite's own
lookup (issue 9's profiles). ``*_from_row`` reads a Core mapping (administration, and the
rotation statements that run through Core).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from oauth2_core.models import AuthorizationCode, Client, Token

__all__ = [
    "CLIENT_FIELDS",
    "CODE_FIELDS",
    "TOKEN_FIELDS",
    "client_from_row",
    "client_from_values",
    "client_values",
    "code_from_values",
    "code_values",
    "token_from_row",
    "token_from_values",
    "token_values",
]


def _field_names(model: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(model))


# Column keys in constructor order (each contract column is named after its record's field).
CLIENT_FIELDS = _field_names(Client)
CODE_FIELDS = _field_names(AuthorizationCode)
TOKEN_FIELDS = _field_names(Token)
_CODE_USER = CODE_FIELDS.index("user_id")
_TOKEN_USER = TOKEN_FIELDS.index("user_id")


def _user_id_for(column: sa.Column[Any], user_id: str | None) -> Any:
    # Applications' own models may key users by integer (the seed's ``user_id`` foreign key).
    if user_id is None or column.type.python_type is str:
        return user_id
    return column.type.python_type(user_id)


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


def client_from_values(values: Sequence[Any]) -> Client:
    (
        client_id,
        secret_hash,
        redirect_uris,
        grant_types,
        response_types,
        scope,
        auth_method,
        name,
        can_introspect,
        created_at,
    ) = values
    return Client(
        client_id,
        secret_hash,
        tuple(redirect_uris),
        tuple(grant_types),
        tuple(response_types),
        scope,
        auth_method,
        name,
        bool(can_introspect),
        created_at,
    )


def client_from_row(row: Mapping[Any, Any]) -> Client:
    return client_from_values([row[name] for name in CLIENT_FIELDS])


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


def code_from_values(values: Sequence[Any]) -> AuthorizationCode:
    fields = list(values)
    fields[_CODE_USER] = str(fields[_CODE_USER])
    return AuthorizationCode(*fields)


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


def token_from_values(values: Sequence[Any]) -> Token:
    user_id = values[_TOKEN_USER]
    if user_id is None or type(user_id) is str:
        return Token(*values)
    fields = list(values)
    fields[_TOKEN_USER] = str(user_id)
    return Token(*fields)


def token_from_row(row: Mapping[Any, Any]) -> Token:
    return token_from_values([row[name] for name in TOKEN_FIELDS])
