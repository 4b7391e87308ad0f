"""OAuth flows over real HTTP against ``oauth2-core serve``, once per backend.

Third-party clients drive the flows: Authlib's requests ``OAuth2Session`` (code + PKCE,
refresh) and requests-oauthlib (client credentials).
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from e2e_serving import REDIRECT_URI, E2EServer
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as OAuthlibSession

from oauth2_core.pkce import s256_challenge

METADATA = "/.well-known/oauth-authorization-server"


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses plain http; these servers listen on 127.0.0.1 only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def metadata(server: E2EServer) -> dict[str, Any]:
    response = requests.get(server.url(METADATA), timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def client_credentials_token(server: E2EServer, scope: str = "read") -> dict[str, Any]:
    conf = server.clients["conf"]
    session = OAuthlibSession(client=BackendApplicationClient(client_id=conf.client_id))
    token: dict[str, Any] = session.fetch_token(
        token_url=metadata(server)["token_endpoint"],
        client_id=conf.client_id,
        client_secret=conf.secret,
        scope=[scope],
    )
    return token


def code_flow(server: E2EServer, scope: str = "profile read") -> tuple[AuthlibSession, dict]:
    """Code + PKCE as the public client, approved by ``--auto-approve-as alice``."""
    meta = metadata(server)
    pub = server.clients["pub"]
    session = AuthlibSession(
        pub.client_id,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier
    )
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code in {302, 303}, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == [state]
    assert params["iss"] == [meta["issuer"]]  # RFC 9207
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    return session, token


def introspect(server: E2EServer, token: str) -> dict[str, Any]:
    rs = server.clients["rs"]
    response = requests.post(
        metadata(server)["introspection_endpoint"],
        data={"token": token},
        auth=(rs.client_id, rs.secret or ""),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def userinfo(server: E2EServer, token: str) -> requests.Response:
    return requests.get(
        server.url("/userinfo"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_metadata_lists_what_the_server_does(server: E2EServer) -> None:
    meta = metadata(server)
    assert meta["issuer"] == server.base_url
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint",
                 "introspection_endpoint"):
        assert meta[name].startswith(server.base_url + "/")
    assert set(meta["grant_types_supported"]) >= {"authorization_code", "client_credentials"}
    assert not {"password", "implicit"} & set(meta["grant_types_supported"])
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_client_credentials_then_resource_and_introspection(server: E2EServer) -> None:
    token = client_credentials_token(server)
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" not in token
    answer = userinfo(server, token["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["client_id"] == server.clients["conf"].client_id
    active = introspect(server, token["access_token"])
    assert active["active"] is True
    assert active["client_id"] == server.clients["conf"].client_id
    assert active["scope"] == "read"


def test_code_flow_with_pkce_and_bearer_access(server: E2EServer) -> None:
    _, token = code_flow(server)
    assert token["refresh_token"]
    answer = userinfo(server, token["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == "alice"
    assert introspect(server, token["access_token"])["sub"] == "alice"


def test_refresh_rotation_and_reuse_revokes_the_family(server: E2EServer) -> None:
    session, first = code_flow(server)
    token_url = metadata(server)["token_endpoint"]
    second = session.refresh_token(token_url, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert userinfo(server, second["access_token"]).status_code == 200
    replay = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
              "client_id": server.clients["pub"].client_id},
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # RFC 9700 section 4.14.2: reuse retires the whole family.
    assert introspect(server, second["access_token"]) == {"active": False}
    assert introspect(server, second["refresh_token"]) == {"active": False}


def test_revocation_makes_the_token_useless(server: E2EServer) -> None:
    token = client_credentials_token(server)
    conf = server.clients["conf"]
    revoke_url = metadata(server)["revocation_endpoint"]
    for _ in range(2):  # idempotent (RFC 7009 section 2.2)
        answer = requests.post(
            revoke_url, data={"token": token["access_token"]},
            auth=(conf.client_id, conf.secret or ""), timeout=10,
        )
        assert answer.status_code == 200, answer.text
    denied = userinfo(server, token["access_token"])
    assert denied.status_code == 401
    assert 'error="invalid_token"' in denied.headers["WWW-Authenticate"]
    assert introspect(server, token["access_token"]) == {"active": False}
    unknown = requests.post(
        revoke_url, data={"token": "never-issued"}, auth=(conf.client_id, conf.secret or ""),
        timeout=10,
    )
    assert unknown.status_code == 200


def test_token_endpoint_http_rules(server: E2EServer) -> None:
    token_url = metadata(server)["token_endpoint"]
    get = requests.get(token_url, timeout=10)
    assert get.status_code == 405
    assert "POST" in get.headers["Allow"]
    conf = server.clients["conf"]
    bad = requests.post(
        token_url, data={"grant_type": "client_credentials"},
        auth=(conf.client_id, "wrong-secret"), timeout=10,
    )
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"].lower().startswith("basic")
    assert bad.json()["error"] == "invalid_client"
    assert bad.headers["Cache-Control"] == "no-store"
    assert bad.headers["Pragma"] == "no-cache"
    unsupported = requests.post(
        token_url, data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(conf.client_id, conf.secret or ""), timeout=10,
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    good = client_credentials_token(server)
    assert good["access_token"]


def _authorize(server: E2EServer, **params: str) -> requests.Response:
    return requests.get(
        metadata(server)["authorization_endpoint"], params=params, allow_redirects=False,
        timeout=10,
    )


def test_authorize_errors_before_validation_are_pages(server: E2EServer) -> None:
    pub = server.clients["pub"]
    challenge = s256_challenge(secrets.token_urlsafe(48))
    for params in (
        {"client_id": pub.client_id, "redirect_uri": "http://attacker.example/cb"},
        {"client_id": pub.client_id, "redirect_uri": REDIRECT_URI + "/"},
        {"client_id": "no-such-client", "redirect_uri": REDIRECT_URI},
    ):
        answer = _authorize(
            server, response_type="code", state="s1", code_challenge=challenge,
            code_challenge_method="S256", **params,
        )
        assert 400 <= answer.status_code < 500, answer.status_code
        assert "Location" not in answer.headers
        assert answer.headers["Content-Type"].startswith("text/html")
        assert answer.headers["X-Frame-Options"] == "DENY"


def test_authorize_errors_after_validation_redirect_with_state_and_iss(
    server: E2EServer,
) -> None:
    pub = server.clients["pub"]
    cases = {
        "invalid_request": {"response_type": "code"},  # public client without PKCE
        "unsupported_response_type": {"response_type": "token"},
    }
    for expected, params in cases.items():
        answer = _authorize(
            server, client_id=pub.client_id, redirect_uri=REDIRECT_URI, state="xyz 1", **params
        )
        assert answer.status_code in {302, 303}, (expected, answer.status_code, answer.text)
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["error"] == [expected]
        assert query["state"] == ["xyz 1"]
        assert query["iss"] == [server.base_url]
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_protected_resource_challenges(server: E2EServer) -> None:
    missing = requests.get(server.url("/userinfo"), timeout=10)
    assert missing.status_code == 401
    challenge = missing.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer realm=")
    assert "error=" not in challenge
    invalid = userinfo(server, "not-a-token")
    assert invalid.status_code == 401
    assert 'error="invalid_token"' in invalid.headers["WWW-Authenticate"]
    token = client_credentials_token(server)
    in_query = requests.get(
        server.url("/userinfo"), params={"access_token": token["access_token"]}, timeout=10
    )
    assert in_query.status_code == 401  # RFC 6750 tokens in the query are ignored
    lower = requests.get(
        server.url("/userinfo"), headers={"Authorization": f"bearer {token['access_token']}"},
        timeout=10,
    )
    assert lower.status_code == 200


@pytest.mark.parametrize("path", ["/token", "/revoke", "/introspect"])
def test_credential_endpoints_answer_no_store(server: E2EServer, path: str) -> None:
    answer = requests.post(server.url(path), data={}, timeout=10)
    assert 400 <= answer.status_code < 500
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json()["error"] in {"invalid_request", "invalid_client", "unsupported_grant_type"}


def _fresh_code(server: E2EServer) -> tuple[str, str]:
    """A new code for the public client (auto-approved) and its PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    answer = _authorize(
        server, response_type="code", client_id=server.clients["pub"].client_id,
        redirect_uri=REDIRECT_URI, scope="read", state="c",
        code_challenge=s256_challenge(verifier), code_challenge_method="S256",
    )
    assert answer.status_code in {302, 303}, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0], verifier


def _redeem(server: E2EServer, code: str, verifier: str) -> requests.Response:
    return requests.post(
        server.url("/token"),
        data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
              "redirect_uri": REDIRECT_URI, "client_id": server.clients["pub"].client_id},
        timeout=30,
    )


def test_code_replay_fails_and_revokes_what_the_code_gave(server: E2EServer) -> None:
    code, verifier = _fresh_code(server)
    first = _redeem(server, code, verifier)
    assert first.status_code == 200, first.text
    replay = _redeem(server, code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert introspect(server, first.json()["access_token"]) == {"active": False}


def test_wrong_pkce_verifier_is_invalid_grant_and_burns_the_code(server: E2EServer) -> None:
    code, verifier = _fresh_code(server)
    wrong = _redeem(server, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert _redeem(server, code, verifier).status_code == 400


def test_concurrent_redemptions_of_one_code_give_one_token(server: E2EServer) -> None:
    code, verifier = _fresh_code(server)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _redeem(server, code, verifier), range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * 7, [a.text for a in answers]


def test_repeated_client_id_is_an_error_page(server: E2EServer) -> None:
    pub = server.clients["pub"].client_id
    answer = requests.get(
        server.url("/authorize") + f"?response_type=code&client_id={pub}&client_id={pub}"
        f"&redirect_uri={REDIRECT_URI}",
        allow_redirects=False, timeout=10,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers
