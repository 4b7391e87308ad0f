"""Authorization codes (SECURITY.md, authorization codes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from conftest import ISSUER, REDIRECT, CountingStorage, Env, make_env, redirect_params

from oauth2_core import ConfigurationError, ServerConfig
from oauth2_core.models import Consumed, ConsumeResult
from oauth2_core.tokens import hash_code, hash_token

pytestmark = pytest.mark.security("Authorization codes")


def test_code_flow_end_to_end(env: Env) -> None:
    tokens = env.code_flow("app", scope="read")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "read"
    assert tokens["refresh_token"]
    record = env.bearer(tokens["access_token"], "read")
    assert record.user_id == "alice" and record.client_id == "app"


def test_code_has_at_least_128_bits(env: Env) -> None:
    codes = {env.get_code("app") for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) >= 43 for code in codes)  # 256 bits, base64url


def test_default_lifetime_60s_and_expired_code_fails(env: Env) -> None:
    code = env.get_code("app")
    env.clock.advance(seconds=60)
    response = env.exchange("app", code)
    assert response.status == 400 and response.json()["error"] == "invalid_grant"


def test_expired_code_fails_even_if_the_record_still_exists(env: Env) -> None:
    code = env.get_code("app")
    env.clock.advance(seconds=61)
    digest = hash_code("app", code)
    assert digest in env.storage.inner.data.codes  # not purged
    assert env.exchange("app", code).json()["error"] == "invalid_grant"


def test_code_lifetime_is_capped_at_ten_minutes() -> None:
    with pytest.raises(ConfigurationError):
        ServerConfig(authorization_code_lifetime=601)


def test_single_use_and_replay_revokes_every_token(env: Env) -> None:
    code = env.get_code("app")
    first = env.exchange("app", code)
    assert first.status == 200
    tokens = first.json()
    replay = env.exchange("app", code)
    assert replay.status == 400 and replay.json()["error"] == "invalid_grant"
    digest = hash_token(tokens["access_token"])
    assert env.storage.inner.query_token(digest, now=env.clock.now()) is None
    refresh = env.refresh("app", tokens["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


def test_replay_also_revokes_tokens_refreshed_from_the_code(env: Env) -> None:
    code = env.get_code("app")
    tokens = env.exchange("app", code).json()
    refreshed = env.refresh("app", tokens["refresh_token"]).json()
    env.exchange("app", code)
    introspected = env.introspect({"token": refreshed["access_token"]}, client="rs")
    assert introspected.json() == {"active": False}


def test_another_clients_attempt_consumes_nothing_and_revokes_nothing(env: Env) -> None:
    code = env.get_code("app")
    stolen = env.exchange("other", code)
    assert stolen.status == 400 and stolen.json()["error"] == "invalid_grant"
    assert env.storage.calls["revoke_grant"] == 0
    assert env.exchange("app", code).status == 200
    # after legitimate use, the other client's replay still revokes nothing
    env.storage.reset()
    assert env.exchange("other", code).json()["error"] == "invalid_grant"
    assert env.storage.calls["revoke_grant"] == 0


def test_redirect_uri_sent_must_be_repeated_exactly(env: Env) -> None:
    code = env.get_code("app")
    assert env.exchange("app", code, redirect_uri="<omit>").json()["error"] == "invalid_grant"
    code = env.get_code("app")
    response = env.exchange("app", code, redirect_uri=REDIRECT + "/")
    assert response.json()["error"] == "invalid_grant"
    # the failed attempt consumed the code
    assert env.exchange("app", code).json()["error"] == "invalid_grant"


def test_redirect_uri_omitted_at_authorize_need_not_be_repeated() -> None:
    env = make_env()
    env.add_client("one")
    code = env.get_code("one", redirect_uri="<omit>")
    assert env.exchange("one", code, redirect_uri="<omit>").status == 200
    code = env.get_code("one", redirect_uri="<omit>")
    bad = env.exchange("one", code, redirect_uri="https://evil.example/cb")
    assert bad.json()["error"] == "invalid_grant"


def test_loopback_port_must_be_repeated_at_token_endpoint() -> None:
    env = make_env()
    env.add_client("native", public=True, redirect_uris=["http://127.0.0.1/cb"])
    code = env.get_code("native", redirect_uri="http://127.0.0.1:5000/cb")
    form = {"grant_type": "authorization_code", "code": code, "client_id": "native",
            "redirect_uri": "http://127.0.0.1:5000/cb",
            "code_verifier": "v" * 43 + "-._~0123456789"}
    assert env.token(form).status == 200


def test_code_consumed_before_any_token_is_minted_and_before_checks(env: Env) -> None:
    code = env.get_code("app")
    env.storage.reset()
    env.exchange("app", code, code_verifier="x" * 43)
    assert env.storage.trips() == {"query_client": 1, "consume_authorization_code": 1}


def test_concurrent_redemptions_give_exactly_one_token(env: Env) -> None:
    lock = threading.Lock()
    for _ in range(5):
        code = env.get_code("app")
        barrier = threading.Barrier(16)
        results: list[int] = []

        def redeem(
            code: str = code, barrier: threading.Barrier = barrier, results: list[int] = results
        ) -> None:
            barrier.wait()
            status = env.exchange("app", code).status
            with lock:
                results.append(status)

        threads = [threading.Thread(target=redeem) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200] + [400] * 15


def test_only_the_digest_is_stored(env: Env) -> None:
    code = env.get_code("app")
    stored = list(env.storage.inner.data.codes.values())
    assert len(stored) == 1
    assert code not in repr(stored)
    assert stored[0].code_hash == hash_code("app", code)
    result = env.storage.inner.consume_authorization_code(hash_code("app", code),
                                                          now=env.clock.now())
    assert isinstance(result, Consumed)


def test_iss_and_state_on_code_redirect(env: Env) -> None:
    params = redirect_params(env.authorize("app", state="abc"))
    assert params["iss"] == ISSUER and params["state"] == "abc"


def test_storage_without_code_capabilities_is_refused() -> None:
    storage = CountingStorage()
    storage.capabilities = frozenset()
    with pytest.raises(ConfigurationError) as info:
        make_env(storage=storage)
    message = str(info.value)
    for name in ("ATOMIC_CODE_CONSUME", "CODE_REUSE_DETECTION", "REVOCATION_CASCADE",
                 "ATOMIC_REFRESH_ROTATION"):
        assert name in message


class ReplayBetweenConsumeAndSave(CountingStorage):
    """Runs a replay of the code in the window between the winner's consume and its
    save_token: the interleaving two concurrent redemptions can produce."""

    replay: Callable[[], None] | None = None

    def consume_authorization_code(self, code_hash: str, *, now: datetime) -> ConsumeResult:
        result = self.inner.consume_authorization_code(code_hash, now=now)
        replay, self.replay = self.replay, None
        if isinstance(result, Consumed) and replay is not None:
            replay()
        return result


def test_replay_racing_the_winner_still_revokes_its_tokens() -> None:
    """The replay's revoke_grant lands between the winner's consume and its save_token: the
    grant's mark makes the winner's tokens arrive revoked (storage contract, revoke_grant)."""
    storage = ReplayBetweenConsumeAndSave()
    env = make_env(storage=storage)
    env.add_client("app", scope="read")
    code = env.get_code("app")
    replies: list[int] = []
    storage.replay = lambda: replies.append(env.exchange("app", code).status)
    tokens = env.exchange("app", code).json()
    assert replies == [400]
    assert env.introspect({"token": tokens["access_token"]}, client="app").json() == {
        "active": False
    }
