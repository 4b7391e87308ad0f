"""``refresh_token`` (RFC 6749 section 6) with rotation and reuse detection (RFC 9700 4.14).

One read (``query_refresh_token``) checks the client binding and scope with no side effect,
then one compare-and-swap (``rotate_refresh_token``) retires the old record and stores the
new one. Presenting a retired refresh token is reuse: the whole grant is revoked, unless the
old token was rotated less than ``refresh_token_grace_seconds`` ago (a benign retry), which
mints a fresh pair that never outlives the old refresh token. Reuse detection rests only on
persisted state (``rotated_at``/``revoked_at``), so it survives restarts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from oauth2_core._context import EngineContext
from oauth2_core.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from oauth2_core.grants._issue import Issued, issue, token_response
from oauth2_core.models import Client, Reused, Rotated, Token
from oauth2_core.requests import Params
from oauth2_core.responses import OAuth2Response
from oauth2_core.scopes import normalize_scope
from oauth2_core.tokens import generate_token, hash_token

__all__ = ["handle"]

GRANT_TYPE = "refresh_token"
_INVALID = "the refresh token is invalid, expired or revoked"


def _access_scope(requested: str | None, granted: str) -> str:
    """RFC 6749 section 6: the requested scope must not exceed the original grant."""
    if requested is None:
        return granted
    tokens = normalize_scope(requested)
    allowed = granted.split()
    if any(token not in allowed for token in tokens):
        raise InvalidScopeError("requested scope exceeds the scope of the original grant")
    return " ".join(tokens)


def _split_narrowed(issued: Issued, access_scope: str, now: datetime) -> tuple[Token, Token]:
    """A narrower access scope: the refresh token lives in a holder record that keeps the
    grant's original scope (its access digest is of a value never handed out, already
    expired), and the access token gets its own record with the narrower scope."""
    record = issued.record
    holder = replace(record, access_token_hash=hash_token(generate_token()), access_expires_at=now)
    access = replace(
        record, scope=access_scope, refresh_token_hash=None, refresh_expires_at=None
    )
    return holder, access


def _within_grace(ctx: EngineContext, old: Token, now: datetime) -> bool:
    grace = ctx.config.refresh_token_grace_seconds
    return (
        grace > 0
        and old.revoked_at is None
        and old.rotated_at is not None
        and now < old.rotated_at + timedelta(seconds=grace)
    )


def _mint(
    ctx: EngineContext, client: Client, old: Token, now: datetime, not_after: datetime | None
) -> Issued:
    return issue(
        ctx, client, GRANT_TYPE, scope=old.scope, user_id=old.user_id, grant_id=old.grant_id,
        now=now, refresh=True, not_after=not_after,
    )


def _on_reuse(
    ctx: EngineContext, client: Client, old: Token, requested_scope: str | None, now: datetime
) -> OAuth2Response:
    # Reuse is detected before the scope is read: a replay with a bad scope is still a
    # replay (RFC 9700 section 4.14.2), not an invalid_scope that leaves the family alive.
    if not _within_grace(ctx, old, now):
        ctx.storage.revoke_grant(old.grant_id, now=now)
        raise InvalidGrantError(_INVALID)
    access_scope = _access_scope(requested_scope, old.scope)
    issued = _mint(ctx, client, old, now, old.refresh_expires_at)
    if access_scope != old.scope:
        holder, access = _split_narrowed(issued, access_scope, now)
        ctx.storage.save_token(access, now=now)
        ctx.storage.save_token(holder, now=now)
    else:
        ctx.storage.save_token(issued.record, now=now)
    return token_response(issued.access_token, issued.lifetime, access_scope, issued.refresh_token)


def handle(ctx: EngineContext, client: Client, form: Params, now: datetime) -> OAuth2Response:
    value = form.get("refresh_token")
    if value is None:
        raise InvalidRequestError("refresh_token is required")
    requested_scope = form.get("scope")
    storage = ctx.storage
    refresh_hash = hash_token(value)

    old = storage.query_refresh_token(refresh_hash, now=now)
    if old is None or old.client_id != client.client_id:
        # Another client's token: no side effect, and no hint that it exists.
        raise InvalidGrantError(_INVALID)
    if not old.is_refresh_unexpired(now):
        # The store should not have returned it; rotating or a grace retry would outlive it.
        raise InvalidGrantError(_INVALID)
    if old.revoked_at is not None or old.rotated_at is not None:
        return _on_reuse(ctx, client, old, requested_scope, now)
    access_scope = _access_scope(requested_scope, old.scope)

    if not ctx.config.rotate_refresh_tokens:
        issued = issue(
            ctx, client, GRANT_TYPE, scope=access_scope, user_id=old.user_id,
            grant_id=old.grant_id, now=now, refresh=False,
        )
        storage.save_token(issued.record, now=now)
        return token_response(issued.access_token, issued.lifetime, access_scope, value)

    issued = _mint(ctx, client, old, now, None)
    new_record = issued.record
    if access_scope != old.scope:
        # Saved first: if the rotation then loses, the orphan is unknown to anyone and the
        # reuse cascade below revokes it with the rest of the grant.
        new_record, access = _split_narrowed(issued, access_scope, now)
        storage.save_token(access, now=now)
    result = storage.rotate_refresh_token(refresh_hash, new_record, now=now)
    if isinstance(result, Rotated):
        return token_response(
            issued.access_token, issued.lifetime, access_scope, issued.refresh_token
        )
    if isinstance(result, Reused):
        return _on_reuse(ctx, client, result.old, requested_scope, now)
    raise InvalidGrantError(_INVALID)
