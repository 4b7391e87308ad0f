"""Concurrency races: N threads, each with its own handle, released together by a barrier,
repeated over rounds (RFC 6749 s4.1.2 single use; RFC 9700 s4.14.2 rotation)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from oauth2_conformance.checks.revocation import MARK_HINT
from oauth2_conformance.checks.rotation import CAS_HINT
from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import IssuedCode, IssuedToken, make_code, make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.models import (
    AlreadyConsumed,
    Consumed,
    ConsumeResult,
    NotFound,
    Reused,
    Rotated,
    RotateResult,
)
from oauth2_core.storage import Capability, Storage

THREADS = 8
ROUNDS = 5
BARRIER_TIMEOUT = 60.0
T = TypeVar("T")


def _race(ctx: CheckContext, handles: list[Storage], task: Callable[[int, Storage], T]) -> list[T]:
    """Run ``task(i, handles[i])`` in ``len(handles)`` threads released at once."""
    barrier = threading.Barrier(len(handles), timeout=BARRIER_TIMEOUT)

    def run(index: int) -> T:
        barrier.wait()
        return task(index, handles[index])

    with ThreadPoolExecutor(max_workers=len(handles)) as pool:
        return list(pool.map(run, range(len(handles))))


def _handles(ctx: CheckContext) -> list[Storage]:
    return [ctx.make_storage() for _ in range(THREADS)]


@check(
    "RACE-001",
    "Of N concurrent consumes of one code exactly one wins",
    group="races",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2.4",
    requires={Capability.ATOMIC_CODE_CONSUME},
    profile="standard",
    hint="Consume with one conditional write and look at its result: SQL `UPDATE codes SET "
    "consumed_at=:now WHERE code_hash=:h AND consumed_at IS NULL AND expires_at > :now` and "
    "check the row count; Redis: a Lua script or HSETNX; Mongo: find_one_and_update with "
    "consumed_at: null in the filter. Never read, then write.",
)
def consume_race(ctx: CheckContext) -> None:
    """Each round: one code, THREADS handles consume it at once; exactly one ``Consumed``."""
    handles = _handles(ctx)
    for round_no in range(ROUNDS):
        code = make_code(ctx.now())
        ctx.storage.save_authorization_code(code.record, now=ctx.now())

        def consume(_i: int, s: Storage, code: IssuedCode = code) -> ConsumeResult:
            return s.consume_authorization_code(code.record.code_hash, now=ctx.now())

        results = _race(ctx, handles, consume)
        winners = [r for r in results if isinstance(r, Consumed)]
        assert len(winners) == 1, f"round {round_no}: {len(winners)} callers consumed one code"
        others = [r for r in results if not isinstance(r, Consumed)]
        assert all(isinstance(r, AlreadyConsumed | NotFound) for r in others), others


@check(
    "RACE-002",
    "Of N concurrent rotations of one refresh token exactly one wins",
    group="races",
    rfc="RFC 9700 s4.14.2",
    requires={Capability.ATOMIC_REFRESH_ROTATION},
    profile="standard",
    hint=CAS_HINT,
)
def rotation_race(ctx: CheckContext) -> None:
    """Each round: THREADS rotations with distinct new tokens; one ``Rotated``, one new token
    stored, the rest ``Reused``/``NotFound`` with nothing written."""
    handles = _handles(ctx)
    for round_no in range(ROUNDS):
        old = make_token(ctx.now())
        ctx.storage.save_token(old.record, now=ctx.now())
        news = [successor(old, ctx.now()) for _ in handles]

        def rotate(
            i: int, s: Storage, old: IssuedToken = old, news: list[IssuedToken] = news
        ) -> RotateResult:
            return s.rotate_refresh_token(old.refresh_hash, news[i].record, now=ctx.now())

        results = _race(ctx, handles, rotate)
        winners = [r for r in results if isinstance(r, Rotated)]
        assert len(winners) == 1, f"round {round_no}: {len(winners)} rotations succeeded"
        assert all(isinstance(r, Rotated | Reused | NotFound) for r in results), results
        stored = [n for n in news if ctx.storage.query_token(n.access_hash, now=ctx.now())]
        assert len(stored) == 1, f"round {round_no}: {len(stored)} successors are active"
        assert stored[0].record == winners[0].new


@check(
    "RACE-003",
    "revoke_grant racing rotations leaves no active token in the grant",
    group="races",
    rfc="RFC 9700 s4.14.2; RFC 7009 s2.1",
    requires={Capability.ATOMIC_REFRESH_ROTATION, Capability.REVOCATION_CASCADE},
    profile="standard",
    hint="Rotation and grant revocation must serialise on the same record/grant: check "
    "revoked_at IS NULL inside the rotation's compare-and-swap and insert the successor in "
    "the same transaction/script, so a revocation either precedes it (rotation answers "
    "Reused) or follows it (and retires the successor).",
)
def revoke_grant_vs_rotate(ctx: CheckContext) -> None:
    """Thread 0 revokes the grant while the others rotate; afterwards nothing is active."""
    handles = _handles(ctx)
    for round_no in range(ROUNDS):
        old = make_token(ctx.now())
        ctx.storage.save_token(old.record, now=ctx.now())
        news = [successor(old, ctx.now()) for _ in handles]

        def task(
            i: int, s: Storage, old: IssuedToken = old, news: list[IssuedToken] = news
        ) -> object:
            if i == 0:
                s.revoke_grant(old.record.grant_id, now=ctx.now())
                return None
            return s.rotate_refresh_token(old.refresh_hash, news[i].record, now=ctx.now())

        results = _race(ctx, handles, task)
        assert sum(isinstance(r, Rotated) for r in results) <= 1, f"round {round_no}: {results}"
        for issued in [old, *news]:
            assert ctx.storage.query_token(issued.access_hash, now=ctx.now()) is None, (
                f"round {round_no}: a token of the revoked grant is still active"
            )


@check(
    "RACE-004",
    "revoke_token racing rotations never leaves a successor of a revoked-first token",
    group="races",
    rfc="RFC 7009 s2.1; RFC 9700 s4.14.2",
    requires={Capability.ATOMIC_REFRESH_ROTATION},
    profile="standard",
    hint="Check revoked_at IS NULL inside the rotation's compare-and-swap (not in a read "
    "before it), so a revocation that lands first makes every later rotation Reused.",
)
def revoke_vs_rotate(ctx: CheckContext) -> None:
    """Thread 0 revokes the refresh token while the others rotate it: at most one rotation
    wins; the old record ends retired; only the winner's successor (if any) is active."""
    handles = _handles(ctx)
    for round_no in range(ROUNDS):
        old = make_token(ctx.now())
        ctx.storage.save_token(old.record, now=ctx.now())
        news = [successor(old, ctx.now()) for _ in handles]

        def task(
            i: int, s: Storage, old: IssuedToken = old, news: list[IssuedToken] = news
        ) -> object:
            if i == 0:
                s.revoke_token(old.refresh_hash, now=ctx.now())
                return None
            return s.rotate_refresh_token(old.refresh_hash, news[i].record, now=ctx.now())

        results = _race(ctx, handles, task)
        winners = [r for r in results if isinstance(r, Rotated)]
        assert len(winners) <= 1, f"round {round_no}: {len(winners)} rotations succeeded"
        active = [n for n in news if ctx.storage.query_token(n.access_hash, now=ctx.now())]
        assert len(active) == len(winners), f"round {round_no}: {len(active)} successors active"
        retired = ctx.storage.query_refresh_token(old.refresh_hash, now=ctx.now())
        assert retired is not None and not retired.is_refresh_active(ctx.now()), retired


@check(
    "RACE-005",
    "revoke_grant racing save_token of the same grant leaves the token inactive",
    group="races",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2.4",
    requires={Capability.REVOCATION_CASCADE},
    profile="standard",
    hint=MARK_HINT,
)
def revoke_grant_vs_save(ctx: CheckContext) -> None:
    """Half the threads save tokens of one grant while the others revoke it: whatever the
    interleaving, no token of the grant is active once all have returned."""
    handles = _handles(ctx)
    for round_no in range(ROUNDS):
        grant_id = make_token(ctx.now()).record.grant_id
        tokens = [make_token(ctx.now(), grant_id=grant_id) for _ in handles]

        def task(
            i: int, s: Storage, tokens: list[IssuedToken] = tokens, grant_id: str = grant_id
        ) -> None:
            if i % 2 == 0:
                s.revoke_grant(grant_id, now=ctx.now())
            else:
                s.save_token(tokens[i].record, now=ctx.now())

        _race(ctx, handles, task)
        active = [
            i for i, t in enumerate(tokens)
            if i % 2 and ctx.storage.query_token(t.access_hash, now=ctx.now()) is not None
        ]
        assert not active, f"round {round_no}: tokens {active} of the revoked grant are active"
