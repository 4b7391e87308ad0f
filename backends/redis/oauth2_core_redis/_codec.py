"""Records as JSON objects of strings: instants as integer milliseconds since the epoch.

A code or token record is one string key holding this JSON (``_keys``); the single-node
access pointer carries the same text as its copy. Every value is a string: scripts compare
instants with ``tonumber`` and add a field by appending it to the text (``_scripts.RECORD``),
so no script re-encodes a record (``cjson`` would print numbers to 14 significant digits).
Integer milliseconds round-trip the engine's aware-UTC, millisecond-truncated instants
exactly, and scripts compare them with plain arithmetic (doubles are exact to 2**53).
``None`` is an absent field, so a script can test it for nil.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any

from oauth2_core.clock import from_epoch_ms, to_epoch_ms
from oauth2_core.models import AuthorizationCode, Client, Token

_CODE_INSTANTS = frozenset({"issued_at", "expires_at", "consumed_at"})
_TOKEN_INSTANTS = frozenset(
    {"issued_at", "access_expires_at", "refresh_expires_at", "revoked_at", "rotated_at"}
)

# One encoder for every call: ``json.dumps`` with options builds a new one each time.
_json = json.JSONEncoder(separators=(",", ":")).encode


def _fields_of(
    kind: type[Any], instants: frozenset[str]
) -> Callable[[Any], dict[str, str]]:
    """The record's fields as strings, in declaration order; names resolved once, not per
    record (``dataclasses.fields`` on every save cost a third of the encoding)."""
    names = tuple((spec.name, spec.name in instants) for spec in fields(kind))

    def encode(record: Any) -> dict[str, str]:
        encoded: dict[str, str] = {}
        for name, instant in names:
            value = getattr(record, name)
            if value is not None:
                encoded[name] = str(to_epoch_ms(value)) if instant else str(value)
        return encoded

    return encode


def _required(kind: type[Any]) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(kind) if spec.default is MISSING)


_CODE_REQUIRED = _required(AuthorizationCode)
_TOKEN_REQUIRED = _required(Token)
_code_fields = _fields_of(AuthorizationCode, _CODE_INSTANTS)
_token_fields = _fields_of(Token, _TOKEN_INSTANTS)


def _decode(text: str, required: tuple[str, ...], instants: frozenset[str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {
        name: from_epoch_ms(value) if name in instants else value
        for name, value in json.loads(text).items()
        if name[0] != "_"
    }
    for name in required:  # an absent field is None, even where None is not the default
        if name not in decoded:
            decoded[name] = None
    return decoded


def encode_code(code: AuthorizationCode) -> str:
    return _json(_code_fields(code))


def decode_code(text: str) -> AuthorizationCode:
    return AuthorizationCode(**_decode(text, _CODE_REQUIRED, _CODE_INSTANTS))


def encode_token(token: Token) -> str:
    encoded = _token_fields(token)
    # Scripts compare whole-record expiry without knowing which of the two expiries is later.
    encoded["_expires_at"] = str(to_epoch_ms(token.expires_at))
    return _json(encoded)


def decode_token(text: str) -> Token:
    return Token(**_decode(text, _TOKEN_REQUIRED, _TOKEN_INSTANTS))


def encode_client(client: Client) -> str:
    data: dict[str, Any] = {spec.name: getattr(client, spec.name) for spec in fields(client)}
    if client.created_at is not None:
        data["created_at"] = to_epoch_ms(client.created_at)
    data["redirect_uris"] = list(client.redirect_uris)
    data["grant_types"] = list(client.grant_types)
    data["response_types"] = list(client.response_types)
    return _json(data)


def decode_client(text: str) -> Client:
    data = json.loads(text)
    for name in ("redirect_uris", "grant_types", "response_types"):
        data[name] = tuple(data[name])
    if data.get("created_at") is not None:
        data["created_at"] = from_epoch_ms(data["created_at"])
    return Client(**data)


def text(value: Any) -> Any:
    """Replies as ``str`` whether or not the client was built with ``decode_responses``."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [text(item) for item in value]
    if isinstance(value, dict):
        return {text(k): text(v) for k, v in value.items()}
    return value

