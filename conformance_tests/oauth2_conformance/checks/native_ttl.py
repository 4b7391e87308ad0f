"""Native TTL reclamation in real time (the only checks that wait on the wall clock)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_code, make_token
from oauth2_conformance.registry import check
from oauth2_core.clock import to_utc_ms
from oauth2_core.storage import Capability

LIFETIME = timedelta(seconds=1)
POLL = 0.25


@check(
    "TTL-001",
    "The store reclaims expired codes and tokens by itself within the declared timeout",
    group="native_ttl",
    rfc="RFC 6749 s10.5",
    requires={Capability.NATIVE_TTL},
    hooks=("native_ttl_timeout", "raw_record_count"),
    profile="full",
    slow=True,
    hint="Give every record a native expiry of its remaining lifetime, expires_at - now, "
    "anchored on the store's own clock (Redis: PX expires_at - now; Mongo: a TTL index on a "
    "field set to $$NOW + lifetime), never the absolute expires_at, which SKEW-002's distant "
    "engine clock would turn into an immediate or a never-firing expiry; count every "
    "key/document of the namespace in raw_record_count.",
)
def reclaimed(ctx: CheckContext) -> None:
    """A code, a consumed code and a token with 1 s lifetimes disappear from the raw store
    within ``native_ttl_timeout`` seconds after expiry (polled, never a fixed sleep)."""
    now = to_utc_ms(datetime.now(UTC))
    codes = [make_code(now, lifetime=LIFETIME) for _ in range(2)]
    for code in codes:
        ctx.storage.save_authorization_code(code.record, now=now)
    ctx.storage.consume_authorization_code(codes[1].record.code_hash, now=now)
    token = make_token(now, access_lifetime=LIFETIME, refresh_lifetime=LIFETIME)
    ctx.storage.save_token(token.record, now=now)
    count = ctx.hook("raw_record_count")
    assert count(ctx.namespace) > 0, "raw_record_count sees nothing right after saving"
    timeout = float(ctx.hook("native_ttl_timeout"))
    deadline = time.monotonic() + LIFETIME.total_seconds() + timeout
    remaining = count(ctx.namespace)
    while remaining and time.monotonic() < deadline:
        time.sleep(POLL)
        remaining = count(ctx.namespace)
    assert remaining == 0, (
        f"{remaining} record(s) still present {timeout:g} s after expiry "
        "(native_ttl_timeout declared by the harness)"
    )
