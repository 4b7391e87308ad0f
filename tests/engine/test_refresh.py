"""Refresh tokens (SECURITY.md, refresh tokens; RFC 6749 section 6, RFC 9700 4.14)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import ISSUER, START, Env, make_env

from oauth2_core import AuthorizationServer, MemoryStorage, ServerConfig
from oauth2_core.errors import InsufficientScopeError, InvalidTokenError
from oauth2_core.tokens import hash_token

pytestmark = pytest.mark.security("Refresh tokens")


def test_rotation_on_every_use(env: Env) -> None:
    tokens = env.code_flow("app")
    first = env.refresh("app", tokens["refresh_token"])
    assert first.status == 200
    new = first.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    # rotation retires the old record: its access token is inactive too
    with pytest.raises(InvalidTokenError):
        env.bearer(tokens["access_token"])
    assert env.bearer(new["access_token"]).grant_id == env.bearer(new["access_token"]).grant_id


def test_new_record_keeps_the_grant_id_and_user(env: Env) -> None:
    tokens = env.code_flow("app")
    grant_id = env.bearer(tokens["access_token"]).grant_id
    new = env.refresh("app", tokens["refresh_token"]).json()
    record = env.bearer(new["access_token"])
    assert record.grant_id == grant_id and record.user_id == "alice"


def test_reuse_revokes_the_whole_family(env: Env) -> None:
    tokens = env.code_flow("app")
    new = env.refresh("app", tokens["refresh_token"]).json()
    reuse = env.refresh("app", tokens["refresh_token"])
    assert reuse.status == 400 and reuse.json()["error"] == "invalid_grant"
    with pytest.raises(InvalidTokenError):
        env.bearer(new["access_token"])
    assert env.refresh("app", new["refresh_token"]).json()["error"] == "invalid_grant"


def test_bound_to_client_and_other_clients_attempt_has_no_side_effect(env: Env) -> None:
    tokens = env.code_flow("app")
    env.storage.reset()
    stolen = env.refresh("other", tokens["refresh_token"])
    assert stolen.status == 400 and stolen.json()["error"] == "invalid_grant"
    assert env.storage.trips() == {"query_client": 1, "query_refresh_token": 1}
    assert env.refresh("app", tokens["refresh_token"]).status == 200


def test_scope_must_be_subset_and_new_refresh_token_keeps_original_scope(env: Env) -> None:
    tokens = env.code_flow("app", scope="read write")
    wider = env.refresh("app", tokens["refresh_token"], scope="read write admin")
    assert wider.json()["error"] == "invalid_scope"
    narrow = env.refresh("app", tokens["refresh_token"], scope="read")
    assert narrow.status == 200 and narrow.json()["scope"] == "read"
    assert env.bearer(narrow.json()["access_token"]).scope == "read"
    with pytest.raises(InsufficientScopeError):
        env.bearer(narrow.json()["access_token"], "write")
    again = env.refresh("app", narrow.json()["refresh_token"])
    assert again.status == 200 and again.json()["scope"] == "read write"
    assert env.bearer(again.json()["access_token"], "write").scope == "read write"


def test_narrowed_refresh_reuse_still_cascades(env: Env) -> None:
    tokens = env.code_flow("app", scope="read write")
    narrow = env.refresh("app", tokens["refresh_token"], scope="read").json()
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"
    with pytest.raises(InvalidTokenError):
        env.bearer(narrow["access_token"])
    assert env.refresh("app", narrow["refresh_token"]).json()["error"] == "invalid_grant"


def test_concurrent_refreshes_give_exactly_one_success(env: Env) -> None:
    tokens = env.code_flow("app")
    barrier = threading.Barrier(12)
    results: list[int] = []
    lock = threading.Lock()

    def use() -> None:
        barrier.wait()
        status = env.refresh("app", tokens["refresh_token"]).status
        with lock:
            results.append(status)

    threads = [threading.Thread(target=use) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [400] * 11


def test_grace_window_lets_a_benign_retry_succeed() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, refresh_token_grace_seconds=10))
    env.add_client("app")
    tokens = env.code_flow("app")
    first = env.refresh("app", tokens["refresh_token"]).json()
    env.clock.advance(seconds=5)
    retry = env.refresh("app", tokens["refresh_token"])
    assert retry.status == 200
    assert env.bearer(first["access_token"])  # nothing was revoked
    assert env.bearer(retry.json()["access_token"])
    env.clock.advance(seconds=5)
    late = env.refresh("app", tokens["refresh_token"])
    assert late.json()["error"] == "invalid_grant"
    with pytest.raises(InvalidTokenError):
        env.bearer(first["access_token"])


def test_grace_window_never_extends_past_expiry() -> None:
    config = ServerConfig(
        issuer=ISSUER, refresh_token_grace_seconds=600, refresh_token_lifetime=100
    )
    env = make_env(config)
    env.add_client("app")
    tokens = env.code_flow("app")
    env.clock.advance(seconds=95)
    env.refresh("app", tokens["refresh_token"])
    env.clock.advance(seconds=1)
    retry = env.refresh("app", tokens["refresh_token"])
    assert retry.status == 200
    assert retry.json()["expires_in"] <= 4
    record = env.storage.inner.query_refresh_token(
        hash_token(retry.json()["refresh_token"]), now=env.clock.now()
    )
    assert record is not None
    assert record.refresh_expires_at == START + timedelta(seconds=100)
    assert record.access_expires_at <= START + timedelta(seconds=100)
    env.clock.advance(seconds=4)
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert env.refresh("app", retry.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_grace_window_default_is_zero() -> None:
    assert ServerConfig().refresh_token_grace_seconds == 0


def test_revoked_refresh_token_is_not_saved_by_grace() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, refresh_token_grace_seconds=10))
    env.add_client("app")
    tokens = env.code_flow("app")
    env.revoke({"token": tokens["refresh_token"]}, client="app")
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_reuse_detection_survives_a_restart(env: Env) -> None:
    tokens = env.code_flow("app")
    env.refresh("app", tokens["refresh_token"])
    restarted = AuthorizationServer(
        MemoryStorage(env.storage.inner.data), env.server.config, clock=env.clock
    )
    env.server = restarted
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_refresh_token_fails(env: Env) -> None:
    tokens = env.code_flow("app")
    env.clock.advance(seconds=14 * 24 * 3600)
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_no_refresh_token_for_client_credentials(env: Env) -> None:
    body = env.token({"grant_type": "client_credentials"}, client="rs").json()
    assert "refresh_token" not in body


def test_refresh_token_generator_false_disables_refresh_tokens() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, refresh_token_generator=False))
    env.add_client("app")
    assert "refresh_token" not in env.code_flow("app")


def test_without_rotation_the_refresh_token_is_kept() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, rotate_refresh_tokens=False))
    env.add_client("app")
    tokens = env.code_flow("app")
    first = env.refresh("app", tokens["refresh_token"]).json()
    assert first["refresh_token"] == tokens["refresh_token"]
    assert env.refresh("app", tokens["refresh_token"]).status == 200


def test_unknown_refresh_token_and_missing_parameter(env: Env) -> None:
    assert env.refresh("app", "nope").json()["error"] == "invalid_grant"
    missing = env.token({"grant_type": "refresh_token"}, client="app")
    assert missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize("scope", ["read write admin", 're"ad'])
def test_reuse_with_a_bad_scope_still_revokes_the_family(env: Env, scope: str) -> None:
    """Presenting a rotated-out token is reuse whatever else the request says (RFC 9700
    4.14.2): a scope error must not let the replay go unnoticed."""
    tokens = env.code_flow("app", scope="read")
    new = env.refresh("app", tokens["refresh_token"]).json()
    response = env.refresh("app", tokens["refresh_token"], scope=scope)
    assert response.status == 400 and response.json()["error"] == "invalid_grant"
    with pytest.raises(InvalidTokenError):
        env.bearer(new["access_token"])
    assert env.refresh("app", new["refresh_token"]).json()["error"] == "invalid_grant"
