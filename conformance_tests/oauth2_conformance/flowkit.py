"""Driving ``AuthorizationServer`` on top of the backend under test, as a client would.

Every bearer value the flows see (codes, tokens, client secrets, PKCE verifiers) is recorded in
``FlowDriver.secrets`` so the at-rest checks can look for each of them in the raw store.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from oauth2_conformance.context import CheckContext
from oauth2_core import AuthorizationServer, OAuth2Request, ServerConfig
from oauth2_core.errors import BearerTokenError
from oauth2_core.models import Client
from oauth2_core.pkce import s256_challenge
from oauth2_core.registration import new_client
from oauth2_core.tokens import generate_token

__all__ = ["REDIRECT_URI", "FlowDriver", "Registered", "TokenAnswer"]

ISSUER = "https://as.conformance.example"
REDIRECT_URI = "https://app.example.com/cb"


@dataclass(frozen=True)
class Registered:
    client: Client
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.client.client_id


@dataclass(frozen=True)
class TokenAnswer:
    status: int
    body: dict[str, Any]

    @property
    def error(self) -> str | None:
        return self.body.get("error")

    def __getitem__(self, name: str) -> Any:
        assert self.status == 200, f"token request failed: {self.status} {self.body}"
        return self.body[name]


class FlowDriver:
    def __init__(self, ctx: CheckContext, **config: Any) -> None:
        self.ctx = ctx
        self.server = AuthorizationServer(
            ctx.storage, ServerConfig(issuer=ISSUER, **config), clock=ctx.clock
        )
        self.secrets: list[str] = []

    # -- clients -------------------------------------------------------------------------
    def register(
        self,
        *,
        grant_types: tuple[str, ...] = ("authorization_code", "refresh_token"),
        public: bool = False,
        can_introspect: bool = False,
    ) -> Registered:
        client, secret = new_client(
            public=public,
            redirect_uris=[REDIRECT_URI] if "authorization_code" in grant_types else [],
            grant_types=grant_types,
            client_name="conformance flow client",
            can_introspect=can_introspect,
            now=self.ctx.now(),
        )
        self.ctx.storage.save_client(client)
        if secret is not None:
            self.secrets.append(secret)
        return Registered(client, secret)

    def _auth(
        self, reg: Registered, form: dict[str, str]
    ) -> tuple[list[tuple[str, str]], dict[str, str]]:
        if reg.secret is None:
            return [], {**form, "client_id": reg.client_id}
        # RFC 6749 section 2.3.1: form-urlencode each part, then base64.
        raw = f"{quote(reg.client_id, safe='')}:{quote(reg.secret, safe='')}"
        basic = base64.b64encode(raw.encode("utf-8")).decode("ascii")
        return [("Authorization", f"Basic {basic}")], form

    def _post(self, path: str, reg: Registered, form: dict[str, str]) -> OAuth2Request:
        headers, fields = self._auth(reg, form)
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        return OAuth2Request("POST", ISSUER + path, headers, urlencode(fields))

    # -- authorization endpoint ------------------------------------------------------------
    def authorize(self, reg: Registered, *, scope: str = "read write") -> tuple[str, str]:
        """Run the consent step for ``user-1``; return ``(code, code_verifier)``."""
        verifier = generate_token()
        self.secrets.append(verifier)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": reg.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": scope,
                "state": "st-" + generate_token(4),
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        request = OAuth2Request("GET", f"{ISSUER}/authorize?{query}")
        response = self.server.create_authorization_response(request, "user-1")
        location = response.header("Location")
        assert response.status in (302, 303) and location, (
            f"authorization failed: {response.status} {response.body[:300]!r}"
        )
        params = parse_qs(urlsplit(location).query)
        assert "code" in params, f"no code in the redirect: {params.get('error')}"
        code = params["code"][0]
        self.secrets.append(code)
        return code, verifier

    # -- token, revocation, introspection endpoints -----------------------------------------
    def token(self, reg: Registered, **form: str) -> TokenAnswer:
        response = self.server.create_token_response(self._post("/token", reg, form))
        body = json.loads(response.body or b"{}")
        for name in ("access_token", "refresh_token"):
            if name in body:
                self.secrets.append(body[name])
        return TokenAnswer(response.status, body)

    def exchange(self, reg: Registered, code: str, verifier: str) -> TokenAnswer:
        return self.token(
            reg,
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=verifier,
        )

    def refresh(self, reg: Registered, refresh_token: str) -> TokenAnswer:
        return self.token(reg, grant_type="refresh_token", refresh_token=refresh_token)

    def revoke(self, reg: Registered, token: str, hint: str | None = None) -> int:
        form = {"token": token, **({"token_type_hint": hint} if hint else {})}
        return self.server.create_revocation_response(self._post("/revoke", reg, form)).status

    def introspect(self, reg: Registered, token: str) -> dict[str, Any]:
        request = self._post("/introspect", reg, {"token": token})
        response = self.server.create_introspection_response(request)
        assert response.status == 200, f"introspection: {response.status} {response.body!r}"
        return dict(json.loads(response.body))

    def active(self, token: str) -> bool:
        """Whether a resource server would accept ``token`` (RFC 6750)."""
        request = OAuth2Request("GET", ISSUER + "/api", [("Authorization", f"Bearer {token}")])
        try:
            self.server.validate_bearer_token(request)
        except BearerTokenError:
            return False
        return True
