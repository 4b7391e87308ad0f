"""``MemoryStorage``: the reference backend, thread-safe, whole contract, no dependencies.

One lock guards one ``MemoryData``; several ``MemoryStorage`` handles may share the same data
(the conformance harness opens one handle per thread). Every operation is a single critical
section, which is what makes consume and rotate linearizable here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from oauth2_core.errors import DuplicateKey
from oauth2_core.models import (
    AlreadyConsumed,
    AuthorizationCode,
    Client,
    Consumed,
    ConsumeResult,
    NotFound,
    Reused,
    Rotated,
    RotateResult,
    Token,
)
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS, Capability

__all__ = ["MemoryData", "MemoryStorage", "open_memory_storage"]

_Record = TypeVar("_Record", Client, AuthorizationCode, Token)
_DATETIME_FIELDS: dict[type, tuple[str, ...]] = {
    model: tuple(f.name for f in fields(model) if "datetime" in str(f.type))
    for model in (Client, AuthorizationCode, Token)
}


def _as_utc(record: _Record) -> _Record:
    """The contract returns aware UTC whatever zone a caller used; the engine passes UTC,
    so the common case is one attribute check per datetime field and no copy."""
    changes: dict[str, Any] = {}
    for name in _DATETIME_FIELDS[type(record)]:
        value = getattr(record, name)
        if value is not None and value.tzinfo is not UTC and value.tzinfo is not None:
            changes[name] = value.astimezone(UTC)
    return replace(record, **changes) if changes else record


@dataclass
class MemoryData:
    """The shared state behind one or more ``MemoryStorage`` handles."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)  # by access token digest
    refresh_index: dict[str, str] = field(default_factory=dict)  # refresh digest -> access digest
    grant_tokens: dict[str, set[str]] = field(default_factory=dict)  # grant id -> access digests
    grant_codes: dict[str, set[str]] = field(default_factory=dict)  # grant id -> code digests
    # grant id -> until when saves of that grant are stored revoked (revoke_grant's mark)
    revoked_grants: dict[str, datetime] = field(default_factory=dict)


class MemoryStorage:
    """In-process storage implementing the whole contract."""

    capabilities: frozenset[Capability] = frozenset(Capability) - {Capability.NATIVE_TTL}

    def __init__(self, data: MemoryData | None = None) -> None:
        self.data = data if data is not None else MemoryData()

    # -- clients -------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        with self.data.lock:
            return self.data.clients.get(client_id)

    def save_client(self, client: Client) -> None:
        with self.data.lock:
            if client.client_id in self.data.clients:
                raise DuplicateKey(f"client {client.client_id!r} already exists")
            self.data.clients[client.client_id] = _as_utc(client)

    def delete_client(self, client_id: str) -> None:
        with self.data.lock:
            self.data.clients.pop(client_id, None)

    def list_clients(self) -> list[Client]:
        with self.data.lock:
            return list(self.data.clients.values())

    # -- authorization codes -------------------------------------------------------------
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        with self.data.lock:
            existing = self.data.codes.get(code.code_hash)
            if existing is not None and not existing.is_expired(now):
                raise DuplicateKey("authorization code digest already exists")
            self.data.codes[code.code_hash] = _as_utc(code)
            self.data.grant_codes.setdefault(code.grant_id, set()).add(code.code_hash)

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        with self.data.lock:
            code = self.data.codes.get(code_hash)
            if code is None or code.is_expired(now):
                return NotFound()
            if code.consumed_at is not None:
                return AlreadyConsumed(code)
            consumed = replace(code, consumed_at=now.astimezone(UTC))
            self.data.codes[code_hash] = consumed
            return Consumed(consumed)

    # -- tokens --------------------------------------------------------------------------
    def save_token(self, token: Token, *, now: datetime) -> None:
        with self.data.lock:
            self._insert_token(token, now=now)

    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        """``NewGrantTokenStore`` (here only to show the contract: a dict lookup is free)."""
        with self.data.lock:
            self._insert_token(token, now=now, new_grant=True)

    def _insert_token(self, token: Token, *, now: datetime, new_grant: bool = False) -> None:
        data = self.data
        token = _as_utc(token)
        marked_until = None if new_grant else data.revoked_grants.get(token.grant_id)
        if marked_until is not None and now < marked_until:
            token = token.retired(now=now.astimezone(UTC))
        existing = data.tokens.get(token.access_token_hash)
        if existing is not None and existing.expires_at > now:
            raise DuplicateKey("access token digest already exists")
        if token.refresh_token_hash is not None:
            other = data.refresh_index.get(token.refresh_token_hash)
            if other is not None and other in data.tokens and data.tokens[other].expires_at > now:
                raise DuplicateKey("refresh token digest already exists")
            data.refresh_index[token.refresh_token_hash] = token.access_token_hash
        data.tokens[token.access_token_hash] = token
        data.grant_tokens.setdefault(token.grant_id, set()).add(token.access_token_hash)

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        with self.data.lock:
            token = self.data.tokens.get(access_token_hash)
            if token is None or not token.is_access_active(now):
                return None
            return token

    def _by_refresh(self, refresh_token_hash: str, now: datetime) -> Token | None:
        access_hash = self.data.refresh_index.get(refresh_token_hash)
        token = self.data.tokens.get(access_hash) if access_hash is not None else None
        return token if token is not None and token.is_refresh_unexpired(now) else None

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        with self.data.lock:
            return self._by_refresh(refresh_token_hash, now)

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        with self.data.lock:
            old = self._by_refresh(refresh_token_hash, now)
            if old is None:
                return NotFound()
            if not old.is_refresh_active(now):
                return Reused(old)
            retired = old.retired(now=now.astimezone(UTC), rotated=True)
            self._insert_token(new_token, now=now)
            self.data.tokens[old.access_token_hash] = retired
            return Rotated(retired, self.data.tokens[new_token.access_token_hash])

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        now = now.astimezone(UTC)
        with self.data.lock:
            access_hash = self.data.refresh_index.get(token_hash, token_hash)
            token = self.data.tokens.get(access_hash)
            if token is not None:
                self.data.tokens[access_hash] = token.retired(now=now)

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        now = now.astimezone(UTC)
        with self.data.lock:
            until = now + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)
            self.data.revoked_grants[grant_id] = max(
                until, self.data.revoked_grants.get(grant_id, until)
            )
            for access_hash in self.data.grant_tokens.get(grant_id, ()):
                token = self.data.tokens.get(access_hash)
                if token is not None:
                    self.data.tokens[access_hash] = token.retired(now=now)
            for code_hash in self.data.grant_codes.get(grant_id, ()):
                code = self.data.codes.get(code_hash)
                if code is not None and code.consumed_at is None:
                    self.data.codes[code_hash] = replace(code, consumed_at=now)

    # -- maintenance ---------------------------------------------------------------------
    def purge_expired(self, *, now: datetime, batch_size: int = 1000) -> int:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        purged = 0
        while True:
            with self.data.lock:
                batch = self._purge_batch(now, batch_size)
            purged += batch
            if batch < batch_size:
                return purged

    def _purge_batch(self, now: datetime, batch_size: int) -> int:
        data = self.data
        for grant_id in [g for g, until in data.revoked_grants.items() if until <= now]:
            del data.revoked_grants[grant_id]  # marks are not records: not counted
        removed = 0
        for code_hash in [h for h, c in data.codes.items() if c.expires_at <= now][:batch_size]:
            code = data.codes.pop(code_hash)
            _discard(data.grant_codes, code.grant_id, code_hash)
            removed += 1
        room = batch_size - removed
        expired = [h for h, t in data.tokens.items() if t.expires_at <= now][:room]
        for access_hash in expired:
            token = data.tokens.pop(access_hash)
            if token.refresh_token_hash is not None:
                data.refresh_index.pop(token.refresh_token_hash, None)
            _discard(data.grant_tokens, token.grant_id, access_hash)
            removed += 1
        return removed

    def close(self) -> None:
        """Nothing to release; the data stays with any other handle that shares it."""


def _discard(index: dict[str, set[str]], key: str, member: str) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(member)
        if not members:
            del index[key]


_NAMED: dict[str, MemoryData] = {}
_NAMED_LOCK = threading.Lock()


def open_memory_storage(url: str) -> MemoryStorage:
    """``memory://`` gives fresh data; ``memory://NAME`` shares data by name in this process."""
    name = urlsplit(url).netloc or urlsplit(url).path.strip("/")
    if not name:
        return MemoryStorage()
    with _NAMED_LOCK:
        data = _NAMED.setdefault(name, MemoryData())
    return MemoryStorage(data)
