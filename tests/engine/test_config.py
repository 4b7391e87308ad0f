"""Configuration: capabilities, generators, error URIs, translations, OAUTH2_* settings."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ISSUER, CountingStorage, Env, make_env, redirect_params

from oauth2_core import ConfigurationError, ServerConfig
from oauth2_core.models import Client
from oauth2_core.storage.protocols import Capability


def custom_token(client: Client, grant_type: str, user: Any, scope: str) -> str:
    return f"custom-{client.client_id}-{grant_type}-{user}-{scope}-" + "x" * 8


def test_capability_check_names_what_is_missing() -> None:
    storage = CountingStorage()
    storage.capabilities = frozenset(
        {Capability.ATOMIC_CODE_CONSUME, Capability.CODE_REUSE_DETECTION,
         Capability.REVOCATION_CASCADE}
    )
    with pytest.raises(ConfigurationError) as info:
        make_env(storage=storage)
    assert "refresh_token needs ATOMIC_REFRESH_ROTATION" in str(info.value)
    assert "authorization_code" not in str(info.value)


def test_weak_store_still_serves_client_credentials_only() -> None:
    storage = CountingStorage()
    storage.capabilities = frozenset()
    env = make_env(ServerConfig(issuer=ISSUER, grant_types=("client_credentials",)), storage)
    env.add_client("svc", grant_types=["client_credentials"], redirect_uris=[])
    assert env.token({"grant_type": "client_credentials"}, client="svc").status == 200


def test_password_grant_needs_authenticate_user() -> None:
    with pytest.raises(ConfigurationError):
        make_env(ServerConfig(issuer=ISSUER, grant_types=("password",)))


@pytest.mark.parametrize("generator", [custom_token, "test_config.custom_token",
                                       "test_config:custom_token"])
def test_access_token_generator_callable_or_dotted_path(generator: Any) -> None:
    env = make_env(ServerConfig(issuer=ISSUER, access_token_generator=generator))
    env.add_client("app", scope="read")
    body = env.token({"grant_type": "client_credentials"}, client="app").json()
    assert body["access_token"].startswith("custom-app-client_credentials-None-read-")
    tokens = env.code_flow("app")
    assert tokens["access_token"].startswith("custom-app-authorization_code-alice-read-")
    assert env.bearer(tokens["access_token"]).user_id == "alice"


def test_refresh_token_generator_true_and_callable() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, refresh_token_generator=True))
    env.add_client("app")
    assert len(env.code_flow("app")["refresh_token"]) >= 43
    env = make_env(ServerConfig(issuer=ISSUER, refresh_token_generator=custom_token))
    env.add_client("app")
    assert env.code_flow("app")["refresh_token"].startswith("custom-app-")


def test_bad_generator_path_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        ServerConfig(access_token_generator="no.such.module:thing")


def test_expires_in_per_grant() -> None:
    config = ServerConfig(
        issuer=ISSUER, expires_in={"authorization_code": 864000, "client_credentials": 60}
    )
    env = make_env(config)
    env.add_client("app")
    assert env.code_flow("app")["expires_in"] == 864000
    body = env.token({"grant_type": "client_credentials"}, client="app").json()
    assert body["expires_in"] == 60


def test_error_uris_only_when_configured(env: Env) -> None:
    plain = env.token({"grant_type": "nope"}, client="app").json()
    assert "error_uri" not in plain
    config = ServerConfig(
        issuer=ISSUER, error_uris={"unsupported_grant_type": "https://docs.example/errors#ugt",
                                   "invalid_scope": "https://docs.example/errors#scope"}
    )
    env = make_env(config)
    env.add_client("app", scope="read")
    body = env.token({"grant_type": "nope"}, client="app").json()
    assert body["error_uri"] == "https://docs.example/errors#ugt"
    redirect = redirect_params(env.authorize("app", scope="admin"))
    assert redirect["error_uri"] == "https://docs.example/errors#scope"


def test_translate_error_by_accept_language() -> None:
    seen: list[tuple[str, ...]] = []

    def translate(error: str, description: str, locales: tuple[str, ...]) -> str:
        seen.append(locales)
        if locales and locales[0].startswith("fr"):
            return "type de subvention non pris en charge\x00\r\n"
        return description

    env = make_env(ServerConfig(issuer=ISSUER, translate_error=translate))
    env.add_client("app")
    body = env.token(
        {"grant_type": "nope"}, client="app",
        headers={"Accept-Language": "en;q=0.5, fr-CA, de;q=0.7"},
    ).json()
    assert body["error_description"] == "type de subvention non pris en charge"
    assert seen[-1] == ("fr-ca", "de", "en")
    english = env.token({"grant_type": "nope"}, client="app").json()
    assert english["error_description"] == "this server does not support that grant_type"


def test_from_mapping_reads_oauth2_settings() -> None:
    config = ServerConfig.from_mapping(
        {
            "OAUTH2_ISSUER": ISSUER,
            "OAUTH2_TOKEN_EXPIRES_IN": {"client_credentials": 864000},
            "OAUTH2_ACCESS_TOKEN_GENERATOR": "test_config.custom_token",
            "OAUTH2_REFRESH_TOKEN_GENERATOR": False,
            "OAUTH2_ERROR_URIS": [("invalid_client", "https://docs.example/ic")],
            "OTHER": "ignored",
        }
    )
    env = make_env(config)
    env.add_client("app")
    body = env.token({"grant_type": "client_credentials"}, client="app").json()
    assert body["expires_in"] == 864000 and body["access_token"].startswith("custom-")
    bad = env.token({"grant_type": "client_credentials"}, headers=env.basic("app", "x")).json()
    assert bad["error_uri"] == "https://docs.example/ic"
    assert "refresh_token" not in env.code_flow("app")
    with pytest.raises(ConfigurationError):
        ServerConfig.from_mapping({"OAUTH2_TYPO": 1})


def test_implicit_opt_in_uses_the_fragment() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, grant_types=("authorization_code", "implicit")))
    env.add_client("legacy", public=True, grant_types=["implicit"])
    response = env.authorize("legacy", response_type="token", code_challenge="<omit>",
                             code_challenge_method="<omit>")
    assert response.status == 302 and "#" in (response.location or "")
    params = redirect_params(response)
    assert params["token_type"] == "Bearer" and params["state"] == "xyz"
    assert params["iss"] == ISSUER
    assert env.bearer(params["access_token"]).user_id == "alice"
    denied = redirect_params(env.authorize("legacy", user=None, response_type="token"))
    assert denied["error"] == "access_denied"
    not_allowed = env.authorize("legacy")  # response_type=code not registered
    assert redirect_params(not_allowed)["error"] == "unauthorized_client"
