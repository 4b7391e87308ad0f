"""``purge_expired`` on Redis: a maintenance job, never a request path.

Redis drops each key at its TTL, which follows the engine's clock at write time; this deletes
what the engine's clock says is expired before Redis has (a clock running ahead, a fake one in
tests). Each SCAN page is handled in three pipelined round trips (read the pointers, purge the
expired records, delete their pointers) rather than three per key: a replay of any of them by
redis-py's retry is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from redis.commands.core import Script

from oauth2_core_redis._codec import text
from oauth2_core_redis._connect import driver_errors
from oauth2_core_redis._keys import parse_pointer
from oauth2_core_redis._pipeline import Step, pipelined

if TYPE_CHECKING:
    from oauth2_core_redis.storage import RedisStorage

__all__ = ["purge_expired", "scan_pages"]

# Pointer kind -> the record's expiry field; refresh pointers have no record of their
# own (the token record goes with its access pointer), so they come last.
_KINDS = (("code", "expires_at"), ("at", "_expires_at"), ("rt", None))


def purge_expired(storage: RedisStorage, purge: Script, now_ms: int, batch_size: int) -> int:
    """How many code and token records were deleted."""
    purged = 0
    for kind, expiry_field in _KINDS:
        for page in scan_pages(storage, f"{storage.keys.prefix}:{kind}:*", batch_size):
            purged += _purge_page(
                storage, purge, page, kind, expiry_field=expiry_field, now_ms=now_ms
            )
    return purged


def scan_pages(storage: RedisStorage, pattern: str, size: int) -> Iterator[list[str]]:
    """The keys matching ``pattern``, ``size`` at a time (every primary on a cluster)."""
    # SCAN returns every key present for the whole walk even while keys are deleted, and may
    # return one twice: a second visit finds its pointer gone and skips it.
    page: list[str] = []
    with driver_errors():
        for key in storage.redis.scan_iter(match=pattern, count=size):
            page.append(text(key))
            if len(page) == size:
                yield page
                page = []
    if page:
        yield page


def _purge_page(
    storage: RedisStorage,
    purge: Script,
    pointer_keys: list[str],
    kind: str,
    *,
    expiry_field: str | None,
    now_ms: int,
) -> int:
    values = pipelined(storage.redis, [Step(None, [key]) for key in pointer_keys])
    expired: list[str] = []
    steps: list[Step] = []
    for key, value in zip(pointer_keys, values, strict=True):
        pointer = parse_pointer(value, with_access=kind == "rt")
        if pointer is None or pointer.expires_ms > now_ms:
            continue
        expired.append(key)
        if expiry_field is not None:
            digest = key.rsplit(":", 1)[1]
            if kind == "code":
                record = storage.keys.code(pointer.grant_id, digest)
                index = storage.keys.grant_codes(pointer.grant_id)
            else:
                record = storage.keys.token(pointer.grant_id, digest)
                index = storage.keys.grant_tokens(pointer.grant_id)
            steps.append(Step(purge, [record, index], [now_ms, digest, expiry_field]))
    if not expired:
        return 0
    # Records first, pointers after: a crash in between leaves pointers to nothing, which
    # read as unknown. A record still live by its own expiry (-1) keeps its pointer.
    replies = pipelined(storage.redis, steps) if steps else [0] * len(expired)
    doomed = [key for key, reply in zip(expired, replies, strict=True) if reply >= 0]
    if doomed:
        with driver_errors():
            pipe = storage.redis.pipeline(transaction=False)
            for key in doomed:
                pipe.delete(key)
            pipe.execute()
    return sum(reply for reply in replies if reply > 0)
