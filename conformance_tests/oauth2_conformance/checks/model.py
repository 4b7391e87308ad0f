"""A Hypothesis state machine comparing the backend with the naive ``ReferenceModel``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import IssuedCode, IssuedToken, make_code, make_token, successor
from oauth2_conformance.reference_model import ReferenceModel
from oauth2_conformance.registry import check
from oauth2_core.clock import FakeClock
from oauth2_core.errors import DuplicateKey
from oauth2_core.models import Rotated
from oauth2_core.storage import Capability, Storage
from oauth2_core.tokens import new_grant_id

#: Bounded and derandomized so that CI runs are reproducible and short on network stores.
#: No shrink phase: against a network store shrinking a failure can take minutes; the
#: storage-level checks usually name the broken rule already.
MODEL_SETTINGS = settings(
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: Steps chosen to land exactly on and next to the lifetimes below.
STEPS = st.sampled_from(
    [
        timedelta(0),
        timedelta(milliseconds=1),
        timedelta(seconds=29, milliseconds=999),
        timedelta(seconds=30),
        timedelta(seconds=59, milliseconds=999),
    ]
)
CODE_LIFETIME = timedelta(seconds=60)
ACCESS_LIFETIME = timedelta(seconds=30)
REFRESH_LIFETIME = timedelta(seconds=90)


class StorageMachine(RuleBasedStateMachine):
    #: Two handles onto one namespace, set on the subclass built for each run.
    handles: tuple[Storage, Storage]
    capabilities: frozenset[Capability] = frozenset()

    codes = Bundle("codes")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        # Examples share the check's namespace: every example uses fresh random digests and
        # grant ids, so leftovers of earlier examples are invisible to it, and a store whose
        # namespaces are expensive to create (SQL schemas) pays that once, not per example.
        self.model = ReferenceModel()
        self.clock = FakeClock()
        self.grants = [new_grant_id() for _ in range(3)]

    # -- codes -----------------------------------------------------------------------------
    @rule(target=codes, grant=st.integers(0, 2), handle=st.integers(0, 1))
    def save_code(self, grant: int, handle: int) -> IssuedCode:
        now = self.clock.now()
        issued = make_code(now, grant_id=self.grants[grant], lifetime=CODE_LIFETIME)
        assert self.model.save_code(issued.record, now)
        self.handles[handle].save_authorization_code(issued.record, now=now)
        return issued

    @rule(code=codes, handle=st.integers(0, 1))
    def consume(self, code: IssuedCode, handle: int) -> None:
        now = self.clock.now()
        expected = self.model.consume(code.record.code_hash, now)
        actual = self.handles[handle].consume_authorization_code(code.record.code_hash, now=now)
        assert actual == expected, f"consume: store {actual!r}, contract {expected!r}"

    @rule(code=codes)
    def resave_live_code(self, code: IssuedCode) -> None:
        now = self.clock.now()
        if self.model._code(code.record.code_hash, now) is None:
            return  # after expiry a store may or may not still hold the digest
        with pytest.raises(DuplicateKey):
            self.handles[0].save_authorization_code(code.record, now=now)

    # -- tokens ----------------------------------------------------------------------------
    @rule(target=tokens, grant=st.integers(0, 2), refresh=st.booleans())
    def save_token(self, grant: int, refresh: bool) -> IssuedToken:
        now = self.clock.now()
        issued = make_token(
            now,
            grant_id=self.grants[grant],
            refresh=refresh,
            access_lifetime=ACCESS_LIFETIME,
            refresh_lifetime=REFRESH_LIFETIME,
        )
        assert self.model.save_token(issued.record, now)
        self.handles[0].save_token(issued.record, now=now)
        return issued

    @rule(token=tokens, handle=st.integers(0, 1))
    def query(self, token: IssuedToken, handle: int) -> None:
        now = self.clock.now()
        storage = self.handles[handle]
        expected = self.model.query_token(token.access_hash, now)
        actual = storage.query_token(token.access_hash, now=now)
        assert actual == expected, f"query_token: store {actual!r}, contract {expected!r}"
        if token.refresh is not None:
            expected = self.model.query_refresh(token.refresh_hash, now)
            actual = storage.query_refresh_token(token.refresh_hash, now=now)
            assert actual == expected, f"query_refresh_token: {actual!r}, contract {expected!r}"

    @precondition(lambda self: Capability.ATOMIC_REFRESH_ROTATION in self.capabilities)
    @rule(target=tokens, token=tokens, handle=st.integers(0, 1))
    def rotate(self, token: IssuedToken, handle: int) -> Any:
        if token.refresh is None:
            return multiple()
        now = self.clock.now()
        new = successor(
            token, now, access_lifetime=ACCESS_LIFETIME, refresh_lifetime=REFRESH_LIFETIME
        )
        expected = self.model.rotate(token.refresh_hash, new.record, now)
        actual = self.handles[handle].rotate_refresh_token(token.refresh_hash, new.record, now=now)
        assert actual == expected, f"rotate: store {actual!r}, contract {expected!r}"
        return multiple(new) if isinstance(actual, Rotated) else multiple()

    @rule(token=tokens, use_refresh=st.booleans(), handle=st.integers(0, 1))
    def revoke(self, token: IssuedToken, use_refresh: bool, handle: int) -> None:
        now = self.clock.now()
        digest = token.refresh_hash if use_refresh and token.refresh else token.access_hash
        self.model.revoke_token(digest, now)
        self.handles[handle].revoke_token(digest, now=now)

    @precondition(lambda self: Capability.REVOCATION_CASCADE in self.capabilities)
    @rule(grant=st.integers(0, 2))
    def revoke_grant(self, grant: int) -> None:
        now = self.clock.now()
        self.model.revoke_grant(self.grants[grant], now)
        self.handles[1].revoke_grant(self.grants[grant], now=now)

    @rule(step=STEPS)
    def advance(self, step: timedelta) -> None:
        self.clock.advance(step)


@check(
    "MODEL-001",
    "Random operation sequences agree with a naive reference model",
    group="model",
    rfc="RFC 6749 s4.1.2, s6; RFC 7009 s2.1",
    requires={Capability.CODE_REUSE_DETECTION},
    profile="full",
    hint="The failing step list printed by Hypothesis is a reproducer: replay it against "
    "your storage and compare the differing answer with the contract; the storage-level "
    "checks that fail alongside usually name the rule.",
)
def state_machine(ctx: CheckContext) -> None:
    """Save/consume codes, save/query/rotate/revoke tokens, revoke grants and move a fake
    clock across expiry boundaries, through two handles; every answer must equal the
    reference model's. Bounded: 50 examples of up to 50 steps, derandomized."""
    machine = type(
        "StorageMachine",
        (StorageMachine,),
        {"handles": (ctx.storage, ctx.make_storage()), "capabilities": ctx.capabilities},
    )
    run_state_machine_as_test(machine, settings=MODEL_SETTINGS)
