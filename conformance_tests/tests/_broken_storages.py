"""Deliberately broken backends: each breaks exactly one rule of the storage contract.

Every entry of ``BROKEN`` maps a name to ``(harness factory, check ID that must fail)``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from oauth2_conformance.harnesses.memory import MemoryHarness
from oauth2_conformance.services import free_port

from oauth2_core.errors import StorageUnavailable
from oauth2_core.models import (
    AlreadyConsumed,
    Client,
    Consumed,
    ConsumeResult,
    NotFound,
    RotateResult,
    Token,
)
from oauth2_core.storage.memory import MemoryStorage

#: Long enough for racing threads to interleave between the read and the write.
RACE_WINDOW = 0.002


class NonAtomicConsume(MemoryStorage):
    """Reads, then writes in a separate step: two callers can both see 'unconsumed'."""

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        with self.data.lock:
            code = self.data.codes.get(code_hash)
        if code is None or code.is_expired(now):
            return NotFound()
        if code.consumed_at is not None:
            return AlreadyConsumed(code)
        time.sleep(RACE_WINDOW)
        consumed = replace(code, consumed_at=now)
        with self.data.lock:
            self.data.codes[code_hash] = consumed
        return Consumed(consumed)


class ExpiredAccessReturned(MemoryStorage):
    """Relies on a TTL that has not fired yet: query_token ignores access_expires_at."""

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        with self.data.lock:
            token = self.data.tokens.get(access_token_hash)
        if token is None or token.revoked_at or token.rotated_at:
            return None
        return token


class RevocationIgnored(MemoryStorage):
    """revoke_token does nothing."""

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        return None


class FamilyNotRevoked(MemoryStorage):
    """revoke_grant retires the codes of the grant but forgets its tokens."""

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        with self.data.lock:
            for code_hash in self.data.grant_codes.get(grant_id, ()):
                code = self.data.codes[code_hash]
                if code.consumed_at is None:
                    self.data.codes[code_hash] = replace(code, consumed_at=now)


class RotationNotCAS(MemoryStorage):
    """Checks the old refresh token, then swaps in a second step (check-then-act)."""

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        with self.data.lock:
            old = self._by_refresh(refresh_token_hash, now)
        if old is None or not old.is_refresh_active(now):
            return super().rotate_refresh_token(refresh_token_hash, new_token, now=now)
        time.sleep(RACE_WINDOW)
        with self.data.lock:
            retired = old.retired(now=now, rotated=True)
            self._insert_token(new_token, now=now)
            self.data.tokens[old.access_token_hash] = retired
        from oauth2_core.models import Rotated  # noqa: PLC0415

        return Rotated(retired, new_token)


class RawTokenAtRest(MemoryStorage):
    """Keeps an 'audit trail' of its caller's context: bearer values end up stored."""

    def _audit(self) -> None:
        frame = sys._getframe(2)
        captured = []
        for _ in range(8):
            if frame is None:
                break
            captured += [v for v in frame.f_locals.values() if isinstance(v, str | dict)]
            frame = frame.f_back
        with self.data.lock:
            self.data.audit = [*getattr(self.data, "audit", []), repr(captured)]  # type: ignore[attr-defined]

    def save_token(self, token: Token, *, now: datetime) -> None:
        self._audit()
        super().save_token(token, now=now)

    def save_authorization_code(self, code: Any, *, now: datetime) -> None:
        self._audit()
        super().save_authorization_code(code, now=now)


class AuditHarness(MemoryHarness):
    def raw_dump(self, namespace: str) -> str:
        data = self._namespace(namespace)
        return super().raw_dump(namespace) + repr(getattr(data, "audit", []))


def _naive(record: Any) -> Any:
    changes = {
        f.name: value.astimezone(UTC).replace(tzinfo=None)
        for f in fields(record)
        if isinstance(value := getattr(record, f.name), datetime)
    }
    return replace(record, **changes)


class NaiveDatetimes(MemoryStorage):
    """Returns naive datetimes (a DATETIME column read without a zone)."""

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        token = super().query_token(access_token_hash, now=now)
        return _naive(token) if token else None

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        token = super().query_refresh_token(refresh_token_hash, now=now)
        return _naive(token) if token else None

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        result = super().consume_authorization_code(code_hash, now=now)
        if isinstance(result, Consumed | AlreadyConsumed):
            return type(result)(_naive(result.code))
        return result


class ScopeMangled(MemoryStorage):
    """Normalises scope strings on the way in (sorted, lower-cased)."""

    def save_token(self, token: Token, *, now: datetime) -> None:
        scope = " ".join(sorted(token.scope.lower().split()))
        super().save_token(replace(token, scope=scope), now=now)


class CaseInsensitiveClientIds(MemoryStorage):
    """Keys clients by lower-cased id (a case-insensitive collation)."""

    def query_client(self, client_id: str) -> Client | None:
        with self.data.lock:
            for key, client in self.data.clients.items():
                if key.lower() == client_id.lower():
                    return client
        return None


class ConsumeDeletesCode(MemoryStorage):
    """Deletes the code on consume: replays look like unknown codes."""

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        result = super().consume_authorization_code(code_hash, now=now)
        if isinstance(result, AlreadyConsumed):
            return NotFound()
        return result


class WallClockExpiry(MemoryStorage):
    """Evaluates code expiry against the wall clock instead of ``now``."""

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        return super().consume_authorization_code(code_hash, now=datetime.now(UTC))


class ClientUpsert(MemoryStorage):
    """save_client overwrites an existing client instead of raising DuplicateKey."""

    def save_client(self, client: Client) -> None:
        with self.data.lock:
            self.data.clients[client.client_id] = client


# -- unreachable stores ---------------------------------------------------------------------
def _dead_connection() -> None:
    """Connect to a closed loopback port: a real ConnectionRefusedError."""
    import socket  # noqa: PLC0415

    with socket.create_connection(("127.0.0.1", free_port()), timeout=1):
        pass


class DeadStore(MemoryStorage):
    """Every operation hits a closed port and raises StorageUnavailable, chained."""

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or name in {"capabilities", "data", "close"}:
            return attribute
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                _dead_connection()
            except OSError as exc:
                raise StorageUnavailable(f"{name}: store unreachable") from exc
            return attribute(*args, **kwargs)

        return call


class SwallowingDeadStore(MemoryStorage):
    """Catches the driver error and answers as if nothing were stored."""

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or name in {"capabilities", "data", "close"}:
            return attribute
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                _dead_connection()
            except OSError:
                return None
            return attribute(*args, **kwargs)

        return call


class UnreachableHooksHarness(MemoryHarness):
    """Memory harness offering ``make_unreachable_storage`` with a given dead store class."""

    def __init__(self, dead_class: type[MemoryStorage] = DeadStore) -> None:
        super().__init__()
        self.dead_class = dead_class

    def make_unreachable_storage(self) -> MemoryStorage:
        return self.dead_class()


class CannotConnectHarness(MemoryHarness):
    """A harness whose store does not answer at all (closed port)."""

    name = "cannot-connect"

    def make_storage(self, namespace: str) -> MemoryStorage:
        return DeadStore()


def make_cannot_connect(url: str | None = None) -> CannotConnectHarness:
    """A ``pkg.mod:factory`` for the CLI's ``--harness``."""
    return CannotConnectHarness()


class OutageMidRun(MemoryStorage):
    """The store goes away during token writes: infrastructure, not a contract failure."""

    def save_token(self, token: Token, *, now: datetime) -> None:
        try:
            _dead_connection()
        except OSError as exc:
            raise StorageUnavailable("connection lost") from exc


class NewGrantSaveOverwrites(MemoryStorage):
    """Offers ``save_new_grant_token`` but writes over whatever holds the digest."""

    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        with self.data.lock:
            self.data.tokens[token.access_token_hash] = token
            if token.refresh_token_hash is not None:
                self.data.refresh_index[token.refresh_token_hash] = token.access_token_hash
            self.data.grant_tokens.setdefault(token.grant_id, set()).add(token.access_token_hash)


def harness_of(storage_class: type[MemoryStorage]) -> Callable[[], MemoryHarness]:
    return lambda: MemoryHarness(storage_class)


#: name -> (factory, the check ID that must FAIL)
BROKEN: dict[str, tuple[Callable[[], MemoryHarness], str]] = {
    "non-atomic consume": (harness_of(NonAtomicConsume), "RACE-001"),
    "expired records returned": (harness_of(ExpiredAccessReturned), "EXP-003"),
    "revocation ignored": (harness_of(RevocationIgnored), "REV-001"),
    "family not revoked": (harness_of(FamilyNotRevoked), "REV-004"),
    "rotation not compare-and-swap": (harness_of(RotationNotCAS), "RACE-002"),
    "raw token at rest": (lambda: AuditHarness(RawTokenAtRest), "REST-001"),
    "naive datetimes": (harness_of(NaiveDatetimes), "PREC-001"),
    "scope mangled on round trip": (harness_of(ScopeMangled), "TOKEN-005"),
    "client ids case-insensitive": (harness_of(CaseInsensitiveClientIds), "CLIENT-003"),
    "driver error swallowed": (lambda: UnreachableHooksHarness(SwallowingDeadStore), "ERR-004"),
    "consume deletes the code": (harness_of(ConsumeDeletesCode), "CODE-002"),
    "expiry read from the wall clock": (harness_of(WallClockExpiry), "SKEW-001"),
    "client save is an upsert": (harness_of(ClientUpsert), "ERR-001"),
    "new-grant save overwrites": (harness_of(NewGrantSaveOverwrites), "TOKEN-006"),
}
