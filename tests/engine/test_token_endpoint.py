"""Token endpoint hygiene (SECURITY.md, token endpoint hygiene)."""

from __future__ import annotations

import pytest
from conftest import ISSUER, Env, make_env

from oauth2_core import OAuth2Request, ServerConfig, requests, scopes
from oauth2_core.errors import StorageUnavailable
from oauth2_core.models import Client

pytestmark = pytest.mark.security("Token endpoint hygiene")

CC = {"grant_type": "client_credentials"}
RFC_ERRORS = {
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope", "temporarily_unavailable",
}


def _assert_no_store(response) -> None:  # type: ignore[no-untyped-def]
    assert response.header("cache-control") == "no-store"
    assert response.header("pragma") == "no-cache"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_post_only(env: Env, method: str) -> None:
    response = env.server.create_token_response(
        OAuth2Request(method, "/token?grant_type=client_credentials", env.basic("app"))
    )
    assert response.status == 405
    assert response.header("allow") == "POST"
    _assert_no_store(response)


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "text/plain", "multipart/form-data; boundary=x"]
)
def test_body_must_be_form_encoded(env: Env, content_type: str | None) -> None:
    headers = env.basic("app")
    if content_type:
        headers["Content-Type"] = content_type
    response = env.server.create_token_response(
        OAuth2Request("POST", "/token", headers, '{"grant_type":"client_credentials"}')
    )
    assert response.status == 400 and response.json()["error"] == "invalid_request"


def test_form_content_type_with_charset_is_fine(env: Env) -> None:
    form_type = "application/x-www-form-urlencoded; charset=UTF-8"
    headers = {**env.basic("app"), "Content-Type": form_type}
    response = env.server.create_token_response(
        OAuth2Request("POST", "/token", headers, "grant_type=client_credentials")
    )
    assert response.status == 200


def test_unsupported_grant_type(env: Env) -> None:
    for grant in ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "x"]:
        response = env.token({"grant_type": grant}, client="app")
        assert response.status == 400 and response.json()["error"] == "unsupported_grant_type"


def test_unauthorized_client(env: Env) -> None:
    response = env.token({"grant_type": "authorization_code", "code": "x"}, client="rs")
    assert response.status == 400 and response.json()["error"] == "unauthorized_client"


def test_missing_grant_type(env: Env) -> None:
    assert env.token({}, client="app").json()["error"] == "invalid_request"


def test_every_response_is_no_store(env: Env) -> None:
    _assert_no_store(env.token(CC, client="app"))
    _assert_no_store(env.token({"grant_type": "nope"}, client="app"))
    _assert_no_store(env.token(CC, headers={"Authorization": "Basic !!"}))


def test_duplicate_parameters_are_invalid_request(env: Env) -> None:
    code = env.get_code("app")
    form = [("grant_type", "authorization_code"), ("code", code), ("code", code),
            ("redirect_uri", "https://app.example.com/cb"), ("code_verifier", "v" * 43)]
    response = env.token(form, client="app")
    assert response.json()["error"] == "invalid_request"
    dup_grant = [("grant_type", "client_credentials"), ("grant_type", "client_credentials")]
    assert env.token(dup_grant, client="app").json()["error"] == "invalid_request"


def test_empty_parameters_count_as_absent(env: Env) -> None:
    assert env.token({"grant_type": "client_credentials", "scope": ""}, client="app").status == 200
    assert env.token({"grant_type": ""}, client="app").json()["error"] == "invalid_request"


def test_error_bodies_are_json_with_rfc_codes_and_clean_descriptions(env: Env) -> None:
    responses = [
        env.token({"grant_type": "nope"}, client="app"),
        env.token({"grant_type": "authorization_code", "code": "a\x00b\r\nc"}, client="app"),
        env.token({"grant_type": "client_credentials", "scope": "a\x01\"b"}, client="app"),
        env.token(CC, headers={"Authorization": "Basic \r\n"}),
    ]
    for response in responses:
        assert response.header("content-type") == "application/json"
        body = response.json()
        assert body["error"] in RFC_ERRORS
        description = body.get("error_description", "")
        assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in description)
        assert "Traceback" not in description and "SELECT" not in description


@pytest.mark.timeout(60)  # a guard against quadratic parsing, not a benchmark
def test_oversized_and_malformed_input_is_4xx_in_bounded_time(env: Env) -> None:
    bodies = [
        "grant_type=client_credentials&" + "a=1&" * 100_000,
        "x" * 10_000_000,
        "grant_type=" + "%" * 60_000,
        "grant_type=client_credentials&scope=" + "%ff" * 1000,
    ]
    for body in bodies:
        headers = {**env.basic("app"), "Content-Type": "application/x-www-form-urlencoded"}
        response = env.server.create_token_response(OAuth2Request("POST", "/token", headers, body))
        assert 400 <= response.status < 500, body[:40]
    huge_header = {"Authorization": "Basic " + "A" * 1_000_000,
                   "Content-Type": "application/x-www-form-urlencoded"}
    response = env.server.create_token_response(
        OAuth2Request("POST", "/token", huge_header, "grant_type=client_credentials")
    )
    assert response.status == 401


def test_password_grant_off_by_default(env: Env) -> None:
    form = {"grant_type": "password", "username": "alice", "password": "pw"}
    assert env.token(form, client="app").json()["error"] == "unsupported_grant_type"
    assert "password" not in env.server.metadata()["grant_types_supported"]


def test_password_grant_opt_in() -> None:
    config = ServerConfig(
        issuer=ISSUER,
        grant_types=("password", "refresh_token"),
        authenticate_user=lambda u, p: u if (u, p) == ("alice", "pw") else None,
    )
    env = make_env(config)
    env.add_client("legacy", grant_types=["password", "refresh_token"], redirect_uris=[])
    ok = env.token({"grant_type": "password", "username": "alice", "password": "pw"},
                   client="legacy")
    assert ok.status == 200 and "refresh_token" in ok.json()
    assert env.bearer(ok.json()["access_token"]).user_id == "alice"
    bad = env.token({"grant_type": "password", "username": "alice", "password": "x"},
                    client="legacy")
    assert bad.json()["error"] == "invalid_grant"
    assert "pw" not in repr(env.storage.inner.data.tokens)


def test_storage_outage_is_503_with_retry_after_not_invalid_grant(env: Env) -> None:
    tokens = env.code_flow("app")

    def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("connection refused")

    env.storage.inner.query_refresh_token = down  # type: ignore[method-assign]
    response = env.refresh("app", tokens["refresh_token"])
    assert response.status == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.header("retry-after") == "2"
    _assert_no_store(response)


def test_attacker_sized_values_are_not_kept_in_caches(env: Env) -> None:
    """The decode and scope caches speed up recurring short values; anonymous requests with
    long ones (a consent page needs no login to render) must not pin memory in them."""
    env.add_client("open", public=True)  # no registered scope: any scope may be asked
    requests._cached_urldecode.cache_clear()
    scopes._resolve.cache_clear()
    for n in range(20):
        scope = " ".join(f"s{n}-{i}" for i in range(2000))
        request = env.authorize_request(env.auth_params("open", scope=scope))
        assert env.server.validate_consent_request(request).scope == scope
    assert requests._cached_urldecode.cache_info().currsize <= 4
    assert scopes._resolve.cache_info().currsize == 0


def test_public_client_record_listing_confidential_grants_is_still_refused() -> None:
    """Registration refuses such a client, but a record can come from elsewhere (an
    application's own table behind CallableStorage): the grants refuse it too."""
    config = ServerConfig(
        issuer=ISSUER,
        grant_types=("authorization_code", "client_credentials", "refresh_token", "password"),
        authenticate_user=lambda username, password: username,
    )
    env = make_env(config)
    env.storage.inner.save_client(
        Client(
            client_id="pub",
            token_endpoint_auth_method="none",
            grant_types=("client_credentials", "password"),
        )
    )
    for form in (CC, {"grant_type": "password", "username": "u", "password": "p"}):
        response = env.token({**form, "client_id": "pub"})
        assert response.status == 400 and response.json()["error"] == "unauthorized_client"
    assert env.storage.calls["save_token"] == 0
