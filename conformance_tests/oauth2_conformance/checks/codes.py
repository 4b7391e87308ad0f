"""Authorization codes (RFC 6749 section 4.1.2; RFC 9700 section 4.2)."""

from __future__ import annotations

from dataclasses import replace

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_code
from oauth2_conformance.registry import check
from oauth2_core.models import AlreadyConsumed, Consumed, NotFound
from oauth2_core.storage import Capability
from oauth2_core.tokens import hash_code


@check(
    "CODE-001",
    "The first consume returns Consumed with the code, consumed_at = now",
    group="codes",
    rfc="RFC 6749 s4.1.2",
    hint="Return the stored code with consumed_at set to the `now` argument (not the wall "
    "clock), every other field unchanged.",
)
def first_consume(ctx: CheckContext) -> None:
    """``consume_authorization_code`` on a fresh code answers ``Consumed(code)``."""
    issued = make_code(ctx.now())
    ctx.storage.save_authorization_code(issued.record, now=ctx.now())
    ctx.clock.advance(seconds=1)
    result = ctx.make_storage().consume_authorization_code(issued.record.code_hash, now=ctx.now())
    assert result == Consumed(replace(issued.record, consumed_at=ctx.now())), result


@check(
    "CODE-002",
    "A second consume returns AlreadyConsumed (replay detection)",
    group="codes",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2.4",
    requires={Capability.CODE_REUSE_DETECTION},
    hint="Keep the consumed code as a tombstone until its expires_at and answer "
    "AlreadyConsumed(code) for it; do not delete the code on consume.",
)
def replay_detected(ctx: CheckContext) -> None:
    """Consuming twice: the second answer is ``AlreadyConsumed`` carrying the same code."""
    issued = make_code(ctx.now())
    ctx.storage.save_authorization_code(issued.record, now=ctx.now())
    first = ctx.storage.consume_authorization_code(issued.record.code_hash, now=ctx.now())
    assert isinstance(first, Consumed), first
    ctx.clock.advance(seconds=2)
    second = ctx.storage.consume_authorization_code(issued.record.code_hash, now=ctx.now())
    assert isinstance(second, AlreadyConsumed), second
    assert second.code == first.code, "the tombstone must carry the first consumed_at"


@check(
    "CODE-003",
    "Unknown code digests answer NotFound",
    group="codes",
    rfc="RFC 6749 s5.2 (invalid_grant)",
    hint="Return NotFound() when nothing is stored under the digest; never raise.",
)
def unknown_code(ctx: CheckContext) -> None:
    """A digest never saved, or the digest of the code for another client, is ``NotFound``."""
    issued = make_code(ctx.now(), client_id="client-a")
    ctx.storage.save_authorization_code(issued.record, now=ctx.now())
    other = hash_code("client-b", issued.value)
    assert isinstance(ctx.storage.consume_authorization_code(other, now=ctx.now()), NotFound)
    assert isinstance(ctx.storage.consume_authorization_code("0" * 64, now=ctx.now()), NotFound)
    result = ctx.storage.consume_authorization_code(issued.record.code_hash, now=ctx.now())
    assert isinstance(result, Consumed), "a miss must not disturb the real code"


@check(
    "CODE-004",
    "Every code field round-trips, optional fields included",
    group="codes",
    rfc="RFC 7636 s4.4; RFC 6749 s4.1.3",
    hint="Store redirect_uri, code_challenge and code_challenge_method as nullable columns "
    "and map NULL back to None (not '').",
)
def code_fields(ctx: CheckContext) -> None:
    """A code without PKCE and without redirect_uri reads back with ``None`` in those fields."""
    bare = make_code(
        ctx.now(), redirect_uri=None, code_challenge=None, code_challenge_method=None, scope=""
    )
    ctx.storage.save_authorization_code(bare.record, now=ctx.now())
    result = ctx.storage.consume_authorization_code(bare.record.code_hash, now=ctx.now())
    assert result == Consumed(replace(bare.record, consumed_at=ctx.now())), result
