"""Token records (RFC 6749 sections 1.4, 1.5, 5.1)."""

from __future__ import annotations

import pytest

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import AWKWARD_SCOPE, make_token
from oauth2_conformance.registry import check
from oauth2_core.errors import DuplicateKey
from oauth2_core.storage import NewGrantTokenStore


@check(
    "TOKEN-001",
    "A saved token reads back field for field by its access digest",
    group="tokens",
    rfc="RFC 6749 s5.1",
    hint="Persist every Token field and rebuild the frozen Token exactly (user_id None, "
    "token_type, grant_type, both expiries).",
)
def token_round_trip(ctx: CheckContext) -> None:
    """``query_token`` returns the record as saved, through another handle too."""
    issued = make_token(ctx.now())
    ctx.storage.save_token(issued.record, now=ctx.now())
    assert ctx.make_storage().query_token(issued.access_hash, now=ctx.now()) == issued.record


@check(
    "TOKEN-002",
    "query_refresh_token finds the record by its refresh digest",
    group="tokens",
    rfc="RFC 6749 s6",
    hint="Index the refresh digest (unique) and look the record up through it.",
)
def refresh_lookup(ctx: CheckContext) -> None:
    """The record is found by the refresh digest; a refresh digest is not an access digest."""
    issued = make_token(ctx.now())
    ctx.storage.save_token(issued.record, now=ctx.now())
    assert ctx.storage.query_refresh_token(issued.refresh_hash, now=ctx.now()) == issued.record
    assert ctx.storage.query_token(issued.refresh_hash, now=ctx.now()) is None, (
        "query_token must not accept a refresh digest"
    )
    assert ctx.storage.query_refresh_token(issued.access_hash, now=ctx.now()) is None, (
        "query_refresh_token must not accept an access digest"
    )


@check(
    "TOKEN-003",
    "Unknown digests read as None",
    group="tokens",
    rfc="RFC 6749 s5.2",
    hint="Return None when nothing matches; never raise for a miss.",
)
def unknown_tokens(ctx: CheckContext) -> None:
    """``query_token`` / ``query_refresh_token`` of unknown digests answer ``None``."""
    assert ctx.storage.query_token("f" * 64, now=ctx.now()) is None
    assert ctx.storage.query_refresh_token("e" * 64, now=ctx.now()) is None


@check(
    "TOKEN-004",
    "A token without refresh token round-trips",
    group="tokens",
    rfc="RFC 6749 s4.4.3",
    hint="Allow NULL refresh_token_hash/refresh_expires_at (client_credentials tokens) and "
    "keep them out of the unique refresh index.",
)
def access_only(ctx: CheckContext) -> None:
    """Two client_credentials tokens (no refresh) coexist and read back unchanged."""
    first = make_token(ctx.now(), refresh=False, user_id=None, grant_type="client_credentials")
    second = make_token(ctx.now(), refresh=False, user_id=None, grant_type="client_credentials")
    ctx.storage.save_token(first.record, now=ctx.now())
    ctx.storage.save_token(second.record, now=ctx.now())
    assert ctx.storage.query_token(first.access_hash, now=ctx.now()) == first.record
    assert ctx.storage.query_token(second.access_hash, now=ctx.now()) == second.record


@check(
    "TOKEN-005",
    "Scope strings round-trip byte for byte",
    group="tokens",
    rfc="RFC 6749 s3.3",
    hint="Store scope as the exact string (case-sensitive, order kept, no trimming); scope "
    "tokens are case-sensitive per RFC 6749 s3.3.",
)
def scope_exact(ctx: CheckContext) -> None:
    """Scopes with case, order, punctuation and URLs come back identical, everywhere."""
    scope = "write Read " + AWKWARD_SCOPE
    issued = make_token(ctx.now(), scope=scope)
    ctx.storage.save_token(issued.record, now=ctx.now())
    token = ctx.storage.query_token(issued.access_hash, now=ctx.now())
    assert token is not None and token.scope == scope, (token and token.scope, scope)
    refreshed = ctx.storage.query_refresh_token(issued.refresh_hash, now=ctx.now())
    assert refreshed is not None and refreshed.scope == scope


@check(
    "TOKEN-006",
    "save_new_grant_token, where offered, stores what save_token stores",
    group="tokens",
    rfc="RFC 6749 s10.10",
    hint="save_new_grant_token may skip reading revoke_grant's mark, nothing else: insert "
    "the same record under the same unique keys and raise DuplicateKey on a live access or "
    "refresh digest, as save_token does.",
)
def new_grant_save(ctx: CheckContext) -> None:
    """Optional ``NewGrantTokenStore``: the record reads back by both digests through another
    handle, collides with records saved either way, and is retired by its grant's revocation."""
    storage = ctx.storage
    if not isinstance(storage, NewGrantTokenStore):
        pytest.skip("TOKEN-006: the storage has no save_new_grant_token (optional)")
    now = ctx.now()
    issued = make_token(now)
    storage.save_new_grant_token(issued.record, now=now)
    other = ctx.make_storage()
    assert other.query_token(issued.access_hash, now=now) == issued.record
    assert other.query_refresh_token(issued.refresh_hash, now=now) == issued.record
    with pytest.raises(DuplicateKey):
        storage.save_new_grant_token(issued.record, now=now)
    clash = make_token(now, refresh_token_hash=issued.refresh_hash)
    with pytest.raises(DuplicateKey):
        storage.save_new_grant_token(clash.record, now=now)
    first = make_token(now, refresh=False, user_id=None, grant_type="client_credentials")
    storage.save_token(first.record, now=now)
    with pytest.raises(DuplicateKey):
        storage.save_new_grant_token(first.record, now=now)
    assert storage.query_token(first.access_hash, now=now) == first.record
    storage.revoke_grant(issued.record.grant_id, now=now)
    assert storage.query_token(issued.access_hash, now=now) is None, (
        "revoke_grant left a token saved by save_new_grant_token active"
    )
