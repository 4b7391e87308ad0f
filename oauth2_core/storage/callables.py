"""``CallableStorage``: the seed API's function style (``query_client=``, ``save_token=``)
as a storage whose ``capabilities`` say only what plain callables can promise.

Each callable does one simple thing on the application's own tables; this wrapper keeps the
contract's read-time rules (expiry, retirement) itself, so a callable never needs ``now`` to
answer a read. Writes that record an instant (revocation, consumption, rotation) receive it
as the ``now`` keyword, exactly as the contract passes it.

What a bare ``query_client`` + ``save_token`` pair cannot promise is an atomic single-use
code or an atomic refresh rotation; those capabilities are declared only when the
application supplies the operation AND asserts, through ``capabilities=``, that its
implementation is atomic. The server then refuses, at construction, grants that need more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from oauth2_core.errors import ConfigurationError
from oauth2_core.models import (
    AuthorizationCode,
    Client,
    ConsumeResult,
    NotFound,
    RotateResult,
    Token,
)
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS, Capability

__all__ = ["CALLABLE_NAMES", "CallableStorage"]

_OPTIONAL: tuple[str, ...] = (
    "save_client",
    "delete_client",
    "save_authorization_code",
    "consume_authorization_code",
    "query_token",
    "query_refresh_token",
    "rotate_refresh_token",
    "revoke_token",
    "revoke_grant",
)
CALLABLE_NAMES: tuple[str, ...] = ("query_client", "save_token", *_OPTIONAL)

# What each capability rests on. Capabilities marked ``asserted`` are promises about how the
# callable is implemented (atomicity), which only the application can make.
_CAPABILITY_NEEDS: dict[Capability, tuple[tuple[str, ...], bool]] = {
    Capability.CLIENT_WRITE: (("save_client", "delete_client"), False),
    Capability.REVOCATION_CASCADE: (("revoke_grant",), False),
    Capability.ATOMIC_CODE_CONSUME: (
        ("save_authorization_code", "consume_authorization_code"), True),
    Capability.CODE_REUSE_DETECTION: (
        ("save_authorization_code", "consume_authorization_code"), True),
    Capability.ATOMIC_REFRESH_ROTATION: (("query_refresh_token", "rotate_refresh_token"), True),
    Capability.NATIVE_TTL: ((), True),
    Capability.TRANSACTIONS: ((), True),
}


class CallableStorage:
    """A storage built from the application's functions.

    Required: ``query_client(client_id) -> Client | None`` and ``save_token(token) -> None``.
    Optional (each enables what needs it): ``query_token(access_token_hash)``,
    ``query_refresh_token(refresh_token_hash)``, ``revoke_token(token_hash, *, now)``,
    ``revoke_grant(grant_id, *, now)``, ``save_client(client)``, ``delete_client(client_id)``,
    ``save_authorization_code(code)``, ``consume_authorization_code(code_hash, *, now)``,
    ``rotate_refresh_token(refresh_token_hash, new_token, *, now)``.

    ``capabilities`` lists what the application asserts its callables guarantee (for example
    ``{Capability.ATOMIC_CODE_CONSUME, Capability.CODE_REUSE_DETECTION}`` for a
    ``consume_authorization_code`` built on one conditional UPDATE). Capabilities that follow
    from the callables' mere presence (client writes, revocation cascade) need not be listed.
    """

    def __init__(
        self,
        *,
        query_client: Callable[[str], Client | None],
        save_token: Callable[[Token], Any],
        capabilities: Iterable[Capability] = (),
        **callables: Callable[..., Any] | None,
    ) -> None:
        unknown = sorted(set(callables) - set(_OPTIONAL))
        if unknown:
            raise ConfigurationError(
                f"unknown storage callables: {', '.join(unknown)} "
                f"(known: {', '.join(CALLABLE_NAMES)})"
            )
        self._callables: dict[str, Callable[..., Any]] = {
            "query_client": query_client,
            "save_token": save_token,
            **{name: fn for name, fn in callables.items() if fn is not None},
        }
        for name, fn in self._callables.items():
            if not callable(fn):
                raise ConfigurationError(f"{name} must be callable, got {type(fn).__name__}")
        self.capabilities: frozenset[Capability] = self._capabilities(frozenset(capabilities))
        # revoke_grant's mark (storage contract), kept in this process: grant id -> until.
        self._revoked_grants: dict[str, datetime] = {}
        self._marks_lock = threading.Lock()

    def _capabilities(self, asserted: frozenset[Capability]) -> frozenset[Capability]:
        result: set[Capability] = set()
        for capability, (needs, must_assert) in _CAPABILITY_NEEDS.items():
            present = all(name in self._callables for name in needs)
            if capability in asserted and not present:
                raise ConfigurationError(
                    f"capability {capability.value} needs the callables {', '.join(needs)}"
                )
            if present and (capability in asserted or not must_assert):
                result.add(capability)
        refused = asserted - set(_CAPABILITY_NEEDS)
        if refused:
            names = ", ".join(sorted(c.value for c in refused))
            raise ConfigurationError(f"callables cannot provide: {names}")
        return frozenset(result)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        fn = self._callables.get(name)
        if fn is None:
            raise ConfigurationError(
                f"this operation needs a {name} callable; pass {name}=... to the server"
            )
        return fn(*args, **kwargs)

    @property
    def provided(self) -> frozenset[str]:
        """Names of the callables the application supplied."""
        return frozenset(self._callables)

    # -- clients -------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        result: Client | None = self._call("query_client", client_id)
        return result

    def save_client(self, client: Client) -> None:
        self._call("save_client", client)

    def delete_client(self, client_id: str) -> None:
        self._call("delete_client", client_id)

    # -- authorization codes -------------------------------------------------------------
    def save_authorization_code(self, code: AuthorizationCode, *, now: datetime) -> None:
        self._call("save_authorization_code", code)

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        result: ConsumeResult = self._call("consume_authorization_code", code_hash, now=now)
        if not isinstance(result, NotFound) and result.code.is_expired(now):
            return NotFound("expired")
        return result

    # -- tokens --------------------------------------------------------------------------
    def save_token(self, token: Token, *, now: datetime) -> None:
        until = self._revoked_grants.get(token.grant_id)
        if until is not None and now < until:
            token = token.retired(now=now)
        self._call("save_token", token)

    def query_token(self, access_token_hash: str, *, now: datetime) -> Token | None:
        token: Token | None = self._call("query_token", access_token_hash)
        if token is None or not token.is_access_active(now):
            return None
        return token

    def query_refresh_token(self, refresh_token_hash: str, *, now: datetime) -> Token | None:
        token: Token | None = self._call("query_refresh_token", refresh_token_hash)
        return token if token is not None and token.is_refresh_unexpired(now) else None

    def rotate_refresh_token(
        self, refresh_token_hash: str, new_token: Token, *, now: datetime
    ) -> RotateResult:
        result: RotateResult = self._call(
            "rotate_refresh_token", refresh_token_hash, new_token, now=now
        )
        return result

    def revoke_token(self, token_hash: str, *, now: datetime) -> None:
        self._call("revoke_token", token_hash, now=now)

    def revoke_grant(self, grant_id: str, *, now: datetime) -> None:
        """The mark that makes later saves of the grant arrive revoked lives in this process
        only: with several processes, the application's own revoke_grant/save_token must
        keep it (see the storage contract) for the code-replay cascade to cover a racing
        exchange in another process."""
        with self._marks_lock:
            for expired in [g for g, until in self._revoked_grants.items() if until <= now]:
                del self._revoked_grants[expired]
            self._revoked_grants[grant_id] = now + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)
        self._call("revoke_grant", grant_id, now=now)

    def close(self) -> None:
        """The application owns its connections; nothing to release here."""
