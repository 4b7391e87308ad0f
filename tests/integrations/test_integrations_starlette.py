"""The Starlette/FastAPI adapter through Starlette's TestClient, on each backend."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import integration_flows as flows
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from integration_flows import ALICE, REFUSED_CODE_GRANT, DictCallables, Reply
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError, OAuth2Error
from oauth2_core.integrations.starlette import AuthorizationServer, to_oauth2_request
from oauth2_core.models import Token
from oauth2_core.storage.protocols import Storage


class StarletteHttp:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(url, headers=dict(headers or {})))

    def post(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Reply:
        return self._reply(self.client.post(url, data=dict(data), headers=dict(headers or {})))

    @staticmethod
    def _reply(response: Any) -> Reply:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Reply(response.status_code, headers, response.content)


def make_fastapi_app(server: AuthorizationServer) -> FastAPI:
    app = FastAPI()
    app.router.routes.extend(server.routes())

    @app.get("/authorize")
    async def consent_page(request: Request) -> Response:
        try:
            grant = await server.validate_consent_request(request, end_user=ALICE)
        except OAuth2Error as error:
            return await server.create_error_response(request, error)
        return HTMLResponse(f"<p>{grant.client.client_id} asks for {grant.scope}</p>")

    @app.post("/authorize")
    async def consent_decision(request: Request) -> Response:
        form = await request.form()  # spends the stream before the server reads the request
        user = ALICE if form.get("confirm") == "yes" else None
        return await server.create_authorization_response(request, grant_user=user)

    profile_token = Depends(server.require_oauth("profile"))
    admin_token = Depends(server.require_oauth("admin"))

    @app.get("/api/profile")
    async def profile(token: Token = profile_token) -> Any:
        return {"user": token.user_id, "scope": token.scope, "client": token.client_id}

    @app.get("/api/admin")
    async def admin(token: Token = admin_token) -> Any:
        return {"ok": True}

    return app


def make_http(
    storage: Storage | None,
    clock: FakeClock,
    settings: Mapping[str, Any] | None = None,
    **callables: Callable[..., Any],
) -> Iterator[StarletteHttp]:
    server = AuthorizationServer(storage, settings=settings, clock=clock, **callables)
    with TestClient(make_fastapi_app(server), follow_redirects=False) as client:
        yield StarletteHttp(client)


@pytest.fixture
def http(storage: Storage, clock: FakeClock) -> Iterator[StarletteHttp]:
    yield from make_http(storage, clock)


def test_code_flow_with_pkce_consent_and_protected_views(http: StarletteHttp) -> None:
    flows.check_code_flow_and_protected_views(http)


def test_denied_consent_redirects_access_denied(http: StarletteHttp) -> None:
    flows.check_denied_consent(http)


def test_invalid_authorization_request_is_an_error_page(http: StarletteHttp) -> None:
    flows.check_invalid_authorization_request(http)


def test_client_credentials(http: StarletteHttp) -> None:
    flows.check_client_credentials(http)


def test_refresh_rotates(http: StarletteHttp) -> None:
    flows.check_refresh(http)


def test_revoke_and_introspect(http: StarletteHttp) -> None:
    flows.check_revoke_and_introspect(http)


def test_metadata(http: StarletteHttp) -> None:
    flows.check_metadata(http)


def test_token_endpoint_is_post_only(http: StarletteHttp) -> None:
    flows.check_token_endpoint_is_post_only(http)


@pytest.mark.parametrize("case", sorted(flows.SETTINGS_CASES))
def test_oauth2_settings_mapping(case: str, storage: Storage, clock: FakeClock) -> None:
    settings, check = flows.SETTINGS_CASES[case]
    for http in make_http(storage, clock, settings):
        check(http)


def test_seed_function_style(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    callables = DictCallables()
    with caplog.at_level(logging.WARNING, logger="oauth2_core.integrations"):
        https = make_http(
            None,
            clock,
            query_client=callables.query_client,
            save_token=callables.save_token,
            query_token=callables.query_token,
        )
        http = next(https)
    assert "authorization_code left out" in caplog.text
    flows.check_function_style(http, callables)
    https.close()


def test_function_style_with_explicit_code_grant_is_refused(clock: FakeClock) -> None:
    callables = DictCallables()
    with pytest.raises(ConfigurationError, match=REFUSED_CODE_GRANT):
        AuthorizationServer(
            settings={"OAUTH2_GRANT_TYPES": "authorization_code client_credentials"},
            clock=clock,
            query_client=callables.query_client,
            save_token=callables.save_token,
        )


class LoopWatchingStorage:
    """Records, for every storage call, whether it ran on a thread with an event loop."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self.on_loop: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def watched(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                self.on_loop.append(True)
            except RuntimeError:
                self.on_loop.append(False)
            return attribute(*args, **kwargs)

        return watched


def test_engine_never_runs_on_the_event_loop(storage: Storage, clock: FakeClock) -> None:
    watching = LoopWatchingStorage(storage)
    for http in make_http(watching, clock):  # type: ignore[arg-type]
        flows.check_refresh(http)
        flows.check_client_credentials(http)
    assert watching.on_loop and not any(watching.on_loop)


def test_plain_starlette_endpoints(storage: Storage, clock: FakeClock) -> None:
    """Without FastAPI: the routes plus the dependency called from a Starlette endpoint."""
    server = AuthorizationServer(storage, clock=clock)
    require_profile = server.require_oauth("profile")

    async def profile(request: Request) -> Response:
        token = await require_profile(request)
        assert request.state.oauth2_token is token
        return JSONResponse({"user": token.user_id, "scope": token.scope,
                             "client": token.client_id})

    app = Starlette(routes=[*server.routes(), Route("/api/profile", profile)])
    with TestClient(app, follow_redirects=False) as client:
        http = StarletteHttp(client)
        reply = flows.client_credentials(http)
        assert reply.status == 200, reply.text
        token = reply.json()["access_token"]
        ok = http.get("/api/profile", headers=flows.bearer(token))
        assert ok.status == 200 and ok.json()["client"] == "service"
        denied = http.get("/api/profile")
        assert denied.status == 401 and "www-authenticate" in denied.headers
        flows.check_metadata(http)


def test_oversized_body_is_refused(http: StarletteHttp) -> None:
    flows.check_oversized_body(http)


def test_store_outage_is_503_not_500(storage: Storage, clock: FakeClock) -> None:
    outage = flows.OutageStorage(storage)
    for http in make_http(outage, clock):  # type: ignore[arg-type]
        flows.check_outage(http, outage)


def test_multipart_consent_form(http: StarletteHttp) -> None:
    auth = flows.authorization()
    assert http.get(auth.url).status == 200
    reply = http.client.post(auth.url, files={"confirm": (None, "yes")})
    assert reply.status_code in (302, 303)
    assert "code=" in reply.headers["location"]


def _scope(path: str, query: bytes) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": path, "query_string": query,
        "headers": [(b"host", b"as.example")], "scheme": "https", "server": ("as.example", 443),
    }


def test_the_engine_request_keeps_starlette_s_path_and_query() -> None:
    request = asyncio.run(to_oauth2_request(Request(_scope("/a b/c", b"x=1&y=%20"))))
    assert request.uri == "/a b/c?x=1&y=%20"
    assert request.query.get("y") == " "
    # Characters that would end the path are escaped as Starlette's URL escapes them.
    escaped = asyncio.run(to_oauth2_request(Request(_scope("/odd?#\\", b""))))
    assert escaped.uri == "/odd%3F%23%5C"


def test_a_query_that_is_not_utf8_reaches_the_engine_with_replacement_characters() -> None:
    request = asyncio.run(to_oauth2_request(Request(_scope("/authorize", b"client_id=\xff"))))
    assert request.query.get("client_id") == "\ufffd"
