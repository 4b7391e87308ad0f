"""Nothing in clear at rest: after full flows, no issued bearer value is in the raw store."""

from __future__ import annotations

from oauth2_conformance.checks.flows import CODE_FLOW
from oauth2_conformance.context import CheckContext
from oauth2_conformance.flowkit import FlowDriver
from oauth2_conformance.records import make_token
from oauth2_conformance.registry import check
from oauth2_core.storage import Capability

LEAK_HINT = (
    "Persist only the digests the engine passes in (code_hash, access/refresh_token_hash, "
    "client_secret_hash); never store request bodies, bearer values or PKCE verifiers, and "
    "do not log them into the store."
)


@check(
    "REST-001",
    "No code, token, client secret or verifier is stored in clear",
    group="at_rest",
    rfc="RFC 9700 s4.14; RFC 6819 s5.1.4.1.3",
    requires=CODE_FLOW | {Capability.CLIENT_WRITE},
    hooks=("raw_dump",),
    profile="standard",
    hint=LEAK_HINT,
)
def nothing_in_clear(ctx: CheckContext) -> None:
    """Code + PKCE, refresh, reuse, client credentials, revocation; then every value the
    flows saw is searched for in ``raw_dump``, which must hold their digests instead."""
    flow = FlowDriver(ctx)
    client = flow.register()
    first = flow.exchange(client, *flow.authorize(client))
    second = flow.refresh(client, first["refresh_token"])
    flow.revoke(client, second["access_token"], "access_token")
    machine = flow.register(grant_types=("client_credentials",))
    flow.token(machine, grant_type="client_credentials")
    flow.exchange(client, *flow.authorize(client))
    dump = ctx.hook("raw_dump")(ctx.namespace)
    assert isinstance(dump, str) and dump, "raw_dump returned nothing"
    leaked = [value for value in flow.secrets if value in dump]
    assert not leaked, f"{len(leaked)} of {len(flow.secrets)} bearer values found at rest"


@check(
    "REST-002",
    "The raw view shows the stored digests",
    group="at_rest",
    rfc="RFC 9700 s4.14",
    hooks=("raw_dump",),
    profile="standard",
    hint="raw_dump must render every record physically stored for the namespace (rows, "
    "values, documents), or REST-001 proves nothing.",
)
def raw_view_works(ctx: CheckContext) -> None:
    """A saved token's digests appear in ``raw_dump`` (so REST-001 searches the real data)."""
    token = make_token(ctx.now())
    ctx.storage.save_token(token.record, now=ctx.now())
    dump = ctx.hook("raw_dump")(ctx.namespace)
    assert token.access_hash in dump and token.refresh_hash in dump, "digests missing from view"
