"""Storage and operations (SECURITY.md): digests at rest, outages, round trips."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import ISSUER, START, VERIFIER, CountingStorage, Env, make_env, redirect_params

from oauth2_core import OAuth2Request, ServerConfig
from oauth2_core.errors import (
    Conflict,
    DuplicateKey,
    InvalidTokenError,
    StorageUnavailable,
    TemporarilyUnavailableError,
)

pytestmark = pytest.mark.security("Storage and operations")


class BrokenStorage(CountingStorage):
    """Every storage call fails the way a dead backend does."""

    def __init__(self, error: type[Exception] = StorageUnavailable) -> None:
        super().__init__()
        self.error = error
        self.broken = False

    def __getattr__(self, name: str) -> Any:
        counted = super().__getattr__(name)
        if not callable(counted):
            return counted

        def failing(*args: Any, **kwargs: Any) -> Any:
            if self.broken:
                raise self.error("backend down")
            return counted(*args, **kwargs)

        return failing


@pytest.fixture(params=[StorageUnavailable, Conflict, DuplicateKey])
def broken(request: pytest.FixtureRequest) -> Env:
    storage = BrokenStorage(request.param)
    env = make_env(storage=storage)
    env.add_client("app", scope="read")
    env.add_client("rs", grant_types=["client_credentials"], redirect_uris=[], can_introspect=True)
    return env


def _assert_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status == 503
    assert response.header("retry-after") == "2"
    assert response.header("cache-control") == "no-store"
    assert response.location is None


def test_every_endpoint_answers_503_on_outage(broken: Env) -> None:
    tokens = broken.code_flow("app")
    code = broken.get_code("app")
    assert isinstance(broken.storage, BrokenStorage)
    broken.storage.broken = True
    for response in [
        broken.token({"grant_type": "client_credentials"}, client="rs"),
        broken.exchange("app", code),
        broken.refresh("app", tokens["refresh_token"]),
        broken.revoke({"token": tokens["access_token"]}, client="app"),
        broken.introspect({"token": tokens["access_token"]}, client="rs"),
    ]:
        _assert_503(response)
        assert response.json()["error"] == "temporarily_unavailable"
        assert b"backend down" not in response.body  # driver messages never leak
    page = broken.authorize("app")
    _assert_503(page)
    assert page.header("content-type").startswith("text/html")
    with pytest.raises(TemporarilyUnavailableError) as info:
        broken.bearer(tokens["access_token"])
    _assert_503(broken.server.create_error_response(None, info.value))
    request = broken.authorize_request(broken.auth_params("app"))
    with pytest.raises(TemporarilyUnavailableError) as outage:
        broken.server.validate_consent_request(request)
    _assert_503(broken.server.create_error_response(request, outage.value))


def test_outage_while_saving_the_code_is_a_503_page_not_a_redirect() -> None:
    storage = CountingStorage()
    env = make_env(storage=storage)
    env.add_client("app")

    def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("down")

    storage.inner.save_authorization_code = down  # type: ignore[method-assign]
    response = env.authorize("app")
    _assert_503(response)


def _everything_at_rest(env: Env) -> str:
    data = env.storage.inner.data
    return repr((data.clients, data.codes, data.tokens, data.refresh_index))


def test_only_digests_at_rest(env: Env) -> None:
    secrets_seen = [env.secrets["app"] or "", VERIFIER]
    code = env.get_code("app")
    secrets_seen.append(code)
    tokens = env.exchange("app", code).json()
    secrets_seen += [tokens["access_token"], tokens["refresh_token"]]
    new = env.refresh("app", tokens["refresh_token"]).json()
    secrets_seen += [new["access_token"], new["refresh_token"]]
    cc = env.token({"grant_type": "client_credentials"}, client="rs").json()
    secrets_seen.append(cc["access_token"])
    at_rest = _everything_at_rest(env)
    for value in secrets_seen:
        assert value not in at_rest


def test_nothing_secret_is_logged(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = env.get_code("app")
    tokens = env.exchange("app", code).json()
    env.refresh("app", tokens["refresh_token"])
    env.token({"grant_type": "client_credentials", "client_id": "x", "client_secret": "s3cr3t"})
    text = caplog.text
    for value in (code, tokens["access_token"], tokens["refresh_token"], "s3cr3t", VERIFIER):
        assert value not in text
    request = OAuth2Request("POST", "/token?x=1", {}, "client_secret=s3cr3t")
    assert "s3cr3t" not in repr(request) and "s3cr3t" not in repr(request.form)


def test_expiry_is_checked_at_read_time_by_the_engine(env: Env) -> None:
    tokens = env.code_flow("app")
    env.clock.advance(seconds=3600)
    assert env.introspect({"token": tokens["access_token"]}, client="rs").json() == {
        "active": False
    }


class FrozenReads(CountingStorage):
    """A backend whose reads ignore the engine's ``now`` (stale TTL, a forgotten check)."""

    def query_token(self, digest: str, *, now: Any) -> Any:
        return self.inner.query_token(digest, now=START)

    def query_refresh_token(self, digest: str, *, now: Any) -> Any:
        return self.inner.query_refresh_token(digest, now=START)

    def rotate_refresh_token(self, digest: str, new: Any, *, now: Any) -> Any:
        return self.inner.rotate_refresh_token(digest, new, now=START)


@pytest.mark.parametrize("grace", [0, 3600 * 24 * 30])
def test_engine_rechecks_expiry_of_what_a_store_returns(grace: int) -> None:
    """SECURITY.md: expiry is checked at read time everywhere; the engine does not trust a
    store's read to have done it (an expired refresh token is no grace-window candidate)."""
    config = ServerConfig(
        issuer=ISSUER, refresh_token_grace_seconds=grace, refresh_token_lifetime=7200
    )
    env = make_env(config, storage=FrozenReads())
    env.add_client("app", scope="read")
    tokens = env.code_flow("app")
    rotated = env.refresh("app", tokens["refresh_token"]).json()
    env.clock.advance(seconds=7200)
    with pytest.raises(InvalidTokenError):
        env.bearer(rotated["access_token"])
    for refresh_token in (tokens["refresh_token"], rotated["refresh_token"]):
        response = env.refresh("app", refresh_token)
        assert response.status == 400 and response.json()["error"] == "invalid_grant"


ROUND_TRIPS = {
    "client_credentials": {"query_client": 1, "save_new_grant_token": 1},
    "authorize": {"query_client": 1, "save_authorization_code": 1},
    "code_exchange": {"query_client": 1, "consume_authorization_code": 1, "save_token": 1},
    "refresh": {"query_client": 1, "query_refresh_token": 1, "rotate_refresh_token": 1},
    "bearer": {"query_token": 1},
    "revoke_access": {"query_client": 1, "query_token": 1, "revoke_token": 1},
    "revoke_refresh_with_hint": {"query_client": 1, "query_refresh_token": 1, "revoke_grant": 1},
    "introspect": {"query_client": 1, "query_token": 1},
}


def test_round_trips_per_operation(env: Env) -> None:
    measured: dict[str, dict[str, int]] = {}

    def measure(name: str, action: Any) -> Any:
        env.storage.reset()
        result = action()
        measured[name] = env.storage.trips()
        return result

    measure("client_credentials",
            lambda: env.token({"grant_type": "client_credentials"}, client="rs"))
    response = measure("authorize", lambda: env.authorize("app"))
    code = redirect_params(response)["code"]
    tokens = measure("code_exchange", lambda: env.exchange("app", code)).json()
    new = measure("refresh", lambda: env.refresh("app", tokens["refresh_token"])).json()
    measure("bearer", lambda: env.bearer(new["access_token"]))
    measure("introspect", lambda: env.introspect({"token": new["access_token"]}, client="rs"))
    measure("revoke_access", lambda: env.revoke({"token": new["access_token"]}, client="app"))
    other = env.code_flow("app")
    measure("revoke_refresh_with_hint", lambda: env.revoke(
        {"token": other["refresh_token"], "token_type_hint": "refresh_token"}, client="app"))
    assert measured == ROUND_TRIPS


class _WithoutNewGrantSave(CountingStorage):
    """A backend that does not offer the optional ``NewGrantTokenStore``."""

    def __getattr__(self, name: str) -> Any:
        if name == "save_new_grant_token":
            raise AttributeError(name)
        return super().__getattr__(name)


def test_new_grant_tokens_fall_back_to_save_token() -> None:
    env = make_env(storage=_WithoutNewGrantSave())
    env.add_client("rs", grant_types=["client_credentials"], redirect_uris=[])
    env.storage.reset()
    response = env.token({"grant_type": "client_credentials"}, client="rs")
    assert response.status == 200
    assert env.storage.trips() == {"query_client": 1, "save_token": 1}
    assert env.bearer(response.json()["access_token"]).grant_type == "client_credentials"


def test_new_grant_save_is_not_used_for_an_existing_grant(env: Env) -> None:
    """A code's grant may be revoked by a replay racing the exchange: its tokens go through
    ``save_token``, which honours the revoked-grant mark (``test_grant_marks``)."""
    env.code_flow("app")
    assert "save_new_grant_token" not in env.storage.trips()
    assert env.storage.trips()["save_token"] == 1


def test_narrowed_refresh_costs_one_extra_save(env: Env) -> None:
    tokens = env.code_flow("app", scope="read write")
    env.storage.reset()
    env.refresh("app", tokens["refresh_token"], scope="read")
    assert env.storage.trips() == {
        "query_client": 1, "query_refresh_token": 1, "save_token": 1, "rotate_refresh_token": 1
    }


def test_config_issuer_is_used(env: Env) -> None:
    assert env.server.config.issuer == ISSUER
    assert ServerConfig(issuer="https://x.example/").issuer == "https://x.example"
