"""Clock skew: the engine's clock ten years away from the wall clock, both directions.

Storage never reads the wall clock; everything (expiry filters, native TTLs) derives from the
``now`` it is given, so a backend behaves the same whatever the distance to wall time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_code, make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.models import Consumed, NotFound, Reused, Rotated

TEN_YEARS = timedelta(days=3653)
SKEW_HINT = (
    "Never read the wall clock in storage (no NOW()/CURRENT_TIMESTAMP, no time.time()); derive "
    "native TTLs as expires_at - now from the arguments, not from the server's clock."
)


def _lifecycle(ctx: CheckContext) -> None:
    start = ctx.now()
    code = make_code(start)
    ctx.storage.save_authorization_code(code.record, now=start)
    token = make_token(start, grant_id=code.record.grant_id)
    ctx.storage.save_token(token.record, now=start)
    ctx.clock.advance(seconds=30)
    reader = ctx.make_storage()
    assert isinstance(
        reader.consume_authorization_code(code.record.code_hash, now=ctx.now()), Consumed
    ), "a live code was lost under clock skew"
    assert reader.query_token(token.access_hash, now=ctx.now()) == token.record
    new = successor(token, ctx.now())
    result = reader.rotate_refresh_token(token.refresh_hash, new.record, now=ctx.now())
    assert isinstance(result, Rotated), result
    result = reader.rotate_refresh_token(
        token.refresh_hash, successor(token, ctx.now()).record, now=ctx.now()
    )
    assert isinstance(result, Reused), result
    ctx.clock.advance(seconds=31)
    assert isinstance(
        reader.consume_authorization_code(code.record.code_hash, now=ctx.now()), NotFound
    ), "the code outlived its 60 s lifetime"
    assert reader.query_token(new.access_hash, now=ctx.now()) == new.record


@check(
    "SKEW-001",
    "Everything works with the engine clock ten years ahead of wall time",
    group="skew",
    rfc="RFC 6749 s10.5",
    profile="standard",
    hint=SKEW_HINT,
)
def ahead(ctx: CheckContext) -> None:
    """Save, consume, query, rotate and expire with ``now`` = wall time + 10 years."""
    ctx.clock.set(datetime.now(UTC) + TEN_YEARS)
    _lifecycle(ctx)


@check(
    "SKEW-002",
    "Everything works with the engine clock ten years behind wall time",
    group="skew",
    rfc="RFC 6749 s10.5",
    profile="standard",
    hint=SKEW_HINT + " A TTL computed from the wall clock deletes these records at once.",
)
def behind(ctx: CheckContext) -> None:
    """The same lifecycle with ``now`` = wall time - 10 years."""
    ctx.clock.set(datetime.now(UTC) - TEN_YEARS)
    _lifecycle(ctx)
