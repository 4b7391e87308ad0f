"""``CallableStorage``: honest capabilities, read-time rules, and the full flow when the
application supplies (and vouches for) atomic operations."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import integration_flows as flows
import pytest
from flask import Flask
from integration_flows import WEBAPP, DictCallables
from test_integrations_flask import FlaskHttp, add_views

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError
from oauth2_core.integrations.flask import AuthorizationServer as FlaskServer
from oauth2_core.models import Token
from oauth2_core.server import AuthorizationServer
from oauth2_core.storage.callables import CallableStorage
from oauth2_core.storage.memory import MemoryStorage
from oauth2_core.storage.protocols import Capability
from oauth2_core.tokens import hash_token, new_grant_id

ATOMIC = {
    Capability.ATOMIC_CODE_CONSUME,
    Capability.CODE_REUSE_DETECTION,
    Capability.ATOMIC_REFRESH_ROTATION,
}


def token_record(clock: FakeClock, **changes: Any) -> Token:
    now = clock.now()
    token = Token(
        access_token_hash=hash_token("access"),
        client_id="webapp",
        scope="profile",
        grant_id=new_grant_id(),
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + timedelta(hours=1),
        user_id="alice",
        refresh_token_hash=hash_token("refresh"),
        refresh_expires_at=now + timedelta(days=1),
    )
    return replace(token, **changes)


def seed_style() -> tuple[DictCallables, CallableStorage]:
    app = DictCallables()
    storage = CallableStorage(query_client=app.query_client, save_token=app.save_token,
                              query_token=app.query_token)
    return app, storage


def test_bare_callables_promise_nothing_atomic() -> None:
    _, storage = seed_style()
    assert storage.capabilities == frozenset()


def test_capabilities_that_follow_from_presence() -> None:
    def noop(*args: Any, **kwargs: Any) -> None:
        return None

    storage = CallableStorage(
        query_client=noop, save_token=noop, save_client=noop, delete_client=noop,
        revoke_grant=noop,
    )
    assert storage.capabilities == {Capability.CLIENT_WRITE, Capability.REVOCATION_CASCADE}


def test_atomic_capabilities_need_the_operation_and_the_applications_word() -> None:
    memory = MemoryStorage()
    without_word = CallableStorage(
        query_client=memory.query_client, save_token=memory.save_token,
        save_authorization_code=memory.save_authorization_code,
        consume_authorization_code=memory.consume_authorization_code,
    )
    assert Capability.ATOMIC_CODE_CONSUME not in without_word.capabilities
    with pytest.raises(ConfigurationError, match="consume_authorization_code"):
        CallableStorage(query_client=memory.query_client, save_token=memory.save_token,
                        capabilities={Capability.ATOMIC_CODE_CONSUME})
    with pytest.raises(ConfigurationError, match="cannot provide: purge"):
        CallableStorage(query_client=memory.query_client, save_token=memory.save_token,
                        capabilities={Capability.PURGE})


def test_unknown_or_non_callable_arguments_are_refused() -> None:
    app = DictCallables()
    with pytest.raises(ConfigurationError, match="unknown storage callables: query_tokens"):
        CallableStorage(query_client=app.query_client, save_token=app.save_token,
                        query_tokens=app.query_token)
    with pytest.raises(ConfigurationError, match="query_token must be callable"):
        CallableStorage(query_client=app.query_client, save_token=app.save_token,
                        query_token="nope")  # type: ignore[arg-type]


def test_engine_refuses_code_grant_on_bare_callables() -> None:
    _, storage = seed_style()
    with pytest.raises(ConfigurationError, match=flows.REFUSED_CODE_GRANT):
        AuthorizationServer(storage)


def test_reads_honour_expiry_and_retirement_without_the_callable_knowing(
    clock: FakeClock,
) -> None:
    app, storage = seed_style()
    storage.save_token(token_record(clock), now=clock.now())
    digest = hash_token("access")
    assert storage.query_token(digest, now=clock.now()) is not None
    assert storage.query_token(digest, now=clock.now() + timedelta(hours=1)) is None
    app.tokens[digest] = token_record(clock, revoked_at=clock.now())
    assert storage.query_token(digest, now=clock.now()) is None


def test_refresh_reads_return_retired_records_until_expiry(clock: FakeClock) -> None:
    retired = token_record(clock, rotated_at=clock.now())
    storage = CallableStorage(
        query_client=lambda client_id: None,
        save_token=lambda token: None,
        query_refresh_token=lambda digest: retired,
    )
    assert storage.query_refresh_token("x", now=clock.now()) == retired
    assert storage.query_refresh_token("x", now=clock.now() + timedelta(days=1)) is None


def test_missing_operation_names_the_callable(clock: FakeClock) -> None:
    _, storage = seed_style()
    with pytest.raises(ConfigurationError, match="revoke_token callable"):
        storage.revoke_token("x", now=clock.now())


def test_full_flow_when_the_application_vouches_for_atomic_operations(clock: FakeClock) -> None:
    """Callables over a store that really is atomic (the memory store here)."""
    memory = MemoryStorage()
    memory.save_client(WEBAPP)
    memory.save_client(flows.SERVICE)
    # The application's functions: simple CRUD reads, atomic writes given ``now``.
    data = memory.data
    storage = CallableStorage(
        query_client=memory.query_client,
        save_token=lambda token: memory.save_token(token, now=token.issued_at),
        query_token=data.tokens.get,
        query_refresh_token=lambda digest: data.tokens.get(data.refresh_index.get(digest, "")),
        save_authorization_code=lambda code: memory.save_authorization_code(
            code, now=code.issued_at),
        consume_authorization_code=memory.consume_authorization_code,
        rotate_refresh_token=memory.rotate_refresh_token,
        revoke_token=memory.revoke_token,
        revoke_grant=memory.revoke_grant,
        capabilities=ATOMIC,
    )
    app = Flask(__name__)
    add_views(app, FlaskServer(app, storage, clock=clock))
    http = FlaskHttp(app)
    flows.check_code_flow_and_protected_views(http)
    flows.check_refresh(http)
    flows.check_revoke_and_introspect(http)


def test_saves_after_revoke_grant_arrive_revoked_in_this_process() -> None:
    """revoke_grant's mark (storage contract): a token of the grant saved afterwards, as a
    code replay's cascade racing the winner's save, reaches the application revoked."""
    app = DictCallables()
    revoked: list[str] = []

    def revoke_grant(grant_id: str, *, now: datetime) -> None:
        revoked.append(grant_id)

    storage = CallableStorage(
        query_client=app.query_client, save_token=app.save_token, query_token=app.query_token,
        revoke_grant=revoke_grant,
    )
    clock = FakeClock()
    late = token_record(clock)
    storage.revoke_grant(late.grant_id, now=clock.now())
    clock.advance(seconds=1)
    storage.save_token(late, now=clock.now())
    assert revoked == [late.grant_id]
    assert app.tokens[late.access_token_hash].revoked_at == clock.now()
    assert storage.query_token(late.access_token_hash, now=clock.now()) is None
    other = token_record(clock, access_token_hash=hash_token("other"), grant_id=new_grant_id())
    storage.save_token(other, now=clock.now())
    assert app.tokens[other.access_token_hash].revoked_at is None
