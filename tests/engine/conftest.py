"""Fixtures for the engine's tests: a fake clock, a counting memory store, ready clients."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from oauth2_core import AuthorizationServer, FakeClock, MemoryStorage, OAuth2Request, ServerConfig
from oauth2_core.models import Client
from oauth2_core.pkce import s256_challenge
from oauth2_core.registration import new_client
from oauth2_core.responses import OAuth2Response

ISSUER = "https://as.example.com"
REDIRECT = "https://app.example.com/cb"
VERIFIER = "v" * 43 + "-._~0123456789"
START = datetime(2030, 1, 1, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "security(section): the SECURITY.md section (and property) this test asserts",
    )


class CountingStorage:
    """A MemoryStorage wrapper that counts every storage call (one call = one round trip)."""

    def __init__(self, inner: MemoryStorage | None = None) -> None:
        self.inner = inner or MemoryStorage()
        self.capabilities = self.inner.capabilities
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted

    def reset(self) -> None:
        self.calls.clear()

    def trips(self) -> dict[str, int]:
        return dict(self.calls)


class Env:
    """One server with its store and clock, plus request helpers."""

    def __init__(self, server: AuthorizationServer, storage: CountingStorage, clock: FakeClock):
        self.server = server
        self.storage = storage
        self.clock = clock
        self.secrets: dict[str, str | None] = {}

    # -- clients -----------------------------------------------------------------------
    def add_client(self, client_id: str, **kwargs: Any) -> Client:
        kwargs.setdefault("redirect_uris", [REDIRECT])
        kwargs.setdefault(
            "grant_types", ["authorization_code", "refresh_token", "client_credentials"]
        )
        if kwargs.get("public"):
            grants = [g for g in kwargs["grant_types"] if g != "client_credentials"]
            kwargs["grant_types"] = grants
        client, secret = new_client(client_id=client_id, now=self.clock.now(), **kwargs)
        self.storage.inner.save_client(client)
        self.secrets[client_id] = secret
        return client

    def basic(self, client_id: str, secret: str | None = None) -> dict[str, str]:
        secret = self.secrets[client_id] if secret is None else secret
        raw = f"{client_id}:{secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    # -- requests ----------------------------------------------------------------------
    def post(
        self,
        method: Callable[[OAuth2Request], OAuth2Response],
        form: dict[str, str] | list[tuple[str, str]],
        *,
        client: str | None = None,
        headers: dict[str, str] | None = None,
        uri: str = "/token",
    ) -> OAuth2Response:
        all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        pairs = list(form.items()) if isinstance(form, dict) else list(form)
        if client is not None and self.secrets.get(client) is None:
            pairs.append(("client_id", client))  # public client: auth method "none"
        elif client is not None:
            all_headers.update(self.basic(client))
        all_headers.update(headers or {})
        body = urlencode(pairs)
        return method(OAuth2Request("POST", uri, all_headers, body))

    def token(self, form: dict[str, str] | list[tuple[str, str]], **kw: Any) -> OAuth2Response:
        return self.post(self.server.create_token_response, form, **kw)

    def revoke(self, form: dict[str, str], **kw: Any) -> OAuth2Response:
        return self.post(self.server.create_revocation_response, form, uri="/revoke", **kw)

    def introspect(self, form: dict[str, str], **kw: Any) -> OAuth2Response:
        return self.post(self.server.create_introspection_response, form, uri="/introspect", **kw)

    def authorize_request(self, params: dict[str, str] | list[tuple[str, str]]) -> OAuth2Request:
        return OAuth2Request("GET", "/authorize?" + urlencode(params))

    def auth_params(self, client_id: str, **extra: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": "xyz",
            "code_challenge": s256_challenge(VERIFIER),
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v != "<omit>"}

    def authorize(
        self, client_id: str, user: Any = "alice", **extra: str
    ) -> OAuth2Response:
        request = self.authorize_request(self.auth_params(client_id, **extra))
        return self.server.create_authorization_response(request, grant_user=user)

    def get_code(self, client_id: str, **extra: str) -> str:
        response = self.authorize(client_id, **extra)
        assert response.status == 302, response.text
        return redirect_params(response)["code"]

    def exchange(self, client_id: str, code: str, **extra: str) -> OAuth2Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        }
        form.update(extra)
        form = {k: v for k, v in form.items() if v != "<omit>"}
        return self.token(form, client=client_id)

    def code_flow(self, client_id: str, **extra: str) -> dict[str, Any]:
        response = self.exchange(client_id, self.get_code(client_id, **extra))
        assert response.status == 200, response.text
        return dict(response.json())

    def refresh(self, client_id: str, refresh_token: str, **extra: str) -> OAuth2Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
        return self.token(form, client=client_id)

    def bearer(self, token: str, scope: str | None = None) -> Any:
        request = OAuth2Request("GET", "/api", {"Authorization": f"Bearer {token}"})
        return self.server.validate_bearer_token(request, scope)


def redirect_params(response: OAuth2Response) -> dict[str, str]:
    location = response.location
    assert location is not None
    parts = urlsplit(location)
    query = parts.fragment if parts.fragment else parts.query
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def make_env(
    config: ServerConfig | None = None, storage: CountingStorage | None = None
) -> Env:
    clock = FakeClock(START)
    storage = storage or CountingStorage()
    config = config or ServerConfig(issuer=ISSUER, scopes_supported=())
    server = AuthorizationServer(storage, config, clock=clock)  # type: ignore[arg-type]
    return Env(server, storage, clock)


@pytest.fixture
def env() -> Iterator[Env]:
    environment = make_env()
    environment.add_client("app", scope="read write")
    environment.add_client("other", scope="read write")
    environment.add_client("spa", public=True, scope="read write")
    environment.add_client(
        "rs", grant_types=["client_credentials"], redirect_uris=[], can_introspect=True
    )
    environment.storage.reset()
    yield environment
