"""Cluster mode: every script touches one slot, so an operation that spans slots takes
several steps; independent steps go out together in one pipeline (one round trip, the nodes
answering in parallel).

Crash safety across steps rests on two facts. A pointer without its record reads as unknown.
A new code or token is unknown to everyone until the call returns it, so its pointers and
record may be written in any order, and a crash or refusal part-way leaves only keys that no
one can name, which expire. Consume and rotate are single-slot scripts and are never
pipelined: redis-py's cluster pipeline re-sends a command whose connection failed, and such a
replay could report the caller's own success as a reuse. (A replayed claim can at worst turn
an outage into ``DuplicateKey``, also a ``StorageError``; a replayed revocation is idempotent.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oauth2_core.clock import to_epoch_ms
from oauth2_core.models import AuthorizationCode, Token
from oauth2_core_redis import _scripts
from oauth2_core_redis._codec import encode_code, encode_token
from oauth2_core_redis._connect import driver_errors
from oauth2_core_redis._keys import code_pointer_value, parse_pointer, refresh_pointer_value
from oauth2_core_redis._pipeline import Step, pipelined

if TYPE_CHECKING:
    from oauth2_core_redis.storage import RedisStorage


def ttl_ms(expires_ms: int, now_ms: int) -> int:
    # PX must be positive; a record already dead at `now` lives 1 ms and reads ignore it.
    return max(expires_ms - now_ms, 1)


@dataclass(frozen=True, slots=True)
class _NewRecord:
    """The keys a new code or token occupies, to claim them together or release them."""

    pointers: list[tuple[str, str]]  # (pointer key, value)
    record: str
    index: str
    member: str
    expiry_field: str
    ttl: int
    json: str
    mark: str | None = None  # the grant's revoked mark, which a new token's record honours


class ClusterPaths:
    def __init__(self, storage: RedisStorage) -> None:
        self._storage = storage
        self._claim = storage.redis.register_script(_scripts.CLAIM_POINTER)
        self._store_new = storage.redis.register_script(_scripts.STORE_NEW)
        self._consume = storage.redis.register_script(_scripts.CONSUME_CODE)
        self._rotate = storage.redis.register_script(_scripts.ROTATE_REFRESH)
        self._revoke = storage.redis.register_script(_scripts.REVOKE_TOKEN)

    # -- plumbing ----------------------------------------------------------------------------
    def _claim_steps(self, new: _NewRecord, now_ms: int) -> list[Step]:
        steps = [Step(self._claim, [key], [now_ms, value, new.ttl]) for key, value in new.pointers]
        args = [now_ms, new.expiry_field, new.ttl, new.member, new.json]
        record_keys = [new.record, new.index] + ([new.mark] if new.mark else [])
        steps.append(Step(self._store_new, record_keys, args))
        return steps

    def _release(self, new: _NewRecord, claimed: Sequence[Any]) -> None:
        """Delete what this call claimed (flags parallel to ``_claim_steps``)."""
        with driver_errors():
            pipe = self._storage.redis.pipeline(transaction=False)
            for (key, _), flag in zip(new.pointers, claimed, strict=False):
                if flag == 1:
                    pipe.delete(key)
            if claimed[-1] == 1:
                pipe.delete(new.record)
                pipe.srem(new.index, new.member)
            pipe.execute()

    def _new_code(self, code: AuthorizationCode, now_ms: int) -> _NewRecord:
        keys, expires_ms = self._storage.keys, to_epoch_ms(code.expires_at)
        pointer = code_pointer_value(expires_ms, code.grant_id)
        return _NewRecord(
            pointers=[(keys.code_pointer(code.code_hash), pointer)],
            record=keys.code(code.grant_id, code.code_hash),
            index=keys.grant_codes(code.grant_id),
            member=code.code_hash,
            expiry_field="expires_at",
            ttl=ttl_ms(expires_ms, now_ms),
            json=encode_code(code),
        )

    def _new_token(self, token: Token, now_ms: int, *, honour_mark: bool = True) -> _NewRecord:
        keys, expires_ms = self._storage.keys, to_epoch_ms(token.expires_at)
        pointers = [
            (
                keys.access_pointer(token.access_token_hash),
                code_pointer_value(expires_ms, token.grant_id),
            ),
        ]
        if token.refresh_token_hash is not None:
            value = refresh_pointer_value(expires_ms, token.access_token_hash, token.grant_id)
            pointers.append((keys.refresh_pointer(token.refresh_token_hash), value))
        return _NewRecord(
            pointers=pointers,
            record=keys.token(token.grant_id, token.access_token_hash),
            index=keys.grant_tokens(token.grant_id),
            member=token.access_token_hash,
            expiry_field="_expires_at",
            ttl=ttl_ms(expires_ms, now_ms),
            json=encode_token(token),
            mark=keys.grant_revoked(token.grant_id) if honour_mark else None,
        )

    def _save(self, new: _NewRecord, now_ms: int) -> int:
        """Claim and store in one round trip: -> 1 saved | 0 access/code taken | 2 refresh taken."""
        flags = pipelined(self._storage.redis, self._claim_steps(new, now_ms))
        if all(flag == 1 for flag in flags):
            return 1
        self._release(new, flags)
        return 2 if flags[0] == 1 and len(flags) == 3 and flags[1] != 1 else 0

    # -- operations --------------------------------------------------------------------------
    def save_code(self, code: AuthorizationCode, now_ms: int) -> int:
        return self._save(self._new_code(code, now_ms), now_ms)

    def save_token(self, token: Token, now_ms: int, *, honour_mark: bool = True) -> int:
        """``honour_mark`` False: a new grant's token, whose record script need not read the
        grant's revoked mark (none can exist); otherwise the same steps."""
        return self._save(self._new_token(token, now_ms, honour_mark=honour_mark), now_ms)

    def consume(self, code_hash: str, now_ms: int) -> Any:
        keys = self._storage.keys
        pointer = parse_pointer(self._storage._get(keys.code_pointer(code_hash)))
        if pointer is None or pointer.expires_ms <= now_ms:
            return None
        record = keys.code(pointer.grant_id, code_hash)
        return self._storage._call(self._consume, [record], [now_ms])

    def _record(self, pointer_value: str | None, access_hash: str | None, now_ms: int) -> Any:
        pointer = parse_pointer(pointer_value, with_access=access_hash is None)
        if pointer is None or pointer.expires_ms <= now_ms:
            return None
        key = self._storage.keys.token(pointer.grant_id, access_hash or pointer.access_hash)
        return self._storage._get(key)

    def token_record(self, access_hash: str, now_ms: int) -> Any:
        pointer = self._storage._get(self._storage.keys.access_pointer(access_hash))
        return self._record(pointer, access_hash, now_ms)

    def refresh_record(self, refresh_hash: str, now_ms: int) -> Any:
        pointer = self._storage._get(self._storage.keys.refresh_pointer(refresh_hash))
        return self._record(pointer, None, now_ms)

    def rotate(self, refresh_hash: str, new_token: Token, now_ms: int) -> Any:
        """Same replies as the single-node rotation script. Reads the old pointer while
        claiming the new token (one round trip), then compares and swaps (a second)."""
        keys = self._storage.keys
        new = self._new_token(new_token, now_ms)
        read = Step(None, [keys.refresh_pointer(refresh_hash)])
        old_value, *flags = pipelined(self._storage.redis, [read, *self._claim_steps(new, now_ms)])
        pointer = parse_pointer(old_value, with_access=True)
        if pointer is None or pointer.expires_ms <= now_ms:
            self._release(new, flags)
            return [0]
        if not all(flag == 1 for flag in flags):
            self._release(new, flags)
            return [4] if flags[0] == 1 and len(flags) == 3 and flags[1] != 1 else [3]
        old = keys.token(pointer.grant_id, pointer.access_hash)
        reply = self._storage._call(self._rotate, [old], [now_ms, refresh_hash])
        if reply[0] != 2:
            self._release(new, flags)
        return reply

    def revoke_token(self, token_hash: str, now_ms: int) -> None:
        keys = self._storage.keys
        access_value, refresh_value = pipelined(
            self._storage.redis,
            [
                Step(None, [keys.access_pointer(token_hash)]),
                Step(None, [keys.refresh_pointer(token_hash)]),
            ],
        )
        targets = []
        access = parse_pointer(access_value)
        if access is not None:
            targets.append(keys.token(access.grant_id, token_hash))
        refresh = parse_pointer(refresh_value, with_access=True)
        if refresh is not None:
            targets.append(keys.token(refresh.grant_id, refresh.access_hash))
        if targets:
            pipelined(self._storage.redis, [Step(self._revoke, [key], [now_ms]) for key in targets])
