"""The storage contract: small role protocols every backend implements.

Every method that reads or writes codes and tokens receives ``now`` from the engine; a backend
never reads the wall clock. The MUST/SHOULD semantics of each method are written out in
``docs/storage-contract.md`` and checked by the conformance suite (``oauth2_conformance``).

Summary of the rules a backend keeps:
- Reads honour expiry at read time: a record whose expiry is ``<= now`` is never returned.
- ``consume_authorization_code`` is linearizable: exactly one caller gets ``Consumed``.
- ``rotate_refresh_token`` is a compare-and-swap on the old refresh token.
- ``revoke_grant`` retires a whole family in a bounded number of operations (no scans).
- Only digests are persisted. Driver failures raise ``StorageError`` subclasses, chained.
- Datetimes are aware UTC and round-trip with at least millisecond precision.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol, runtime_checkable

from oauth2_core.models import AuthorizationCode, Client, ConsumeResult, RotateResult, Token

__all__ = [
    "REVOKED_GRANT_MARK_SECONDS",
    "AuthorizationCodeStore",
    "Capability",
    "ClientLister",
    "ClientStore",
    "DeploymentChecks",
    "Maintenance",
    "NewGrantTokenStore",
    "SchemaManagement",
    "Storage",
    "TokenStore",
]


#: How long, after ``revoke_grant(now=T)`` by the engine's clock, saves of that grant must
#: still be stored revoked. Far longer than any in-flight exchange; short enough to forget.
REVOKED_GRANT_MARK_SECONDS = 600


class Capability(enum.Enum):
    """What a backend promises; the server refuses configurations that need more."""

    ATOMIC_CODE_CONSUME = "atomic_code_consume"
    CODE_REUSE_DETECTION = "code_reuse_detection"
    ATOMIC_REFRESH_ROTATION = "atomic_refresh_rotation"
    REVOCATION_CASCADE = "revocation_cascade"
    NATIVE_TTL = "native_ttl"
    PURGE = "purge"
    CLIENT_WRITE = "client_write"
    TRANSACTIONS = "transactions"


@runtime_checkable
class ClientStore(Protocol):
    def query_client(self, client_id: str) -> Client | None:
        """The client with exactly this id (case-sensitive), or None."""
        ...

    def save_client(self, client: Client) -> None:
        """Insert a new client. MUST raise ``DuplicateKey`` if the id exists."""
        ...

    def delete_client(self, client_id: str) -> None:
        """Remove a client; deleting an unknown id is not an error."""
        ...


@runtime_checkable
class AuthorizationCodeStore(Protocol):
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        """Store a new code. MUST raise ``DuplicateKey`` if the digest exists."""
        ...

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        """Atomically mark the code consumed.

        ``Consumed(code)`` to exactly one caller; ``AlreadyConsumed(code)`` to later callers
        while the tombstone lives (until ``code.expires_at``); ``NotFound()`` for unknown or
        expired codes. The returned code carries ``consumed_at``.
        """
        ...


@runtime_checkable
class TokenStore(Protocol):
    def save_token(self, token: Token, *, now: datetime) -> None:
        """Store a new token record. MUST raise ``DuplicateKey`` on a digest collision."""
        ...

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        """The record whose access token is active (not expired, revoked or rotated)."""
        ...

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        """The record holding this refresh token, while ``now < refresh_expires_at``.

        Retired records (rotated or revoked) ARE returned, so the engine can tell reuse from
        an unknown token; their ``rotated_at``/``revoked_at`` say why they are retired.
        """
        ...

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        """Compare-and-swap: retire the old record (``rotated_at = now``) and store
        ``new_token``, only if the old refresh token is still active.

        ``Rotated(old, new)`` to exactly one caller; ``Reused(old)`` if it was already rotated
        or revoked; ``NotFound()`` if unknown or expired. On ``Reused``/``NotFound`` nothing
        is written.
        """
        ...

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        """Retire the record whose access *or* refresh digest is ``token_hash``.

        Idempotent; unknown digests are not an error.
        """
        ...

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        """Retire every token of the grant and make its unconsumed codes unusable.

        Bounded work through an index on ``grant_id``, never a key-space scan. Idempotent.
        It also leaves a mark: for at least ``REVOKED_GRANT_MARK_SECONDS`` after ``now``, a
        ``save_token`` of that grant stores the record already revoked, even when the save
        runs concurrently with this call. (A code replay racing the winning exchange revokes
        the winner's tokens although they are saved after the cascade.)
        """
        ...


@runtime_checkable
class Maintenance(Protocol):
    def purge_expired(self, *, now: datetime, batch_size: int = 1000) -> int:
        """Delete records whose ``expires_at <= now``, in batches; return how many.

        MUST NOT delete a consumed code or rotated token before its own expiry.
        """
        ...


@runtime_checkable
class Storage(ClientStore, AuthorizationCodeStore, TokenStore, Protocol):
    """What ``AuthorizationServer`` needs: the three stores plus a capability set."""

    capabilities: frozenset[Capability]

    def close(self) -> None:
        """Release connections; the handle is unusable afterwards."""
        ...


@runtime_checkable
class SchemaManagement(Protocol):
    """Optional: a backend whose store needs preparing (tables, indexes)."""

    def upgrade_schema(self) -> None:
        """Bring the store's schema up to date; idempotent (SQL: migrations; Mongo: indexes)."""
        ...


@runtime_checkable
class DeploymentChecks(Protocol):
    """Optional: a backend that can tell when the store's settings put data at risk."""

    def deployment_warnings(self) -> list[str]:
        """Human-readable warnings (e.g. Redis eviction policy); empty when all is safe."""
        ...


@runtime_checkable
class ClientLister(Protocol):
    """Optional: a backend that can enumerate its registered clients (administration only,
    never on a request path)."""

    def list_clients(self) -> list[Client]:
        """Every registered client, in no particular order."""
        ...


@runtime_checkable
class NewGrantTokenStore(Protocol):
    """Optional: a cheaper save for the first token of a grant the engine just created."""

    def save_new_grant_token(self, token: Token, *, now: datetime) -> None:
        """``save_token`` for a record whose ``grant_id`` the engine generated for this save
        (client_credentials, password): nobody holds anything of that grant yet, so no
        ``revoke_grant`` can have marked it and the mark need not be read. Every other rule
        of ``save_token`` holds (``DuplicateKey`` on a digest collision)."""
        ...
