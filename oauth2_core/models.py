"""Records that cross the storage boundary: frozen, digests only, aware UTC datetimes.

No model holds a bearer value. Codes and tokens are stored under a digest computed by the
engine (see ``oauth2_core.tokens``); client secrets under a digest string that names its
algorithm. Every datetime is timezone-aware UTC at millisecond precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

__all__ = [
    "AlreadyConsumed",
    "AuthorizationCode",
    "Client",
    "ConsumeResult",
    "Consumed",
    "NotFound",
    "Reused",
    "RotateResult",
    "Rotated",
    "Token",
]


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client (RFC 6749 section 2, RFC 7591 metadata names)."""

    client_id: str
    # ``None`` for public clients; otherwise a digest string from oauth2_core.tokens.
    client_secret_hash: str | None = None
    redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")
    response_types: tuple[str, ...] = ("code",)
    # Space-separated scopes the client may ask for; empty means "no scope restriction".
    scope: str = ""
    token_endpoint_auth_method: str = "client_secret_basic"
    client_name: str = ""
    # Lets a resource server introspect any token, not only its own (RFC 7662 section 2.1).
    can_introspect: bool = False
    created_at: datetime | None = None

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """An issued authorization code, keyed by its digest (bound to the client id)."""

    code_hash: str
    client_id: str
    user_id: str
    # The redirect_uri *sent* to the authorization endpoint, or None if it was omitted
    # (RFC 6749 section 4.1.3: then the token request must not need to repeat it).
    redirect_uri: str | None
    scope: str
    grant_id: str
    issued_at: datetime
    expires_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    consumed_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True, slots=True)
class Token:
    """An access token and, optionally, its refresh token, as one record of a grant family.

    A record is *retired* once revoked or rotated; it stays stored as a tombstone until
    ``expires_at`` so that replays of its refresh token are recognised as reuse.
    """

    access_token_hash: str
    client_id: str
    scope: str
    grant_id: str
    grant_type: str
    issued_at: datetime
    access_expires_at: datetime
    user_id: str | None = None
    refresh_token_hash: str | None = None
    refresh_expires_at: datetime | None = None
    token_type: str = "Bearer"
    revoked_at: datetime | None = None
    rotated_at: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """When the whole record, tombstone included, may be forgotten."""
        if self.refresh_expires_at is None:
            return self.access_expires_at
        return max(self.access_expires_at, self.refresh_expires_at)

    def is_access_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.rotated_at is None and now < self.access_expires_at

    def is_refresh_unexpired(self, now: datetime) -> bool:
        """The refresh token's lifetime has not ended, retired or not: what a refresh lookup
        returns, so that a rotated-out token is still recognised as a reuse."""
        return self.refresh_expires_at is not None and now < self.refresh_expires_at

    def is_refresh_active(self, now: datetime) -> bool:
        return (
            self.refresh_token_hash is not None
            and self.refresh_expires_at is not None
            and self.revoked_at is None
            and self.rotated_at is None
            and now < self.refresh_expires_at
        )

    def retired(self, *, now: datetime, rotated: bool = False) -> Token:
        if rotated:
            return replace(self, rotated_at=self.rotated_at or now)
        return replace(self, revoked_at=self.revoked_at or now)


@dataclass(frozen=True, slots=True)
class Consumed:
    """This caller won: the code was unconsumed and is now consumed (a tombstone)."""

    code: AuthorizationCode


@dataclass(frozen=True, slots=True)
class AlreadyConsumed:
    """The code exists but was consumed before: a replay (RFC 6749 section 4.1.2)."""

    code: AuthorizationCode


@dataclass(frozen=True, slots=True)
class NotFound:
    """No live record under that digest (unknown, expired, or purged)."""

    reason: str = field(default="not found", compare=False)


@dataclass(frozen=True, slots=True)
class Rotated:
    """The compare-and-swap succeeded: ``old`` is retired and ``new`` is stored."""

    old: Token
    new: Token


@dataclass(frozen=True, slots=True)
class Reused:
    """The refresh token was already rotated out or revoked: a reuse (RFC 9700 4.14.2)."""

    old: Token


ConsumeResult = Consumed | AlreadyConsumed | NotFound
RotateResult = Rotated | Reused | NotFound
