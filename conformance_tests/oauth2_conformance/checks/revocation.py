"""Revocation (RFC 7009) and the grant cascade (RFC 6749 s4.1.2, RFC 9700 s4.14.2)."""

from __future__ import annotations

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_code, make_token, successor
from oauth2_conformance.registry import check
from oauth2_core.models import AlreadyConsumed, Consumed, Reused
from oauth2_core.storage import Capability
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS

CASCADE = {Capability.REVOCATION_CASCADE}
CASCADE_HINT = (
    "Index tokens and codes by grant_id and retire them all: SQL `UPDATE tokens SET "
    "revoked_at=:now WHERE grant_id=:g AND revoked_at IS NULL` plus the same for codes' "
    "consumed_at; Redis: a per-grant set of keys (same hash tag) walked by one Lua script."
)


@check(
    "REV-001",
    "Revoking by access digest retires the record",
    group="revocation",
    rfc="RFC 7009 s2.1",
    hint="Set revoked_at on the record found by its access digest; never delete it (the "
    "refresh token's tombstone is needed for reuse detection).",
)
def revoke_access(ctx: CheckContext) -> None:
    """After ``revoke_token(access)``, the access token is inactive; the refresh is retired."""
    issued = make_token(ctx.now())
    ctx.storage.save_token(issued.record, now=ctx.now())
    ctx.storage.revoke_token(issued.access_hash, now=ctx.now())
    assert ctx.storage.query_token(issued.access_hash, now=ctx.now()) is None, "still active"
    record = ctx.storage.query_refresh_token(issued.refresh_hash, now=ctx.now())
    assert record is not None and record.revoked_at == ctx.now(), record


@check(
    "REV-002",
    "Revoking by refresh digest retires the record",
    group="revocation",
    rfc="RFC 7009 s2.1",
    hint="revoke_token receives access OR refresh digests: look the digest up in both indexes.",
)
def revoke_refresh(ctx: CheckContext) -> None:
    """After ``revoke_token(refresh)``, the record is retired (access inactive too)."""
    issued = make_token(ctx.now())
    ctx.storage.save_token(issued.record, now=ctx.now())
    ctx.storage.revoke_token(issued.refresh_hash, now=ctx.now())
    assert ctx.storage.query_token(issued.access_hash, now=ctx.now()) is None, "still active"
    record = ctx.storage.query_refresh_token(issued.refresh_hash, now=ctx.now())
    assert record is not None and record.revoked_at == ctx.now(), record


@check(
    "REV-003",
    "Revocation is idempotent; unknown digests are not an error",
    group="revocation",
    rfc="RFC 7009 s2.2",
    hint="Treat 'no row updated' as success and keep the first revoked_at "
    "(`... WHERE revoked_at IS NULL`).",
)
def revoke_idempotent(ctx: CheckContext) -> None:
    """Revoking twice keeps the first ``revoked_at``; revoking an unknown digest is fine."""
    issued = make_token(ctx.now())
    ctx.storage.save_token(issued.record, now=ctx.now())
    first = ctx.now()
    ctx.storage.revoke_token(issued.access_hash, now=first)
    ctx.clock.advance(seconds=3)
    ctx.storage.revoke_token(issued.access_hash, now=ctx.now())
    ctx.storage.revoke_token("9" * 64, now=ctx.now())
    record = ctx.storage.query_refresh_token(issued.refresh_hash, now=ctx.now())
    assert record is not None and record.revoked_at == first, record


@check(
    "REV-004",
    "revoke_grant retires every token of the grant and nothing else",
    group="revocation",
    rfc="RFC 9700 s4.14.2; RFC 6749 s10.5",
    requires=CASCADE,
    hint=CASCADE_HINT,
)
def grant_tokens(ctx: CheckContext) -> None:
    """A grant with a rotated-out and a current token: both retired; another grant untouched."""
    old = make_token(ctx.now())
    ctx.storage.save_token(old.record, now=ctx.now())
    current = successor(old, ctx.now())
    ctx.storage.rotate_refresh_token(old.refresh_hash, current.record, now=ctx.now())
    sibling = make_token(ctx.now(), grant_id=old.record.grant_id, refresh=False)
    ctx.storage.save_token(sibling.record, now=ctx.now())
    bystander = make_token(ctx.now())
    ctx.storage.save_token(bystander.record, now=ctx.now())
    ctx.clock.advance(seconds=1)
    ctx.make_storage().revoke_grant(old.record.grant_id, now=ctx.now())
    for issued in (current, sibling):
        assert ctx.storage.query_token(issued.access_hash, now=ctx.now()) is None, (
            "a token of the revoked grant is still active"
        )
    record = ctx.storage.query_refresh_token(current.refresh_hash, now=ctx.now())
    assert record is not None and record.revoked_at is not None, record
    rotation = ctx.storage.rotate_refresh_token(
        current.refresh_hash, successor(current, ctx.now()).record, now=ctx.now()
    )
    assert isinstance(rotation, Reused), rotation
    assert ctx.storage.query_token(bystander.access_hash, now=ctx.now()) == bystander.record


@check(
    "REV-005",
    "revoke_grant makes the grant's unconsumed codes unusable",
    group="revocation",
    rfc="RFC 6749 s4.1.2",
    requires=CASCADE,
    hint=CASCADE_HINT,
)
def grant_codes(ctx: CheckContext) -> None:
    """After ``revoke_grant``, consuming the grant's code answers ``AlreadyConsumed``."""
    code = make_code(ctx.now())
    other = make_code(ctx.now())
    ctx.storage.save_authorization_code(code.record, now=ctx.now())
    ctx.storage.save_authorization_code(other.record, now=ctx.now())
    ctx.storage.revoke_grant(code.record.grant_id, now=ctx.now())
    result = ctx.storage.consume_authorization_code(code.record.code_hash, now=ctx.now())
    assert isinstance(result, AlreadyConsumed), result
    untouched = ctx.storage.consume_authorization_code(other.record.code_hash, now=ctx.now())
    assert isinstance(untouched, Consumed), untouched
    ctx.storage.revoke_grant("no-such-grant", now=ctx.now())


MARK_HINT = (
    "revoke_grant must leave a mark (a revoked-grants row/key/document with the grant id, kept "
    "REVOKED_GRANT_MARK_SECONDS past the engine's now) that save_token checks in the same "
    "statement or script and honours by storing the record with revoked_at set."
)


@check(
    "REV-006",
    "A token saved after revoke_grant of its grant is stored revoked",
    group="revocation",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2.4",
    requires=CASCADE,
    since="0.1.0",
    hint=MARK_HINT,
)
def grant_mark(ctx: CheckContext) -> None:
    """A code replay's cascade can land before the winner saves its token: after
    ``revoke_grant(g)``, ``save_token`` of a grant-g token stores it retired (still readable
    as a tombstone, rotation answers ``Reused``) for REVOKED_GRANT_MARK_SECONDS; tokens of
    other grants are saved active."""
    revoked = make_token(ctx.now())
    ctx.storage.revoke_grant(revoked.record.grant_id, now=ctx.now())
    ctx.clock.advance(seconds=REVOKED_GRANT_MARK_SECONDS - 1)
    late = make_token(ctx.now(), grant_id=revoked.record.grant_id)
    ctx.make_storage().save_token(late.record, now=ctx.now())
    assert ctx.storage.query_token(late.access_hash, now=ctx.now()) is None, (
        "a token saved after its grant was revoked is active"
    )
    record = ctx.storage.query_refresh_token(late.refresh_hash, now=ctx.now())
    assert record is not None and record.revoked_at is not None, record
    rotation = ctx.storage.rotate_refresh_token(
        late.refresh_hash, successor(late, ctx.now()).record, now=ctx.now()
    )
    assert isinstance(rotation, Reused), rotation
    bystander = make_token(ctx.now())
    ctx.storage.save_token(bystander.record, now=ctx.now())
    assert ctx.storage.query_token(bystander.access_hash, now=ctx.now()) == bystander.record
