"""What every grant and endpoint needs from the server, in one small object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.models import Token
from oauth2_core.storage.protocols import NewGrantTokenStore, Storage

__all__ = ["EngineContext", "SaveToken", "new_grant_saver", "user_id_of"]


class SaveToken(Protocol):
    def __call__(self, token: Token, *, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class EngineContext:
    storage: Storage
    config: ServerConfig
    clock: Clock
    issuer: str
    # False when the refresh_token grant is off or refresh_token_generator is False.
    issue_refresh_tokens: bool
    # Access-token lifetime per grant type, computed once: (seconds, timedelta).
    access_lifetimes: Mapping[str, tuple[int, timedelta]]
    refresh_lifetime: timedelta
    code_lifetime: timedelta
    # How the first token of a grant created by this very request is saved (see
    # ``new_grant_saver``).
    save_new_grant_token: SaveToken


def new_grant_saver(storage: Storage) -> SaveToken:
    """``storage.save_new_grant_token`` when the backend has it (``NewGrantTokenStore``: it
    skips reading the revoked-grant mark, a round trip on some stores), else ``save_token``.
    Decided once per server: a protocol ``isinstance`` costs microseconds per call."""
    if isinstance(storage, NewGrantTokenStore):
        return storage.save_new_grant_token
    return storage.save_token


def user_id_of(user: Any) -> str:
    """The id the engine stores for a resource owner: ``get_user_id()`` or a plain str."""
    if isinstance(user, str):
        return user
    get_user_id = getattr(user, "get_user_id", None)
    if get_user_id is None:
        raise TypeError("a resource owner is a str id or an object with get_user_id()")
    return str(get_user_id())
