"""Precision and time zones: aware UTC out, millisecond round trip, any input zone."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_client, make_code, make_token
from oauth2_conformance.registry import check
from oauth2_core.models import Consumed, NotFound
from oauth2_core.storage import Capability

ODD_MS = datetime(2031, 12, 31, 23, 59, 58, 999000, tzinfo=UTC)
TZ_HINT = (
    "Store instants as UTC (TIMESTAMP WITH TIME ZONE / DATETIME(3) holding UTC / epoch "
    "milliseconds) and convert back with tzinfo=UTC; normalise aware inputs with "
    "astimezone(UTC) before storing."
)


def _datetimes(record: object) -> dict[str, datetime]:
    return {
        f.name: value
        for f in fields(record)  # type: ignore[arg-type]
        if isinstance(value := getattr(record, f.name), datetime)
    }


def _assert_aware_utc(record: object) -> None:
    for name, value in _datetimes(record).items():
        offset = value.utcoffset() if value.tzinfo is not None else None
        assert offset == timedelta(0), (
            f"{type(record).__name__}.{name} came back as {value!r}: not aware UTC"
        )


@check(
    "PREC-001",
    "Datetimes come back timezone-aware in UTC",
    group="precision",
    rfc="RFC 3339 s4.1",
    hint=TZ_HINT,
)
def aware_utc(ctx: CheckContext) -> None:
    """Every datetime of a returned code and token has ``tzinfo`` and offset zero."""
    code = make_code(ctx.now())
    ctx.storage.save_authorization_code(code.record, now=ctx.now())
    result = ctx.storage.consume_authorization_code(code.record.code_hash, now=ctx.now())
    assert isinstance(result, Consumed), result
    _assert_aware_utc(result.code)
    token = make_token(ctx.now())
    ctx.storage.save_token(token.record, now=ctx.now())
    found = ctx.storage.query_token(token.access_hash, now=ctx.now())
    assert found is not None
    _assert_aware_utc(found)
    refreshed = ctx.storage.query_refresh_token(token.refresh_hash, now=ctx.now())
    assert refreshed is not None
    _assert_aware_utc(refreshed)


@check(
    "PREC-002",
    "Millisecond precision round-trips exactly",
    group="precision",
    rfc="RFC 6749 s4.2.2 (expires_in)",
    hint="Use a column type with at least millisecond precision (MySQL DATETIME(3) or (6), "
    "not DATETIME; BSON dates are ms) and never round to seconds.",
)
def milliseconds(ctx: CheckContext) -> None:
    """Instants with 999 ms read back equal, for codes, tokens and clients."""
    ctx.clock.set(ODD_MS)
    token = make_token(
        ctx.now(), access_lifetime=timedelta(milliseconds=1001), refresh_lifetime=timedelta(1)
    )
    ctx.storage.save_token(token.record, now=ctx.now())
    assert ctx.storage.query_token(token.access_hash, now=ctx.now()) == token.record
    code = make_code(ctx.now(), lifetime=timedelta(seconds=59, milliseconds=1))
    ctx.storage.save_authorization_code(code.record, now=ctx.now())
    result = ctx.storage.consume_authorization_code(code.record.code_hash, now=ctx.now())
    assert result == Consumed(replace(code.record, consumed_at=ctx.now())), result
    if Capability.CLIENT_WRITE in ctx.capabilities:
        client = make_client(created_at=ODD_MS)
        ctx.storage.save_client(client)
        assert ctx.storage.query_client(client.client_id) == client


@check(
    "PREC-003",
    "Aware datetimes in other zones are stored as the same instant",
    group="precision",
    rfc="RFC 3339 s4.2",
    hint=TZ_HINT + " Never drop tzinfo with replace(tzinfo=None) on a non-UTC value.",
)
def other_zones(ctx: CheckContext) -> None:
    """Records and ``now`` given in +05:30 and -08:00 compare as instants and come back
    as the same instants in UTC (the engine itself only ever passes UTC)."""
    india = timezone(timedelta(hours=5, minutes=30))
    pacific = timezone(timedelta(hours=-8))
    start = ctx.now()
    token = make_token(start.astimezone(india), access_lifetime=timedelta(minutes=10))
    ctx.storage.save_token(token.record, now=start.astimezone(pacific))
    expires = token.record.access_expires_at
    before = (expires - timedelta(milliseconds=1)).astimezone(pacific)
    found = ctx.storage.query_token(token.access_hash, now=before)
    assert found is not None, "a live token was treated as expired (zone offset ignored)"
    assert found.access_expires_at == expires and found.issued_at == start
    _assert_aware_utc(found)
    at = expires.astimezone(pacific)
    assert ctx.storage.query_token(token.access_hash, now=at) is None, (
        "an expired token was returned (zone offset ignored)"
    )
    code = make_code(start.astimezone(pacific))
    ctx.storage.save_authorization_code(code.record, now=start.astimezone(india))
    at_expiry = code.record.expires_at.astimezone(india)
    result = ctx.storage.consume_authorization_code(code.record.code_hash, now=at_expiry)
    assert isinstance(result, NotFound), f"at expires_at (given in +05:30): {result}"
