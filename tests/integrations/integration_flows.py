"""Framework-neutral pieces of the integration tests: clients, users, and the OAuth flows
driven through any framework's test client wrapped as an ``Http``."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from oauth2_core.errors import StorageUnavailable
from oauth2_core.models import Client, Token
from oauth2_core.storage.protocols import Storage
from oauth2_core.tokens import generate_client_secret, generate_token

REDIRECT_URI = "https://client.example/cb"
WEBAPP_SECRET, _WEBAPP_DIGEST = generate_client_secret()
SERVICE_SECRET, _SERVICE_DIGEST = generate_client_secret()
WEBAPP = Client(
    client_id="webapp",
    client_secret_hash=_WEBAPP_DIGEST,
    redirect_uris=(REDIRECT_URI,),
    grant_types=("authorization_code", "refresh_token"),
    scope="profile email",
    client_name="Web App",
)
SERVICE = Client(
    client_id="service",
    client_secret_hash=_SERVICE_DIGEST,
    grant_types=("client_credentials",),
    scope="profile admin",
    client_name="Batch Service",
)
SECRETS = {"webapp": WEBAPP_SECRET, "service": SERVICE_SECRET}
CUSTOM_PREFIX = "custom-"
# The engine's refusal when the callables cannot honour an explicitly enabled code grant.
REFUSED_CODE_GRANT = r"authorization_code needs .*ATOMIC_CODE_CONSUME"


class User:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def get_user_id(self) -> str:
        return self.user_id


ALICE = User("alice")


def custom_access_token(client: Client, grant_type: str, user: Any, scope: str) -> str:
    """Named by dotted path in ``OAUTH2_ACCESS_TOKEN_GENERATOR`` tests."""
    return CUSTOM_PREFIX + generate_token()


def seed_clients(storage: Storage) -> None:
    storage.save_client(WEBAPP)
    storage.save_client(SERVICE)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Http(Protocol):
    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Reply: ...

    def post(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Reply: ...


def basic(client_id: str) -> dict[str, str]:
    # RFC 6749 section 2.3.1: form-urlencode, then base64.
    raw = f"{quote(client_id, safe='')}:{quote(SECRETS[client_id], safe='')}"
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce_pair() -> tuple[str, str]:
    verifier = generate_token()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Authorization:
    url: str
    verifier: str
    state: str = "st-123"


def authorization(scope: str = "profile") -> Authorization:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": "webapp",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return Authorization(f"/authorize?{urlencode(params)}", verifier)


def approve(http: Http, auth: Authorization, consent_fields: Mapping[str, str]) -> str:
    """The consent page, then the approving POST; returns the code from the redirect."""
    page = http.get(auth.url)
    assert page.status == 200, page.text
    assert "webapp" in page.text
    reply = http.post(auth.url, {"confirm": "yes", **consent_fields})
    assert reply.status in (302, 303), reply.text
    target = urlsplit(reply.location)
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT_URI
    query = parse_qs(target.query)
    assert query["state"] == [auth.state]
    assert "iss" in query  # RFC 9207
    return query["code"][0]


def exchange(http: Http, code: str, verifier: str) -> Reply:
    return http.post(
        "/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers=basic("webapp"),
    )


def code_flow(
    http: Http, scope: str = "profile", consent_fields: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The authorization code flow with PKCE and consent; returns the token response."""
    auth = authorization(scope)
    code = approve(http, auth, consent_fields or {})
    reply = exchange(http, code, auth.verifier)
    assert reply.status == 200, reply.text
    assert reply.headers.get("cache-control") == "no-store"
    body: dict[str, Any] = reply.json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"] and body["refresh_token"]
    return body


def client_credentials(http: Http, scope: str = "profile") -> Reply:
    return http.post(
        "/token", {"grant_type": "client_credentials", "scope": scope}, headers=basic("service")
    )


def refresh(http: Http, refresh_token: str) -> Reply:
    return http.post(
        "/token",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic("webapp"),
    )


def revoke(http: Http, token: str, client_id: str = "webapp") -> Reply:
    return http.post("/revoke", {"token": token}, headers=basic(client_id))


def introspect(http: Http, token: str, client_id: str = "webapp") -> Reply:
    return http.post("/introspect", {"token": token}, headers=basic(client_id))


# -- scenarios every framework runs --------------------------------------------------------
def check_code_flow_and_protected_views(http: Http) -> None:
    tokens = code_flow(http)
    ok = http.get("/api/profile", headers=bearer(tokens["access_token"]))
    assert ok.status == 200, ok.text
    assert ok.json() == {"user": "alice", "scope": "profile", "client": "webapp"}
    missing = http.get("/api/profile")
    assert missing.status == 401
    assert missing.headers["www-authenticate"].lower().startswith("bearer")
    assert "error=" not in missing.headers["www-authenticate"]
    wrong_scope = http.get("/api/admin", headers=bearer(tokens["access_token"]))
    assert wrong_scope.status == 403
    assert "insufficient_scope" in wrong_scope.headers["www-authenticate"]
    bogus = http.get("/api/profile", headers=bearer("not-a-token"))
    assert bogus.status == 401
    assert "invalid_token" in bogus.headers["www-authenticate"]


def check_denied_consent(http: Http) -> None:
    auth = authorization()
    assert http.get(auth.url).status == 200
    reply = http.post(auth.url, {"confirm": "no"})
    assert reply.status in (302, 303)
    query = parse_qs(urlsplit(reply.location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [auth.state]


def check_invalid_authorization_request(http: Http) -> None:
    """An unknown client is an error page, never a redirect (SECURITY.md)."""
    auth = authorization()
    reply = http.get(auth.url.replace("client_id=webapp", "client_id=nobody"))
    assert 400 <= reply.status < 500
    assert "location" not in reply.headers


def check_client_credentials(http: Http) -> None:
    reply = client_credentials(http)
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["access_token"] and "refresh_token" not in body
    assert reply.headers.get("pragma") == "no-cache"
    protected = http.get("/api/admin", headers=bearer(body["access_token"]))
    assert protected.status == 403  # token was issued for "profile" only
    assert http.get("/api/profile", headers=bearer(body["access_token"])).status == 200


def check_refresh(http: Http) -> None:
    tokens = code_flow(http)
    reply = refresh(http, tokens["refresh_token"])
    assert reply.status == 200, reply.text
    fresh = reply.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert http.get("/api/profile", headers=bearer(fresh["access_token"])).status == 200
    # Rotation retired the old pair (SECURITY.md, refresh tokens).
    assert http.get("/api/profile", headers=bearer(tokens["access_token"])).status == 401
    reuse = refresh(http, tokens["refresh_token"])
    assert reuse.status == 400 and reuse.json()["error"] == "invalid_grant"


def check_revoke_and_introspect(http: Http) -> None:
    tokens = code_flow(http)
    active = introspect(http, tokens["access_token"])
    assert active.status == 200, active.text
    info = active.json()
    assert info["active"] is True
    assert info["client_id"] == "webapp" and info["scope"] == "profile"
    assert info["sub"] == "alice"
    revoked = revoke(http, tokens["access_token"])
    assert revoked.status == 200, revoked.text
    assert http.get("/api/profile", headers=bearer(tokens["access_token"])).status == 401
    assert introspect(http, tokens["access_token"]).json() == {"active": False}
    assert revoke(http, "never-issued").status == 200  # RFC 7009 section 2.2
    assert introspect(http, "never-issued").json() == {"active": False}


def check_metadata(http: Http) -> None:
    reply = http.get("/.well-known/oauth-authorization-server")
    assert reply.status == 200, reply.text
    data = reply.json()
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in data["grant_types_supported"]


def check_token_endpoint_is_post_only(http: Http) -> None:
    reply = http.get("/token")
    assert reply.status == 405
    assert "POST" in reply.headers.get("allow", "")


def check_custom_generator(http: Http) -> None:
    reply = client_credentials(http)
    assert reply.status == 200, reply.text
    token = reply.json()["access_token"]
    assert token.startswith(CUSTOM_PREFIX)
    assert http.get("/api/profile", headers=bearer(token)).status == 200


def check_error_uri(http: Http, expected: str | None) -> None:
    reply = http.post("/token", {"grant_type": "no-such-grant"}, headers=basic("service"))
    assert reply.status == 400
    body = reply.json()
    assert body["error"] == "unsupported_grant_type"
    if expected is None:
        assert "error_uri" not in body
    else:
        assert body["error_uri"] == expected


def check_expires_in(http: Http, seconds: int) -> None:
    reply = client_credentials(http)
    assert reply.status == 200, reply.text
    assert reply.json()["expires_in"] == seconds


def check_oversized_body(http: Http) -> None:
    padding = "x" * 70_000  # beyond the engine's 64 KiB bound
    reply = http.post(
        "/token", {"grant_type": "client_credentials", "pad": padding}, headers=basic("service")
    )
    assert reply.status == 400, reply.text
    assert reply.json()["error"] == "invalid_request"


class OutageStorage:
    """Delegates to a real storage until ``down`` is set; then every call fails."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StorageUnavailable("store unreachable (test)") from ConnectionError()
            return attribute(*args, **kwargs)

        return call


def check_outage(http: Http, storage: OutageStorage) -> None:
    """A store outage is 503 temporarily_unavailable with Retry-After, never a 500."""
    token = client_credentials(http).json()["access_token"]
    storage.down = True
    issued = client_credentials(http)
    assert issued.status == 503, issued.text
    assert issued.json()["error"] == "temporarily_unavailable"
    assert "retry-after" in issued.headers
    protected = http.get("/api/profile", headers=bearer(token))
    assert protected.status == 503
    assert "retry-after" in protected.headers
    storage.down = False
    assert http.get("/api/profile", headers=bearer(token)).status == 200


ERROR_URI = "https://docs.example/oauth-errors#unsupported_grant_type"
SETTINGS_CASES: dict[str, tuple[dict[str, Any], Callable[[Http], None]]] = {
    "access_token_generator": (
        {"OAUTH2_ACCESS_TOKEN_GENERATOR": "integration_flows.custom_access_token"},
        check_custom_generator,
    ),
    "error_uris": (
        {"OAUTH2_ERROR_URIS": [("unsupported_grant_type", ERROR_URI)]},
        lambda http: check_error_uri(http, ERROR_URI),
    ),
    "no_error_uris": ({}, lambda http: check_error_uri(http, None)),
    "token_expires_in": (
        {"OAUTH2_TOKEN_EXPIRES_IN": {"client_credentials": 120}},
        lambda http: check_expires_in(http, 120),
    ),
}


class DictCallables:
    """The seed's function style: the application's own query_client/save_token."""

    def __init__(self) -> None:
        self.clients = {WEBAPP.client_id: WEBAPP, SERVICE.client_id: SERVICE}
        self.tokens: dict[str, Token] = {}

    def query_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def save_token(self, token: Token) -> None:
        self.tokens[token.access_token_hash] = token

    def query_token(self, access_token_hash: str) -> Token | None:
        return self.tokens.get(access_token_hash)


def check_function_style(http: Http, callables: DictCallables) -> None:
    """Client credentials works; the code grant was left out (no atomic consume)."""
    reply = client_credentials(http)
    assert reply.status == 200, reply.text
    token = reply.json()["access_token"]
    assert len(callables.tokens) == 1
    stored = next(iter(callables.tokens.values()))
    assert token not in repr(stored)  # only digests reach the application's storage
    assert http.get("/api/profile", headers=bearer(token)).status == 200
    refused = http.post(
        "/token",
        {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
        headers=basic("webapp"),
    )
    assert refused.status == 400
    assert refused.json()["error"] == "unsupported_grant_type"
