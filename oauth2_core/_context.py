"""What every grant and endpoint needs from the server, in one small object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from oauth2_core.clock import Clock
from oauth2_core.config import ServerConfig
from oauth2_core.storage.protocols import Storage

__all__ = ["EngineContext", "user_id_of"]


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


def user_id_of(user: Any) -> str:
    """The id the engine stores for a resource owner: ``get_user_id()`` or a plain str."""
    if isinstance(user, str):
        return user
    get_user_id = getattr(user, "get_user_id", None)
    if get_user_id is None:
        raise TypeError("a resource owner is a str id or an object with get_user_id()")
    return str(get_user_id())
