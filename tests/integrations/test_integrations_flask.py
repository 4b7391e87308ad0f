"""The Flask adapter through Flask's own test client, on each backend."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import integration_flows as flows
import pytest
from flask import Flask, request
from integration_flows import ALICE, REFUSED_CODE_GRANT, DictCallables, Reply
from markupsafe import escape

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError
from oauth2_core.integrations.flask import AuthorizationServer, ResourceProtector, current_token
from oauth2_core.storage.protocols import Storage


class FlaskHttp:
    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(url, headers=dict(headers or {})))

    def post(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Reply:
        return self._reply(self.client.post(url, data=dict(data), headers=dict(headers or {})))

    @staticmethod
    def _reply(response: Any) -> Reply:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Reply(response.status_code, headers, response.get_data())


def add_views(app: Flask, server: AuthorizationServer) -> None:
    """The seed's authorize and token views, plus the other endpoints and two APIs."""
    require_oauth = ResourceProtector(server)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.method == "GET":
            grant = server.validate_consent_request(end_user=ALICE)
            return f"<p>{escape(grant.client.client_id)} asks for {escape(grant.scope)}</p>"
        user = ALICE if request.form.get("confirm") == "yes" else None
        return server.create_authorization_response(grant_user=user)

    @app.route("/token", methods=["GET", "POST"])
    def issue_token() -> Any:
        return server.create_token_response()

    @app.post("/revoke")
    def revoke_token() -> Any:
        return server.create_revocation_response()

    @app.post("/introspect")
    def introspect_token() -> Any:
        return server.create_introspection_response()

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        return server.create_metadata_response()

    @app.get("/api/profile")
    @require_oauth("profile")
    def profile() -> Any:
        return {
            "user": current_token.user_id,
            "scope": current_token.scope,
            "client": current_token.client_id,
        }

    @app.get("/api/admin")
    @require_oauth("admin")
    def admin() -> Any:
        return {"ok": True}


def make_app(
    storage: Storage | None,
    clock: FakeClock,
    settings: Mapping[str, Any] | None = None,
    **callables: Callable[..., Any],
) -> Flask:
    app = Flask(__name__)
    app.config.update(settings or {})
    server = AuthorizationServer(app, storage, clock=clock, **callables)
    add_views(app, server)
    return app


@pytest.fixture
def http(storage: Storage, clock: FakeClock) -> FlaskHttp:
    return FlaskHttp(make_app(storage, clock))


def test_code_flow_with_pkce_consent_and_protected_views(http: FlaskHttp) -> None:
    flows.check_code_flow_and_protected_views(http)


def test_denied_consent_redirects_access_denied(http: FlaskHttp) -> None:
    flows.check_denied_consent(http)


def test_invalid_authorization_request_is_an_error_page(http: FlaskHttp) -> None:
    flows.check_invalid_authorization_request(http)


def test_client_credentials(http: FlaskHttp) -> None:
    flows.check_client_credentials(http)


def test_refresh_rotates(http: FlaskHttp) -> None:
    flows.check_refresh(http)


def test_revoke_and_introspect(http: FlaskHttp) -> None:
    flows.check_revoke_and_introspect(http)


def test_metadata(http: FlaskHttp) -> None:
    flows.check_metadata(http)


def test_token_endpoint_is_post_only(http: FlaskHttp) -> None:
    flows.check_token_endpoint_is_post_only(http)


@pytest.mark.parametrize("case", sorted(flows.SETTINGS_CASES))
def test_oauth2_settings_from_app_config(case: str, storage: Storage, clock: FakeClock) -> None:
    settings, check = flows.SETTINGS_CASES[case]
    check(FlaskHttp(make_app(storage, clock, settings)))


def test_init_app_lazy_setup(storage: Storage, clock: FakeClock) -> None:
    server = AuthorizationServer(storage=storage, clock=clock)
    app = Flask(__name__)
    add_views(app, server)
    with pytest.raises(RuntimeError, match="init_app"):
        _ = server.engine
    server.init_app(app)
    flows.check_code_flow_and_protected_views(FlaskHttp(app))


def test_seed_function_style(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    callables = DictCallables()
    with caplog.at_level(logging.WARNING, logger="oauth2_core.integrations"):
        app = make_app(
            None,
            clock,
            query_client=callables.query_client,
            save_token=callables.save_token,
            query_token=callables.query_token,
        )
    assert "authorization_code left out" in caplog.text
    flows.check_function_style(FlaskHttp(app), callables)


def test_function_style_with_explicit_code_grant_is_refused(clock: FakeClock) -> None:
    callables = DictCallables()
    settings = {"OAUTH2_GRANT_TYPES": ["authorization_code", "client_credentials"]}
    with pytest.raises(ConfigurationError, match=REFUSED_CODE_GRANT):
        make_app(
            None, clock, settings,
            query_client=callables.query_client, save_token=callables.save_token,
        )



def test_oversized_body_is_refused(http: FlaskHttp) -> None:
    flows.check_oversized_body(http)


def test_store_outage_is_503_not_500(storage: Storage, clock: FakeClock) -> None:
    outage = flows.OutageStorage(storage)
    flows.check_outage(FlaskHttp(make_app(outage, clock)), outage)


def test_multipart_consent_form(http: FlaskHttp) -> None:
    """A consent form posted as multipart/form-data (parsed by the view) still works."""
    auth = flows.authorization()
    assert http.get(auth.url).status == 200
    reply = http.client.post(auth.url, data={"confirm": "yes"}, content_type="multipart/form-data")
    assert reply.status_code in (302, 303)
    assert "code=" in reply.headers["Location"]


def test_callables_passed_positionally_are_refused_clearly(clock: FakeClock) -> None:
    callables = DictCallables()
    with pytest.raises(ConfigurationError, match="by keyword"):
        AuthorizationServer(Flask(__name__), callables.query_client)  # type: ignore[arg-type]
