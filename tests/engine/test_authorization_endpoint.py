"""The authorization endpoint (SECURITY.md, authorization endpoint)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from conftest import ISSUER, REDIRECT, Env, make_env, redirect_params

from oauth2_core import OAuth2Request, ServerConfig
from oauth2_core.errors import OAuth2Error

pytestmark = pytest.mark.security("Authorization endpoint")


def _assert_page(response, status: int = 400) -> None:  # type: ignore[no-untyped-def]
    assert response.status == status
    assert response.location is None
    assert response.header("content-type").startswith("text/html")


def test_success_redirect_carries_code_state_and_iss(env: Env) -> None:
    response = env.authorize("app", state="s t&a=1")
    assert response.status == 302
    params = redirect_params(response)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == "s t&a=1"
    assert params["iss"] == ISSUER
    assert response.location.startswith(REDIRECT + "?")
    assert len(params["code"]) >= 22  # >= 128 bits in base64url
    assert response.header("access-control-allow-origin") is None


def test_no_state_means_no_state_in_redirect(env: Env) -> None:
    response = env.authorize("app", state="<omit>")
    assert "state" not in redirect_params(response)


@pytest.mark.parametrize(
    "requested",
    [
        REDIRECT + "/",
        "https://APP.example.com/cb",
        "https://app.example.com:443/cb",
        "https://app.example.com/%63b",
        "https://app.example.com/cb/extra",
        "https://app.example.com/c",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb#x",
        "https://evil.example/cb",
        "HTTPS://app.example.com/cb",
    ],
)
def test_redirect_uri_must_match_exactly_and_mismatch_is_a_page(env: Env, requested: str) -> None:
    response = env.authorize("app", redirect_uri=requested)
    _assert_page(response)
    assert "invalid_request" in response.text
    assert not any(name.lower().startswith("access-control-") for name, _ in response.headers)


def test_loopback_accepts_any_port_but_localhost_is_not_loopback() -> None:
    env = make_env()
    env.add_client("native", public=True, redirect_uris=["http://127.0.0.1/cb", "http://[::1]/cb"])
    for uri in ["http://127.0.0.1:51234/cb", "http://127.0.0.1/cb", "http://[::1]:7/cb"]:
        response = env.authorize("native", redirect_uri=uri)
        assert response.status == 302 and response.location.startswith(uri + "?")
    for uri in [
        "http://localhost:51234/cb",
        "http://127.0.0.1:51234/cb2",
        "http://127.0.0.1:51234/CB",
        "http://127.0.0.1.evil.com/cb",
        "http://127.0.0.1:1@evil.com/cb",
        "https://127.0.0.1:51234/cb",
    ]:
        _assert_page(env.authorize("native", redirect_uri=uri))


def test_unknown_or_missing_client_is_a_page(env: Env) -> None:
    _assert_page(env.authorize("nobody"))
    _assert_page(env.authorize("<omit>"))
    _assert_page(env.authorize("APP"))  # client ids are case-sensitive


def test_several_registered_uris_require_redirect_uri() -> None:
    env = make_env()
    env.add_client("two", redirect_uris=[REDIRECT, "https://app.example.com/other"])
    _assert_page(env.authorize("two", redirect_uri="<omit>"))
    assert env.authorize("two").status == 302


def test_single_registered_uri_may_be_omitted() -> None:
    env = make_env()
    env.add_client("one")
    response = env.authorize("one", redirect_uri="<omit>")
    assert response.status == 302 and response.location.startswith(REDIRECT)


def test_errors_after_validation_redirect_with_state_and_iss(env: Env) -> None:
    response = env.authorize("app", scope="admin")
    assert response.status == 302
    params = redirect_params(response)
    assert params == {
        "error": "invalid_scope",
        "error_description": params["error_description"],
        "state": "xyz",
        "iss": ISSUER,
    }


def test_validation_order_client_and_redirect_before_anything_else(env: Env) -> None:
    # Everything else is wrong too, yet the answer is a page, not a redirect.
    response = env.authorize(
        "app", redirect_uri="https://evil.example/cb", response_type="token", scope="admin"
    )
    _assert_page(response)


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_duplicate_client_id_or_redirect_uri_is_a_page(env: Env, name: str) -> None:
    params = list(env.auth_params("app").items())
    params.append((name, dict(params)[name]))
    request = env.authorize_request(params)
    response = env.server.create_authorization_response(request, grant_user="alice")
    _assert_page(response)


@pytest.mark.parametrize("name", ["response_type", "scope", "code_challenge"])
def test_other_duplicate_parameters_redirect_invalid_request(env: Env, name: str) -> None:
    params = list(env.auth_params("app", scope="read").items())
    params.append((name, dict(params)[name]))
    response = env.server.create_authorization_response(
        env.authorize_request(params), grant_user="alice"
    )
    assert redirect_params(response)["error"] == "invalid_request"
    assert redirect_params(response)["state"] == "xyz"


def test_duplicate_state_redirects_without_state(env: Env) -> None:
    params = [*env.auth_params("app").items(), ("state", "other")]
    response = env.server.create_authorization_response(
        env.authorize_request(params), grant_user="alice"
    )
    params_back = redirect_params(response)
    assert params_back["error"] == "invalid_request" and "state" not in params_back


def test_empty_parameters_count_as_absent_and_unknown_ones_are_ignored(env: Env) -> None:
    response = env.authorize("app", state="", foo="bar", scope="")
    assert response.status == 302
    params = redirect_params(response)
    assert "code" in params and "state" not in params


def test_missing_response_type_and_unsupported_ones(env: Env) -> None:
    assert redirect_params(env.authorize("app", response_type="<omit>"))["error"] == (
        "invalid_request"
    )
    assert redirect_params(env.authorize("app", response_type="id_token"))["error"] == (
        "unsupported_response_type"
    )


def test_implicit_is_off_by_default(env: Env) -> None:
    response = env.authorize("app", response_type="token")
    assert redirect_params(response)["error"] == "unsupported_response_type"
    assert "?" in response.location and "#" not in response.location


def test_client_not_allowed_the_code_flow_is_unauthorized_client() -> None:
    env = make_env()
    env.add_client("ccx", grant_types=["client_credentials"], redirect_uris=[REDIRECT])
    assert redirect_params(env.authorize("ccx"))["error"] == "unauthorized_client"


def test_denial_is_access_denied_redirect(env: Env) -> None:
    response = env.authorize("app", user=None)
    assert redirect_params(response) == {
        "error": "access_denied",
        "error_description": "the resource owner denied the request",
        "state": "xyz",
        "iss": ISSUER,
    }


def test_post_consent_answers_303_never_307(env: Env) -> None:
    query = urlencode(env.auth_params("app"))
    request = OAuth2Request(
        "POST", "/authorize?" + query,
        {"Content-Type": "application/x-www-form-urlencoded"}, "confirm=yes",
    )
    response = env.server.create_authorization_response(request, grant_user="alice")
    assert response.status == 303
    denied = env.server.create_authorization_response(request, grant_user=None)
    assert denied.status == 303
    assert redirect_params(denied)["error"] == "access_denied"


def test_validate_consent_request_returns_the_grant(env: Env) -> None:
    request = env.authorize_request(env.auth_params("app", scope="read"))
    grant = env.server.validate_consent_request(request, end_user="alice")
    assert grant.client.client_id == "app"
    assert grant.redirect_uri == REDIRECT and grant.redirect_uri_sent
    assert grant.scope == "read" and grant.scopes == ("read",)
    assert grant.state == "xyz" and grant.response_type == "code"
    assert grant.code_challenge_method == "S256"
    assert env.server.get_consent_grant(request).client.client_id == "app"


def test_validate_consent_request_errors_render_page_or_redirect(env: Env) -> None:
    bad_client = env.authorize_request(env.auth_params("nobody"))
    with pytest.raises(OAuth2Error) as info:
        env.server.validate_consent_request(bad_client)
    assert info.value.redirect_uri is None
    _assert_page(env.server.create_error_response(bad_client, info.value))

    bad_scope = env.authorize_request(env.auth_params("app", scope="admin"))
    with pytest.raises(OAuth2Error) as info:
        env.server.validate_consent_request(bad_scope)
    assert info.value.redirect_uri == REDIRECT
    response = env.server.create_error_response(bad_scope, info.value)
    assert redirect_params(response)["error"] == "invalid_scope"


def test_user_object_with_get_user_id(env: Env) -> None:
    class User:
        def get_user_id(self) -> int:
            return 42

    tokens = env.code_flow("app")
    assert env.bearer(tokens["access_token"]).user_id == "alice"
    response = env.exchange("app", env.get_code("app", user=User()))  # type: ignore[arg-type]
    assert env.bearer(response.json()["access_token"]).user_id == "42"


def test_other_methods_are_refused(env: Env) -> None:
    request = OAuth2Request("PUT", "/authorize?" + urlencode(env.auth_params("app")))
    response = env.server.create_authorization_response(request, grant_user="alice")
    assert response.status == 405 and response.location is None
    assert response.header("allow") == "GET, POST"  # RFC 9110 section 15.5.6


def test_scope_rules() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, scopes_supported=("read", "write")))
    env.add_client("app", scope="read write")
    env.add_client("free")
    assert redirect_params(env.authorize("free", scope="read"))["code"]
    assert redirect_params(env.authorize("free", scope="delete"))["error"] == "invalid_scope"
    assert redirect_params(env.authorize("app", scope='re"ad'))["error"] == "invalid_scope"
    grant = env.server.validate_consent_request(env.authorize_request(env.auth_params("app")))
    assert grant.scope == "read write"  # no scope asked: the client's registered scope


def test_consent_form_may_carry_the_parameters_in_the_body(env: Env) -> None:
    body = urlencode({**env.auth_params("app"), "decision": "approve"})
    request = OAuth2Request(
        "POST", "/authorize", {"Content-Type": "application/x-www-form-urlencoded"}, body
    )
    response = env.server.create_authorization_response(request, grant_user="alice")
    assert response.status == 303 and "code" in redirect_params(response)


def test_parameter_in_both_query_and_body_is_a_duplicate(env: Env) -> None:
    params = env.auth_params("app")
    request = OAuth2Request(
        "POST", "/authorize?" + urlencode(params),
        {"Content-Type": "application/x-www-form-urlencoded"}, "code_challenge_method=S256",
    )
    response = env.server.create_authorization_response(request, grant_user="alice")
    assert redirect_params(response)["error"] == "invalid_request"


def test_oversized_query_is_a_page(env: Env) -> None:
    query = "&".join(f"p{i}=x" for i in range(500))
    request = OAuth2Request("GET", "/authorize?" + query)
    _assert_page(env.server.create_authorization_response(request, grant_user="alice"))


def test_translated_descriptions_stay_ascii_in_challenges() -> None:
    env = make_env(ServerConfig(
        issuer=ISSUER, translate_error=lambda error, text, locales: "jeton invalide é\r\n",
    ))
    with pytest.raises(OAuth2Error) as info:
        env.bearer("nope")
    request = OAuth2Request("GET", "/api", {"Accept-Language": "fr"})
    response = env.server.create_error_response(request, info.value)
    challenge = response.header("www-authenticate") or ""
    assert 'error_description="jeton invalide "' in challenge
    assert response.json()["error_description"] == "jeton invalide é"


@pytest.mark.parametrize("client_id", ["a\x00b", "app\n", "\u00e9t\u00e9"])
def test_client_id_outside_rfc_charset_is_a_page_without_storage(env: Env, client_id: str) -> None:
    request = env.authorize_request(env.auth_params(client_id))
    _assert_page(env.server.create_authorization_response(request, grant_user="alice"))
    assert env.storage.calls["query_client"] == 0
