"""Refresh token rotation (RFC 6749 section 6; RFC 9700 section 4.14.2)."""

from __future__ import annotations

from dataclasses import replace

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.models import NotFound, Reused, Rotated
from oauth2_core.storage import Capability

ROTATION = {Capability.ATOMIC_REFRESH_ROTATION}
CAS_HINT = (
    "Make rotation one compare-and-swap on the old record: SQL `UPDATE ... SET rotated_at=:now "
    "WHERE refresh_token_hash=:h AND rotated_at IS NULL AND revoked_at IS NULL` and insert the "
    "new token only when exactly one row changed (same transaction); Redis: a Lua script; "
    "Mongo: find_one_and_update with the same filter."
)


@check(
    "ROT-001",
    "Rotation retires the old record and stores the new one",
    group="rotation",
    rfc="RFC 6749 s6; RFC 9700 s4.14.2",
    requires=ROTATION,
    hint=CAS_HINT,
)
def rotate_once(ctx: CheckContext) -> None:
    """``Rotated(old with rotated_at=now, new)``; old access inactive, new active."""
    old = make_token(ctx.now())
    ctx.storage.save_token(old.record, now=ctx.now())
    ctx.clock.advance(seconds=5)
    new = successor(old, ctx.now())
    result = ctx.storage.rotate_refresh_token(old.refresh_hash, new.record, now=ctx.now())
    assert result == Rotated(replace(old.record, rotated_at=ctx.now()), new.record), result
    reader = ctx.make_storage()
    assert reader.query_token(old.access_hash, now=ctx.now()) is None, "old access still active"
    assert reader.query_token(new.access_hash, now=ctx.now()) == new.record
    tombstone = reader.query_refresh_token(old.refresh_hash, now=ctx.now())
    assert tombstone is not None and tombstone.rotated_at == ctx.now(), tombstone


@check(
    "ROT-002",
    "Rotating a rotated-out refresh token answers Reused and writes nothing",
    group="rotation",
    rfc="RFC 9700 s4.14.2",
    requires=ROTATION,
    hint=CAS_HINT,
)
def rotate_twice(ctx: CheckContext) -> None:
    """The second rotation of the same refresh token: ``Reused(old)``, its new token unsaved."""
    old = make_token(ctx.now())
    ctx.storage.save_token(old.record, now=ctx.now())
    first = successor(old, ctx.now())
    assert isinstance(
        ctx.storage.rotate_refresh_token(old.refresh_hash, first.record, now=ctx.now()), Rotated
    )
    ctx.clock.advance(seconds=1)
    second = successor(old, ctx.now())
    result = ctx.storage.rotate_refresh_token(old.refresh_hash, second.record, now=ctx.now())
    assert isinstance(result, Reused), result
    assert result.old.rotated_at is not None
    assert ctx.storage.query_token(second.access_hash, now=ctx.now()) is None, (
        "a losing rotation stored its new token"
    )
    assert ctx.storage.query_refresh_token(second.refresh_hash, now=ctx.now()) is None


@check(
    "ROT-003",
    "Rotating an unknown refresh token answers NotFound and writes nothing",
    group="rotation",
    rfc="RFC 6749 s5.2 (invalid_grant)",
    requires=ROTATION,
    hint="Check the old record exists (and is unexpired) before inserting anything.",
)
def rotate_unknown(ctx: CheckContext) -> None:
    """``NotFound()`` for an unknown digest; the offered new token is not stored."""
    template = make_token(ctx.now())
    new = successor(template, ctx.now())
    result = ctx.storage.rotate_refresh_token("a" * 64, new.record, now=ctx.now())
    assert isinstance(result, NotFound), result
    assert ctx.storage.query_token(new.access_hash, now=ctx.now()) is None


@check(
    "ROT-004",
    "Rotating a revoked refresh token answers Reused",
    group="rotation",
    rfc="RFC 7009 s2.1; RFC 9700 s4.14.2",
    requires=ROTATION,
    hint="The rotation filter must also require revoked_at IS NULL; revocation keeps the "
    "record as a tombstone so this is detected.",
)
def rotate_revoked(ctx: CheckContext) -> None:
    """After ``revoke_token(refresh)``, rotation is ``Reused`` and stores nothing."""
    old = make_token(ctx.now())
    ctx.storage.save_token(old.record, now=ctx.now())
    ctx.storage.revoke_token(old.refresh_hash, now=ctx.now())
    new = successor(old, ctx.now())
    result = ctx.storage.rotate_refresh_token(old.refresh_hash, new.record, now=ctx.now())
    assert isinstance(result, Reused), result
    assert result.old.revoked_at is not None
    assert ctx.storage.query_token(new.access_hash, now=ctx.now()) is None
