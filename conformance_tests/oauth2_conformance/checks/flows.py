"""Full OAuth flows through ``AuthorizationServer`` on top of the backend under test."""

from __future__ import annotations

from oauth2_conformance.context import CheckContext
from oauth2_conformance.flowkit import FlowDriver
from oauth2_conformance.registry import check
from oauth2_core.storage import Capability

CODE_FLOW = {
    Capability.CLIENT_WRITE,
    Capability.ATOMIC_CODE_CONSUME,
    Capability.CODE_REUSE_DETECTION,
    Capability.REVOCATION_CASCADE,
    Capability.ATOMIC_REFRESH_ROTATION,
}
FLOW_HINT = (
    "Run the failing flow against MemoryStorage to see the expected storage calls; the "
    "storage-level check of the same rule (see the message) names the primitive to fix."
)


def _code_flow_driver(ctx: CheckContext) -> FlowDriver:
    return FlowDriver(ctx, grant_types=("authorization_code", "refresh_token"))


@check(
    "FLOW-001",
    "Authorization code + PKCE (S256) yields working tokens",
    group="flows",
    rfc="RFC 6749 s4.1; RFC 7636 s4",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT,
)
def code_pkce(ctx: CheckContext) -> None:
    """Authorize, exchange the code with its verifier, call a resource with the token."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    code, verifier = flow.authorize(client)
    answer = flow.exchange(client, code, verifier)
    assert answer.status == 200, answer.body
    assert answer["token_type"].lower() == "bearer" and answer["scope"] == "read write"
    assert flow.active(answer["access_token"]), "the fresh access token is not accepted"
    assert "refresh_token" in answer.body


@check(
    "FLOW-002",
    "Client credentials yields an access token and no refresh token",
    group="flows",
    rfc="RFC 6749 s4.4",
    requires={Capability.CLIENT_WRITE},
    profile="standard",
    hint=FLOW_HINT,
)
def client_credentials(ctx: CheckContext) -> None:
    """A confidential client gets a usable access token without a refresh token."""
    flow = FlowDriver(ctx, grant_types=("client_credentials",))
    client = flow.register(grant_types=("client_credentials",))
    answer = flow.token(client, grant_type="client_credentials")
    assert answer.status == 200, answer.body
    assert "refresh_token" not in answer.body, "client_credentials must not issue refresh tokens"
    assert flow.active(answer["access_token"])


@check(
    "FLOW-003",
    "Refreshing rotates the refresh token and retires the old access token",
    group="flows",
    rfc="RFC 6749 s6; RFC 9700 s4.14.2",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT + " Storage-level: ROT-001.",
)
def refresh(ctx: CheckContext) -> None:
    """A refresh answers a new pair; the new access token works, the old one does not."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    first = flow.exchange(client, *flow.authorize(client))
    ctx.clock.advance(seconds=10)
    second = flow.refresh(client, first["refresh_token"])
    assert second.status == 200, second.body
    assert second["refresh_token"] != first["refresh_token"], "refresh token not rotated"
    assert flow.active(second["access_token"])
    assert not flow.active(first["access_token"]), "the old access token survived rotation"
    third = flow.refresh(client, second["refresh_token"])
    assert third.status == 200, third.body


@check(
    "FLOW-004",
    "Revoking a refresh token ends the grant's access",
    group="flows",
    rfc="RFC 7009 s2.1",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT + " Storage-level: REV-002, REV-004.",
)
def revoke(ctx: CheckContext) -> None:
    """Revocation answers 200 (also for unknown tokens); the tokens are unusable afterwards."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    answer = flow.exchange(client, *flow.authorize(client))
    assert flow.revoke(client, answer["refresh_token"], "refresh_token") == 200
    assert not flow.active(answer["access_token"]), "access token active after revocation"
    again = flow.refresh(client, answer["refresh_token"])
    assert again.error == "invalid_grant", again.body
    assert flow.revoke(client, "not-a-token") == 200


@check(
    "FLOW-005",
    "Introspection reports active tokens and exactly {active: false} otherwise",
    group="flows",
    rfc="RFC 7662 s2.2",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT + " Storage-level: TOKEN-001, REV-001.",
)
def introspect(ctx: CheckContext) -> None:
    """The caller sees its own active token with client_id, scope, exp; revoked is inactive."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    answer = flow.exchange(client, *flow.authorize(client))
    seen = flow.introspect(client, answer["access_token"])
    assert seen.get("active") is True, seen
    assert seen["client_id"] == client.client_id and seen["scope"] == "read write", seen
    assert seen["exp"] > seen["iat"]
    flow.revoke(client, answer["access_token"], "access_token")
    assert flow.introspect(client, answer["access_token"]) == {"active": False}
    assert flow.introspect(client, "unknown-token") == {"active": False}


@check(
    "FLOW-006",
    "Replaying a redeemed code fails and revokes the tokens issued from it",
    group="flows",
    rfc="RFC 6749 s4.1.2; RFC 9700 s4.2.4",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT + " Storage-level: CODE-002 (tombstone) and REV-004 (cascade).",
)
def code_replay(ctx: CheckContext) -> None:
    """The second exchange of a code is invalid_grant; the first exchange's tokens die."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    code, verifier = flow.authorize(client)
    first = flow.exchange(client, code, verifier)
    assert first.status == 200, first.body
    replay = flow.exchange(client, code, verifier)
    assert replay.error == "invalid_grant", replay.body
    assert not flow.active(first["access_token"]), "tokens survived a code replay"
    after = flow.refresh(client, first["refresh_token"])
    assert after.error == "invalid_grant", after.body


@check(
    "FLOW-007",
    "Reusing a rotated-out refresh token revokes the whole family",
    group="flows",
    rfc="RFC 9700 s4.14.2",
    requires=CODE_FLOW,
    profile="standard",
    hint=FLOW_HINT + " Storage-level: ROT-002 (Reused) and REV-004 (cascade).",
)
def refresh_reuse(ctx: CheckContext) -> None:
    """Refresh once, replay the old refresh token: invalid_grant, and the new pair is dead."""
    flow = _code_flow_driver(ctx)
    client = flow.register()
    first = flow.exchange(client, *flow.authorize(client))
    second = flow.refresh(client, first["refresh_token"])
    assert second.status == 200, second.body
    reuse = flow.refresh(client, first["refresh_token"])
    assert reuse.error == "invalid_grant", reuse.body
    assert not flow.active(second["access_token"]), "the family survived refresh reuse"
    after = flow.refresh(client, second["refresh_token"])
    assert after.error == "invalid_grant", after.body
