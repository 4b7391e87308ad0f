"""Client authentication (SECURITY.md, client authentication; RFC 6749 section 2.3)."""

from __future__ import annotations

import base64
import inspect
from urllib.parse import quote_plus

import pytest
from conftest import CountingStorage, Env, make_env

from oauth2_core import OAuth2Request, client_auth, tokens
from oauth2_core.models import Client
from oauth2_core.registration import new_client

pytestmark = pytest.mark.security("Client authentication")

CC = {"grant_type": "client_credentials"}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_client_secret_basic(env: Env) -> None:
    assert env.token(CC, client="app").status == 200


def test_client_secret_post(env: Env) -> None:
    form = {**CC, "client_id": "app", "client_secret": env.secrets["app"] or ""}
    assert env.token(form).status == 200


def test_none_for_public_clients(env: Env) -> None:
    tokens_ = env.code_flow("spa")
    form = {"grant_type": "refresh_token", "refresh_token": tokens_["refresh_token"],
            "client_id": "spa"}
    assert env.token(form).status == 200


def test_code_flow_with_public_client_id_in_body(env: Env) -> None:
    code = env.get_code("spa")
    form = {"grant_type": "authorization_code", "code": code, "client_id": "spa",
            "redirect_uri": "https://app.example.com/cb",
            "code_verifier": "v" * 43 + "-._~0123456789"}
    assert env.token(form).status == 200


def test_failed_basic_is_401_with_www_authenticate(env: Env) -> None:
    response = env.token(CC, headers=_basic("app", "wrong"))
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert response.header("www-authenticate") == 'Basic realm="oauth2-core"'


def test_failed_post_is_401_invalid_client_without_challenge(env: Env) -> None:
    response = env.token({**CC, "client_id": "app", "client_secret": "wrong"})
    assert response.status == 401 and response.json()["error"] == "invalid_client"
    assert response.header("www-authenticate") is None


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": "nobody", "client_secret": "x"},
        {"client_id": "app"},  # confidential client pretending to be public
        {},
    ],
)
def test_unknown_or_unauthenticated_clients(env: Env, form: dict[str, str]) -> None:
    response = env.token({**CC, **form})
    assert response.status == 401 and response.json()["error"] == "invalid_client"


def test_public_client_presenting_a_secret_is_refused(env: Env) -> None:
    response = env.token({**CC, "client_id": "spa", "client_secret": "whatever"})
    assert response.json()["error"] == "invalid_client"


def test_two_methods_in_one_request_is_invalid_request(env: Env) -> None:
    form = {**CC, "client_id": "app", "client_secret": env.secrets["app"] or ""}
    response = env.token(form, client="app")
    assert response.status == 400 and response.json()["error"] == "invalid_request"


def test_credentials_in_the_url_query_are_refused(env: Env) -> None:
    secret = env.secrets["app"] or ""
    response = env.token(CC, uri=f"/token?client_id=app&client_secret={secret}")
    assert response.status == 400 and response.json()["error"] == "invalid_request"
    with_header = env.token(CC, client="app", uri=f"/token?client_secret={secret}")
    assert with_header.status == 400


def test_basic_credentials_are_form_urldecoded() -> None:
    env = make_env()
    env.add_client("a:b %c", client_secret="p@ss:w+rd &x", grant_types=["client_credentials"],
                   redirect_uris=[])
    headers = _basic(quote_plus("a:b %c"), quote_plus("p@ss:w+rd &x"))
    assert env.token(CC, headers=headers).status == 200
    raw = _basic("a:b %c", "p@ss:w+rd &x")  # not encoded: decodes to something else
    assert env.token(CC, headers=raw).status == 401


@pytest.mark.parametrize(
    "header", ["Basic", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(),
               "Basic " + base64.b64encode(b"\xff\xfe:x").decode()]
)
def test_malformed_basic_is_invalid_client(env: Env, header: str) -> None:
    response = env.token(CC, headers={"Authorization": header})
    assert response.status == 401 and response.json()["error"] == "invalid_client"
    assert response.header("www-authenticate") == 'Basic realm="oauth2-core"'


def test_scheme_is_case_insensitive(env: Env) -> None:
    header = env.basic("app")["Authorization"].replace("Basic", "bAsIc")
    assert env.token(CC, headers={"Authorization": header}).status == 200


def test_confidential_client_may_use_either_secret_method(env: Env) -> None:
    client, secret = new_client(client_id="poster", grant_types=["client_credentials"],
                                token_endpoint_auth_method="client_secret_post")
    env.storage.inner.save_client(client)
    assert env.token({**CC, "client_id": "poster", "client_secret": secret or ""}).status == 200


def test_secrets_checked_in_constant_time_against_digest() -> None:
    assert "hmac.compare_digest" in inspect.getsource(tokens.verify_client_secret)
    assert "verify_client_secret" in inspect.getsource(client_auth)


def test_authentication_costs_one_query_client(env: Env) -> None:
    env.token(CC, headers=_basic("app", "wrong"))
    assert env.storage.trips() == {"query_client": 1}


def test_generated_secret_verification_is_cheap(env: Env) -> None:
    # Generated secrets use one SHA-256: verification must not dominate the endpoint.
    client = env.storage.inner.query_client("app")
    assert client is not None and client.client_secret_hash is not None
    assert client.client_secret_hash.startswith("sha256$")


def test_request_object_is_not_mutated_by_auth(env: Env) -> None:
    request = OAuth2Request("POST", "/token", env.basic("app"), "grant_type=client_credentials")
    request.headers["content-type"] = "application/x-www-form-urlencoded"
    assert env.server.create_token_response(request).status == 200


@pytest.mark.parametrize("client_id", ["a\x00b", "app\r\n", "app\x7f", "\u00e9t\u00e9"])
def test_client_id_outside_rfc_charset_never_reaches_storage(env: Env, client_id: str) -> None:
    """RFC 6749 A.1: client_id is VSCHAR. PostgreSQL refuses a NUL in a query parameter, so
    such an id must be a 4xx answered by the engine, never a storage error turned into 503."""
    for form in (
        {**CC, "client_id": client_id, "client_secret": "x"},
        {"grant_type": "refresh_token", "refresh_token": "r", "client_id": client_id},
    ):
        response = env.token(form)
        assert response.status == 401 and response.json()["error"] == "invalid_client"
    response = env.token(CC, headers=_basic(quote_plus(client_id), "x"))
    assert response.status == 401 and response.header("www-authenticate")
    assert env.storage.calls["query_client"] == 0


def test_unsupported_authorization_scheme_gets_the_basic_challenge(env: Env) -> None:
    """RFC 6749 5.2: a client that tried the Authorization header gets 401 with a challenge."""
    response = env.token(CC, headers={"Authorization": "Digest username=app"})
    assert response.status == 401 and response.json()["error"] == "invalid_client"
    assert response.header("www-authenticate") == 'Basic realm="oauth2-core"'


def test_token_endpoint_checks_secrets_through_compare_digest(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behavioural twin of the source check: both secret methods, right or wrong, reach the
    constant-time comparison of digests (never the presented secret itself)."""
    seen: list[tuple[str, str]] = []
    real = tokens.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    secret = env.secrets["app"]
    assert secret is not None
    assert env.token(CC, headers=_basic("app", "wrong")).status == 401
    assert env.token({**CC, "client_id": "app", "client_secret": "wrong"}).status == 401
    assert env.token(CC, client="app").status == 200
    assert len(seen) == 3
    assert all(secret not in pair and "wrong" not in pair for pair in seen)


class FoldingClients(CountingStorage):
    """A store whose client lookup folds case and trailing spaces, as a MySQL/MariaDB
    case-insensitive PAD SPACE collation does."""

    def query_client(self, client_id: str) -> Client | None:
        self.calls["query_client"] += 1
        for client in self.inner.list_clients():
            if client.client_id.lower() == client_id.rstrip(" ").lower():
                return client
        return None


@pytest.mark.parametrize("spelling", ["APP", "app ", "App  "])
def test_client_ids_match_exactly_whatever_the_store_collation(spelling: str) -> None:
    env = make_env(storage=FoldingClients())
    env.add_client("app", scope="read")
    secret = env.secrets["app"]
    assert secret is not None
    response = env.token({**CC, "client_id": spelling, "client_secret": secret})
    assert response.status == 401 and response.json()["error"] == "invalid_client"
    response = env.token(CC, headers=_basic(quote_plus(spelling), secret))
    assert response.status == 401
    request = env.authorize_request(env.auth_params(spelling))
    response = env.server.create_authorization_response(request, grant_user="alice")
    assert response.status == 400 and response.location is None
