"""Records as Redis hash fields: instants as integer milliseconds since the epoch.

Integer milliseconds round-trip the engine's aware-UTC, millisecond-truncated instants
exactly, and Lua scripts compare them with plain arithmetic (doubles are exact to 2**53).
``None`` is an absent field, so a script can test ``HGET`` for nil.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from typing import Any

from oauth2_core.clock import from_epoch_ms, to_epoch_ms
from oauth2_core.models import AuthorizationCode, Client, Token

_CODE_INSTANTS = frozenset({"issued_at", "expires_at", "consumed_at"})
_TOKEN_INSTANTS = frozenset(
    {"issued_at", "access_expires_at", "refresh_expires_at", "revoked_at", "rotated_at"}
)


def _encode(record: Any, instants: frozenset[str]) -> dict[str, str]:
    encoded: dict[str, str] = {}
    for spec in fields(record):
        value = getattr(record, spec.name)
        if value is None:
            continue
        encoded[spec.name] = str(to_epoch_ms(value)) if spec.name in instants else str(value)
    return encoded


def _required(kind: type[Any]) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(kind) if spec.default is MISSING)


_CODE_REQUIRED = _required(AuthorizationCode)
_TOKEN_REQUIRED = _required(Token)

# Every hash field a record may have, in the order the encoders write them.
CODE_FIELDS = tuple(spec.name for spec in fields(AuthorizationCode))
TOKEN_FIELDS = (*(spec.name for spec in fields(Token)), "_expires_at")


def _decode(
    raw: dict[str, str], required: tuple[str, ...], instants: frozenset[str]
) -> dict[str, Any]:
    decoded: dict[str, Any] = {
        name: from_epoch_ms(value) if name in instants else value
        for name, value in raw.items()
        if name[0] != "_"
    }
    for name in required:  # an absent field is None, even where None is not the default
        if name not in decoded:
            decoded[name] = None
    return decoded


def encode_code(code: AuthorizationCode) -> dict[str, str]:
    return _encode(code, _CODE_INSTANTS)


def decode_code(raw: dict[str, str]) -> AuthorizationCode:
    return AuthorizationCode(**_decode(raw, _CODE_REQUIRED, _CODE_INSTANTS))


def encode_token(token: Token) -> dict[str, str]:
    encoded = _encode(token, _TOKEN_INSTANTS)
    # Scripts compare whole-record expiry without knowing which of the two expiries is later.
    encoded["_expires_at"] = str(to_epoch_ms(token.expires_at))
    return encoded


def decode_token(raw: dict[str, str]) -> Token:
    return Token(**_decode(raw, _TOKEN_REQUIRED, _TOKEN_INSTANTS))


def encode_client(client: Client) -> str:
    data: dict[str, Any] = {spec.name: getattr(client, spec.name) for spec in fields(client)}
    if client.created_at is not None:
        data["created_at"] = to_epoch_ms(client.created_at)
    data["redirect_uris"] = list(client.redirect_uris)
    data["grant_types"] = list(client.grant_types)
    data["response_types"] = list(client.response_types)
    return json.dumps(data, separators=(",", ":"))


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


def pairs(flat: list[str]) -> dict[str, str]:
    """A Lua ``HGETALL`` reply (a flat list) as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))
