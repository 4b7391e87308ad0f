"""Metadata (RFC 8414) and bearer validation (RFC 6750) (SECURITY.md section of that name)."""

from __future__ import annotations

import pytest
from conftest import ISSUER, Env, make_env

from oauth2_core import OAuth2Request, ServerConfig
from oauth2_core.errors import (
    InsufficientScopeError,
    InvalidTokenError,
    MissingTokenError,
    OAuth2Error,
)

pytestmark = pytest.mark.security("Metadata and bearer validation")


def test_metadata_lists_exactly_what_is_enabled(env: Env) -> None:
    data = env.server.metadata()
    assert data["issuer"] == ISSUER
    assert data["grant_types_supported"] == [
        "authorization_code", "client_credentials", "refresh_token"
    ]
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["authorization_response_iss_parameter_supported"] is True
    assert data["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic", "client_secret_post", "none"
    ]
    assert data["authorization_endpoint"] == ISSUER + "/authorize"
    assert data["token_endpoint"] == ISSUER + "/token"
    assert data["revocation_endpoint"] == ISSUER + "/revoke"
    assert data["introspection_endpoint"] == ISSUER + "/introspect"
    assert "scopes_supported" not in data


def test_metadata_never_lists_legacy_grants_unless_enabled() -> None:
    default = make_env().server.metadata()
    assert "implicit" not in default["grant_types_supported"]
    assert "password" not in default["grant_types_supported"]
    assert "token" not in default["response_types_supported"]
    legacy = make_env(ServerConfig(
        issuer=ISSUER, grant_types=("authorization_code", "implicit", "password"),
        authenticate_user=lambda u, p: None, scopes_supported=("read",),
    )).server.metadata()
    assert "implicit" in legacy["grant_types_supported"]
    assert "password" in legacy["grant_types_supported"]
    assert legacy["response_types_supported"] == ["code", "token"]
    assert legacy["scopes_supported"] == ["read"]


def test_client_credentials_only_server_has_no_authorization_endpoint() -> None:
    data = make_env(ServerConfig(issuer=ISSUER, grant_types=("client_credentials",))).server
    assert "authorization_endpoint" not in data.metadata()
    assert data.metadata()["response_types_supported"] == []


def test_metadata_response(env: Env) -> None:
    response = env.server.create_metadata_response()
    assert response.status == 200 and response.json() == env.server.metadata()
    mutated = env.server.metadata()
    mutated["issuer"] = "x"
    assert env.server.metadata()["issuer"] == ISSUER


def _request(headers: dict[str, str], uri: str = "/api") -> OAuth2Request:
    return OAuth2Request("GET", uri, headers)


def test_missing_token_is_401_bare_challenge(env: Env) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}):
        with pytest.raises(MissingTokenError) as info:
            env.server.validate_bearer_token(_request(headers))
        response = env.server.create_error_response(None, info.value)
        assert response.status == 401
        assert response.header("www-authenticate") == 'Bearer realm="oauth2-core"'
        assert b"error" not in response.body


def test_invalid_expired_revoked_are_401_invalid_token(env: Env) -> None:
    tokens = env.code_flow("app")
    revoked = env.code_flow("app")
    env.revoke({"token": revoked["access_token"]}, client="app")
    for value in ["nope", revoked["access_token"]]:
        with pytest.raises(InvalidTokenError) as info:
            env.bearer(value)
        response = env.server.create_error_response(None, info.value)
        assert response.status == 401
        challenge = response.header("www-authenticate") or ""
        assert challenge.startswith('Bearer realm="oauth2-core", error="invalid_token"')
    env.clock.advance(seconds=3600)
    with pytest.raises(InvalidTokenError):
        env.bearer(tokens["access_token"])


def test_insufficient_scope_is_403(env: Env) -> None:
    tokens = env.code_flow("app", scope="read")
    assert env.bearer(tokens["access_token"], "read").scope == "read"
    with pytest.raises(InsufficientScopeError) as info:
        env.bearer(tokens["access_token"], "read write")
    response = env.server.create_error_response(None, info.value)
    assert response.status == 403
    challenge = response.header("www-authenticate") or ""
    assert 'error="insufficient_scope"' in challenge and 'scope="read write"' in challenge


def test_query_string_tokens_are_ignored(env: Env) -> None:
    tokens = env.code_flow("app")
    with pytest.raises(MissingTokenError):
        uri = f"/api?access_token={tokens['access_token']}"
        env.server.validate_bearer_token(_request({}, uri))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_scheme_is_case_insensitive(env: Env, scheme: str) -> None:
    tokens = env.code_flow("app")
    record = env.server.validate_bearer_token(
        _request({"Authorization": f"{scheme} {tokens['access_token']}"})
    )
    assert record.client_id == "app"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a, Bearer b"])
def test_malformed_bearer_is_invalid_token(env: Env, header: str) -> None:
    with pytest.raises(OAuth2Error) as info:
        env.server.validate_bearer_token(_request({"Authorization": header}))
    assert info.value.error in ("invalid_token", "")
    assert env.server.create_error_response(None, info.value).status == 401


def test_bearer_costs_one_query_token(env: Env) -> None:
    tokens = env.code_flow("app")
    env.storage.reset()
    env.bearer(tokens["access_token"])
    assert env.storage.trips() == {"query_token": 1}
