"""Revocation (RFC 7009) and introspection (RFC 7662) (SECURITY.md section of that name)."""

from __future__ import annotations

import pytest
from conftest import ISSUER, START, Env

from oauth2_core import OAuth2Request
from oauth2_core.errors import InvalidTokenError, StorageUnavailable

pytestmark = pytest.mark.security("Revocation and introspection")


def _active(env: Env, token: str, caller: str = "rs") -> bool:
    return bool(env.introspect({"token": token}, client=caller).json()["active"])


def test_revoking_unknown_or_already_revoked_token_is_200(env: Env) -> None:
    response = env.revoke({"token": "unknown"}, client="app")
    assert response.status == 200 and response.body == b""
    assert response.header("cache-control") == "no-store"
    tokens = env.code_flow("app")
    assert env.revoke({"token": tokens["access_token"]}, client="app").status == 200
    assert env.revoke({"token": tokens["access_token"]}, client="app").status == 200


def test_revoking_access_token(env: Env) -> None:
    tokens = env.code_flow("app")
    env.revoke({"token": tokens["access_token"]}, client="app")
    with pytest.raises(InvalidTokenError):
        env.bearer(tokens["access_token"])


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "bogus"])
def test_hint_is_only_a_hint(env: Env, hint: str | None) -> None:
    tokens = env.code_flow("app")
    form = {"token": tokens["refresh_token"]}
    if hint:
        form["token_type_hint"] = hint
    assert env.revoke(form, client="app").status == 200
    assert env.refresh("app", tokens["refresh_token"]).json()["error"] == "invalid_grant"
    tokens = env.code_flow("app")
    form = {"token": tokens["access_token"]}
    if hint:
        form["token_type_hint"] = hint
    env.revoke(form, client="app")
    assert not _active(env, tokens["access_token"])


def test_revoking_refresh_token_revokes_the_grants_access_tokens(env: Env) -> None:
    tokens = env.code_flow("app")
    new = env.refresh("app", tokens["refresh_token"]).json()
    env.revoke({"token": new["refresh_token"]}, client="app")
    with pytest.raises(InvalidTokenError):
        env.bearer(new["access_token"])
    assert env.refresh("app", new["refresh_token"]).json()["error"] == "invalid_grant"


def test_another_clients_token_is_left_alone(env: Env) -> None:
    tokens = env.code_flow("app")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = env.revoke({"token": token}, client="other")
        assert response.status == 200 and response.body == b""
    assert env.bearer(tokens["access_token"])
    assert env.refresh("app", tokens["refresh_token"]).status == 200


def test_revocation_requires_client_auth_and_post(env: Env) -> None:
    tokens = env.code_flow("app")
    response = env.revoke({"token": tokens["access_token"]})
    assert response.status == 401 and response.json()["error"] == "invalid_client"
    get = env.server.create_revocation_response(OAuth2Request("GET", "/revoke?token=x"))
    assert get.status == 405
    missing = env.revoke({}, client="app")
    assert missing.status == 400 and missing.json()["error"] == "invalid_request"
    assert env.bearer(tokens["access_token"])


def test_public_client_can_revoke_its_tokens(env: Env) -> None:
    tokens = env.code_flow("spa")
    assert env.revoke({"token": tokens["refresh_token"]}, client="spa").status == 200
    with pytest.raises(InvalidTokenError):
        env.bearer(tokens["access_token"])


def test_revocation_storage_error_is_503_never_200(env: Env) -> None:
    tokens = env.code_flow("app")

    def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("down")

    env.storage.inner.revoke_token = down  # type: ignore[method-assign]
    response = env.revoke({"token": tokens["access_token"]}, client="app")
    assert response.status == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.header("retry-after") == "2"


def test_introspection_active_answer(env: Env) -> None:
    tokens = env.code_flow("app", scope="read")
    body = env.introspect({"token": tokens["access_token"]}, client="rs").json()
    assert body == {
        "active": True,
        "client_id": "app",
        "scope": "read",
        "exp": int(START.timestamp()) + 3600,
        "iat": int(START.timestamp()),
        "token_type": "Bearer",
        "iss": ISSUER,
        "sub": "alice",
    }
    refresh = env.introspect({"token": tokens["refresh_token"]}, client="app").json()
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"


def test_client_credentials_token_has_no_sub(env: Env) -> None:
    token = env.token({"grant_type": "client_credentials"}, client="app").json()
    body = env.introspect({"token": token["access_token"]}, client="app").json()
    assert body["active"] is True and "sub" not in body


def test_introspection_inactive_is_exactly_active_false(env: Env) -> None:
    tokens = env.code_flow("app")
    revoked = env.code_flow("app")
    env.revoke({"token": revoked["access_token"]}, client="app")
    rotated = env.code_flow("app")
    env.refresh("app", rotated["refresh_token"])
    cases = [
        ("unknown", "rs"),
        (tokens["access_token"], "other"),  # not the caller's business
        (tokens["refresh_token"], "other"),
        (revoked["access_token"], "rs"),
        (rotated["access_token"], "rs"),
        (rotated["refresh_token"], "rs"),
    ]
    for token, caller in cases:
        response = env.introspect({"token": token}, client=caller)
        assert response.status == 200
        assert response.body == b'{"active":false}'
        assert response.header("cache-control") == "no-store"
    env.clock.advance(seconds=3600)
    assert env.introspect({"token": tokens["access_token"]}, client="rs").json() == {
        "active": False
    }


def test_introspection_requires_an_authenticated_caller(env: Env) -> None:
    tokens = env.code_flow("app")
    assert env.introspect({"token": tokens["access_token"]}).status == 401
    public = env.introspect({"token": tokens["access_token"]}, client="spa")
    assert public.status == 401 and public.json()["error"] == "invalid_client"
    wrong = env.introspect({"token": tokens["access_token"]},
                           headers=env.basic("rs", "wrong"))
    assert wrong.status == 401


def test_introspection_of_own_token_without_can_introspect(env: Env) -> None:
    tokens = env.code_flow("app")
    assert _active(env, tokens["access_token"], caller="app")


def test_introspection_storage_error_is_503(env: Env) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("down")

    env.storage.inner.query_token = down  # type: ignore[method-assign]
    response = env.introspect({"token": "x"}, client="rs")
    assert response.status == 503 and response.header("retry-after") == "2"
