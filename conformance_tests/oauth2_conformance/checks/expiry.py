"""Logical expiry at read time, on both sides of every boundary (fake clock, no sleeps).

``expires_at - 1 ms`` is still valid; ``expires_at`` itself is gone (``expires_at <= now``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_code, make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.models import AlreadyConsumed, Consumed, NotFound, Reused, Rotated
from oauth2_core.storage import Capability

MS = timedelta(milliseconds=1)
READ_TIME_HINT = (
    "Filter on expiry in every read with the `now` argument: `... AND expires_at > :now`. "
    "A native TTL (Redis EXPIRE, Mongo TTL index) only reclaims space later; it does not "
    "make reads correct at the boundary."
)


@check(
    "EXP-001",
    "A code is consumable until expires_at - 1 ms and NotFound from expires_at",
    group="expiry",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2",
    hint=READ_TIME_HINT,
)
def code_boundary(ctx: CheckContext) -> None:
    """Two codes with the same expiry: consumed at ``expires_at - 1ms`` and at ``expires_at``."""
    start = ctx.now()
    early = make_code(start)
    late = make_code(start)
    for issued in (early, late):
        ctx.storage.save_authorization_code(issued.record, now=start)
    expires = early.record.expires_at
    result = ctx.storage.consume_authorization_code(early.record.code_hash, now=expires - MS)
    assert isinstance(result, Consumed), f"1 ms before expiry: {result}"
    result = ctx.storage.consume_authorization_code(late.record.code_hash, now=expires)
    assert isinstance(result, NotFound), f"at expires_at the code must be gone: {result}"


@check(
    "EXP-002",
    "A consumed code's tombstone answers AlreadyConsumed until its expiry, then NotFound",
    group="expiry",
    rfc="RFC 6749 s4.1.2",
    requires={Capability.CODE_REUSE_DETECTION},
    hint="Keep the consumed code until expires_at and apply the same `expires_at > :now` "
    "filter to tombstones.",
)
def tombstone_boundary(ctx: CheckContext) -> None:
    """Replays inside the lifetime are detected; after it the code is simply unknown."""
    issued = make_code(ctx.now())
    ctx.storage.save_authorization_code(issued.record, now=ctx.now())
    ctx.storage.consume_authorization_code(issued.record.code_hash, now=ctx.now())
    expires = issued.record.expires_at
    result = ctx.storage.consume_authorization_code(issued.record.code_hash, now=expires - MS)
    assert isinstance(result, AlreadyConsumed), f"1 ms before expiry: {result}"
    result = ctx.storage.consume_authorization_code(issued.record.code_hash, now=expires)
    assert isinstance(result, NotFound), f"at expires_at: {result}"


@check(
    "EXP-003",
    "An access token is active until access_expires_at - 1 ms",
    group="expiry",
    rfc="RFC 6749 s4.2.2 (expires_in); RFC 6750 s3.1",
    hint=READ_TIME_HINT,
)
def access_boundary(ctx: CheckContext) -> None:
    """``query_token`` at ``access_expires_at - 1ms`` finds it; at ``access_expires_at`` not."""
    issued = make_token(ctx.now(), access_lifetime=timedelta(seconds=30))
    ctx.storage.save_token(issued.record, now=ctx.now())
    expires = issued.record.access_expires_at
    assert ctx.storage.query_token(issued.access_hash, now=expires - MS) == issued.record
    assert ctx.storage.query_token(issued.access_hash, now=expires) is None, (
        "an expired access token was returned"
    )
    record = ctx.storage.query_refresh_token(issued.refresh_hash, now=expires)
    assert record == issued.record, "the refresh token outlives the access token"


@check(
    "EXP-004",
    "A refresh token is found and rotatable until refresh_expires_at - 1 ms",
    group="expiry",
    rfc="RFC 6749 s6",
    requires={Capability.ATOMIC_REFRESH_ROTATION},
    hint=READ_TIME_HINT + " Use the refresh expiry (not the access expiry) for refresh reads.",
)
def refresh_boundary(ctx: CheckContext) -> None:
    """At ``refresh_expires_at`` the refresh token is unknown: lookup None, rotation NotFound."""
    start = ctx.now()
    early = make_token(start, refresh_lifetime=timedelta(hours=2))
    late = make_token(start, refresh_lifetime=timedelta(hours=2))
    for issued in (early, late):
        ctx.storage.save_token(issued.record, now=start)
    expires = early.record.refresh_expires_at
    assert expires is not None
    assert ctx.storage.query_refresh_token(early.refresh_hash, now=expires - MS) == early.record
    new = successor(early, expires - MS)
    result = ctx.storage.rotate_refresh_token(early.refresh_hash, new.record, now=expires - MS)
    assert isinstance(result, Rotated), f"1 ms before expiry: {result}"
    assert ctx.storage.query_refresh_token(late.refresh_hash, now=expires) is None
    other = successor(late, expires)
    result = ctx.storage.rotate_refresh_token(late.refresh_hash, other.record, now=expires)
    assert isinstance(result, NotFound), f"at refresh_expires_at: {result}"
    assert ctx.storage.query_token(other.access_hash, now=expires) is None


@check(
    "EXP-005",
    "A retired token stays a tombstone until its refresh expiry",
    group="expiry",
    rfc="RFC 9700 s4.14.2",
    requires={Capability.ATOMIC_REFRESH_ROTATION},
    hint="Do not delete rotated or revoked records; keep them until Token.expires_at (max of "
    "both expiries) so reuse is still detected.",
)
def retired_tombstone(ctx: CheckContext) -> None:
    """Rotated-out refresh tokens answer ``Reused`` until ``refresh_expires_at - 1ms``."""
    old = make_token(ctx.now(), access_lifetime=timedelta(minutes=5))
    ctx.storage.save_token(old.record, now=ctx.now())
    ctx.storage.rotate_refresh_token(
        old.refresh_hash, successor(old, ctx.now()).record, now=ctx.now()
    )
    expires = old.record.refresh_expires_at
    assert expires is not None
    late = expires - MS
    result = ctx.storage.rotate_refresh_token(
        old.refresh_hash, successor(old, late).record, now=late
    )
    assert isinstance(result, Reused), f"reuse 1 ms before expiry: {result}"
    assert ctx.storage.query_refresh_token(old.refresh_hash, now=expires) is None


@check(
    "EXP-006",
    "purge_expired deletes only records whose expiry has passed",
    group="expiry",
    rfc="RFC 6749 s10.5",
    requires={Capability.PURGE},
    profile="standard",
    hint="Delete WHERE expires_at <= :now in batches; for tokens use the record's overall "
    "expiry (max of access and refresh) so rotated tombstones survive until then.",
)
def purge(ctx: CheckContext) -> None:
    """Purging at ``t`` removes what expired by ``t``; tombstones and live records stay."""
    start = ctx.now()
    short_code = make_code(start, lifetime=timedelta(seconds=10))
    long_code = make_code(start, lifetime=timedelta(minutes=10))
    access_only = make_token(start, refresh=False, access_lifetime=timedelta(seconds=10))
    rotated = make_token(start, access_lifetime=timedelta(seconds=10))
    for code in (short_code, long_code):
        ctx.storage.save_authorization_code(code.record, now=start)
    ctx.storage.consume_authorization_code(long_code.record.code_hash, now=start)
    for token in (access_only, rotated):
        ctx.storage.save_token(token.record, now=start)
    ctx.storage.rotate_refresh_token(
        rotated.refresh_hash, successor(rotated, start).record, now=start
    )
    at = start + timedelta(seconds=10)
    purged = ctx.storage.purge_expired(now=at, batch_size=1)  # type: ignore[attr-defined]
    assert purged == 2, f"expected the expired code and access-only token, purged {purged}"
    replay = ctx.storage.consume_authorization_code(long_code.record.code_hash, now=at)
    assert isinstance(replay, AlreadyConsumed), f"a consumed code was purged early: {replay}"
    reuse = ctx.storage.query_refresh_token(rotated.refresh_hash, now=at)
    assert reuse is not None and reuse.rotated_at is not None, "a tombstone was purged early"
    assert replace(reuse, rotated_at=None) == rotated.record
