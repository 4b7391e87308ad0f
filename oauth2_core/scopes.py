"""Scope syntax and rules (RFC 6749 section 3.3)."""

from __future__ import annotations

from functools import lru_cache

from oauth2_core.config import ServerConfig
from oauth2_core.errors import InvalidScopeError
from oauth2_core.models import Client
from oauth2_core.requests import CACHEABLE_LENGTH

__all__ = ["has_scopes", "is_valid_scope_token", "normalize_scope", "resolve_scope"]

# scope-token = 1*NQCHAR; NQCHAR = %x21 / %x23-5B / %x5D-7E
_NQCHAR = frozenset(chr(c) for c in range(0x21, 0x7F) if c not in (0x22, 0x5C))


def is_valid_scope_token(token: str) -> bool:
    return bool(token) and _NQCHAR.issuperset(token)


def normalize_scope(text: str) -> tuple[str, ...]:
    """Split a scope string into unique tokens, in order; invalid_scope on bad syntax."""
    tokens = [token for token in text.split(" ") if token]
    for token in tokens:
        if not _NQCHAR.issuperset(token):
            raise InvalidScopeError("scope contains characters outside the RFC 6749 set")
    if len(set(tokens)) != len(tokens):
        tokens = list(dict.fromkeys(tokens))
    return tuple(tokens)


@lru_cache(maxsize=1024)
def _allowed(scope: str) -> frozenset[str]:
    return frozenset(scope.split())


def resolve_scope(requested: str | None, client: Client, config: ServerConfig) -> str:
    """The scope to grant: the request's, else the server default, else the client's own.

    Every token must be in the client's registered scope (when it has one) and in
    ``scopes_supported`` (when configured); otherwise ``invalid_scope``.
    """
    if requested is None:
        requested = config.default_scope or client.scope
    if len(requested) > CACHEABLE_LENGTH:
        return _resolve.__wrapped__(requested, client.scope, config.scopes_supported)
    return _resolve(requested, client.scope, config.scopes_supported)


@lru_cache(maxsize=1024)
def _resolve(requested: str, client_scope: str, supported: tuple[str, ...]) -> str:
    # Cached: a deployment sees few distinct (requested, registered) scope pairs. Errors
    # are raised, not cached.
    tokens = normalize_scope(requested)
    if client_scope and not _allowed(client_scope).issuperset(tokens):
        raise InvalidScopeError("requested scope exceeds the scope registered for the client")
    if supported and not frozenset(supported).issuperset(tokens):
        raise InvalidScopeError("requested scope is not supported by this server")
    return " ".join(tokens)


def has_scopes(granted: str, required: str) -> bool:
    """True when every token of ``required`` is in ``granted``."""
    return _allowed(granted).issuperset(required.split())
