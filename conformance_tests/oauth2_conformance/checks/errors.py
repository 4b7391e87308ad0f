"""Typed and chained storage errors (the engine's ``StorageError`` tree)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_client, make_code, make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.errors import DuplicateKey, StorageUnavailable
from oauth2_core.storage import Capability, Storage

#: Upper bound per operation against a dead endpoint; a guard against hangs, generous on
#: purpose (a closed port answers "connection refused" at once).
UNREACHABLE_BOUND = 15.0
DUPLICATE_HINT = (
    "Put a unique constraint/key on the digest (or client id) and translate the driver's "
    "integrity error into DuplicateKey with `raise DuplicateKey(...) from exc`; with Redis use "
    "SET NX / HSETNX, with Mongo catch DuplicateKeyError."
)


@check(
    "ERR-001",
    "Saving an existing client id raises DuplicateKey",
    group="errors",
    rfc="RFC 7591 s3.2.2",
    requires={Capability.CLIENT_WRITE},
    hint=DUPLICATE_HINT + " save_client is insert-only: never upsert.",
)
def duplicate_client(ctx: CheckContext) -> None:
    """The second ``save_client`` with the same id raises and leaves the first unchanged."""
    client = make_client()
    ctx.storage.save_client(client)
    with pytest.raises(DuplicateKey):
        ctx.make_storage().save_client(make_client(client.client_id, client_name="impostor"))
    assert ctx.storage.query_client(client.client_id) == client, "the first client was replaced"


@check(
    "ERR-002",
    "Saving an existing code digest raises DuplicateKey",
    group="errors",
    rfc="RFC 6749 s10.10",
    hint=DUPLICATE_HINT,
)
def duplicate_code(ctx: CheckContext) -> None:
    """A live code's digest cannot be saved twice; the first record is kept."""
    code = make_code(ctx.now())
    ctx.storage.save_authorization_code(code.record, now=ctx.now())
    with pytest.raises(DuplicateKey):
        ctx.storage.save_authorization_code(code.record, now=ctx.now())


@check(
    "ERR-003",
    "Saving an existing access or refresh digest raises DuplicateKey",
    group="errors",
    rfc="RFC 6749 s10.10",
    hint=DUPLICATE_HINT,
)
def duplicate_token(ctx: CheckContext) -> None:
    """Same access digest, or a new record reusing a live refresh digest: ``DuplicateKey``."""
    token = make_token(ctx.now())
    ctx.storage.save_token(token.record, now=ctx.now())
    with pytest.raises(DuplicateKey):
        ctx.storage.save_token(token.record, now=ctx.now())
    clash = make_token(ctx.now(), refresh_token_hash=token.refresh_hash)
    with pytest.raises(DuplicateKey):
        ctx.storage.save_token(clash.record, now=ctx.now())
    assert ctx.storage.query_refresh_token(token.refresh_hash, now=ctx.now()) == token.record


def _operations(now: Any) -> list[tuple[str, Callable[[Storage], object]]]:
    code = make_code(now)
    token = make_token(now)
    new = successor(token, now)
    return [
        ("query_client", lambda s: s.query_client("client-a")),
        ("save_authorization_code", lambda s: s.save_authorization_code(code.record, now=now)),
        (
            "consume_authorization_code",
            lambda s: s.consume_authorization_code(code.record.code_hash, now=now),
        ),
        ("save_token", lambda s: s.save_token(token.record, now=now)),
        ("query_token", lambda s: s.query_token(token.access_hash, now=now)),
        ("query_refresh_token", lambda s: s.query_refresh_token(token.refresh_hash, now=now)),
        (
            "rotate_refresh_token",
            lambda s: s.rotate_refresh_token(token.refresh_hash, new.record, now=now),
        ),
        ("revoke_token", lambda s: s.revoke_token(token.access_hash, now=now)),
        ("revoke_grant", lambda s: s.revoke_grant(token.record.grant_id, now=now)),
    ]


@check(
    "ERR-004",
    "An unreachable store raises StorageUnavailable, chained, without hanging",
    group="errors",
    rfc="RFC 6749 s5.2; RFC 7009 s2.2.1 (503)",
    hooks=("make_unreachable_storage",),
    profile="standard",
    hint="Catch the driver's connection/timeout errors in every method and re-raise "
    "`StorageUnavailable(...) from exc`; set short connect and socket timeouts. Returning "
    "None/NotFound on a driver error turns an outage into invalid_grant.",
)
def unreachable(ctx: CheckContext) -> None:
    """Every operation on a handle to a closed port raises ``StorageUnavailable`` with
    ``__cause__`` set (the driver's error), each within a bounded time."""
    storage = ctx.hook("make_unreachable_storage")()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        for name, operation in _operations(ctx.now()):
            future = pool.submit(operation, storage)
            try:
                outcome = future.result(timeout=UNREACHABLE_BOUND)
            except StorageUnavailable as exc:
                assert exc.__cause__ is not None, f"{name}: StorageUnavailable not chained"
                continue
            except concurrent.futures.TimeoutError:
                pytest.fail(f"{name} hung for {UNREACHABLE_BOUND:.0f} s on an unreachable store")
            except Exception as exc:
                pytest.fail(f"{name} raised {type(exc).__name__} instead of StorageUnavailable")
            pytest.fail(f"{name} returned {outcome!r} from an unreachable store (error swallowed)")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        storage.close()
