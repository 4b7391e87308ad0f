"""The Django adapter through Django's test client (settings from conftest, no database)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import integration_flows as flows
import pytest
from django.test import Client as DjangoClient
from django.test import override_settings
from integration_django_app import URLConf
from integration_flows import REFUSED_CODE_GRANT, DictCallables, Reply

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError
from oauth2_core.integrations.django import AuthorizationServer
from oauth2_core.storage.protocols import Storage

FORM = "application/x-www-form-urlencoded"


class DjangoHttp:
    def __init__(self, client: DjangoClient) -> None:
        self.client = client

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self._reply(self.client.get(url, headers=dict(headers or {})))

    def post(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Reply:
        response = self.client.post(
            url, urlencode(data), content_type=FORM, headers=dict(headers or {})
        )
        return self._reply(response)

    @staticmethod
    def _reply(response: Any) -> Reply:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Reply(response.status_code, headers, response.content)


@contextmanager
def site(
    storage: Storage | None,
    clock: FakeClock,
    settings: Mapping[str, Any] | None = None,
    *,
    enforce_csrf_checks: bool = False,
    **callables: Callable[..., Any],
) -> Iterator[DjangoHttp]:
    with override_settings(**dict(settings or {})):
        server = AuthorizationServer(storage, clock=clock, **callables)
        with override_settings(ROOT_URLCONF=URLConf(server)):
            yield DjangoHttp(DjangoClient(enforce_csrf_checks=enforce_csrf_checks))


@pytest.fixture
def http(storage: Storage, clock: FakeClock) -> Iterator[DjangoHttp]:
    with site(storage, clock) as http:
        yield http


def test_code_flow_with_pkce_consent_and_protected_views(http: DjangoHttp) -> None:
    flows.check_code_flow_and_protected_views(http)


def test_denied_consent_redirects_access_denied(http: DjangoHttp) -> None:
    flows.check_denied_consent(http)


def test_invalid_authorization_request_is_an_error_page(http: DjangoHttp) -> None:
    flows.check_invalid_authorization_request(http)


def test_client_credentials(http: DjangoHttp) -> None:
    flows.check_client_credentials(http)


def test_refresh_rotates(http: DjangoHttp) -> None:
    flows.check_refresh(http)


def test_revoke_and_introspect(http: DjangoHttp) -> None:
    flows.check_revoke_and_introspect(http)


def test_metadata(http: DjangoHttp) -> None:
    flows.check_metadata(http)


def test_token_endpoint_is_post_only(http: DjangoHttp) -> None:
    flows.check_token_endpoint_is_post_only(http)


def test_csrf_protects_consent_but_not_client_endpoints(
    storage: Storage, clock: FakeClock
) -> None:
    with site(storage, clock, enforce_csrf_checks=True) as http:
        auth = flows.authorization()
        page = http.get(auth.url)
        assert page.status == 200
        forged = http.post(auth.url, {"confirm": "yes"})
        assert forged.status == 403  # no CSRF token: Django refuses the consent POST
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        code = flows.approve(http, auth, {"csrfmiddlewaretoken": token.group(1)})
        # Token, revocation, introspection: client credentials, no cookie, no CSRF token.
        tokens = flows.exchange(http, code, auth.verifier)
        assert tokens.status == 200, tokens.text
        access = tokens.json()["access_token"]
        assert flows.introspect(http, access).json()["active"] is True
        assert flows.revoke(http, access).status == 200
        assert flows.client_credentials(http).status == 200


@pytest.mark.parametrize("case", sorted(flows.SETTINGS_CASES))
def test_oauth2_settings_from_django_settings(
    case: str, storage: Storage, clock: FakeClock
) -> None:
    settings, check = flows.SETTINGS_CASES[case]
    with site(storage, clock, settings) as http:
        check(http)


def test_seed_function_style(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    callables = DictCallables()
    with caplog.at_level(logging.WARNING, logger="oauth2_core.integrations"), site(
        None,
        clock,
        query_client=callables.query_client,
        save_token=callables.save_token,
        query_token=callables.query_token,
    ) as http:
        assert "authorization_code left out" in caplog.text
        flows.check_function_style(http, callables)


def test_function_style_with_explicit_code_grant_is_refused(clock: FakeClock) -> None:
    callables = DictCallables()
    settings = {"OAUTH2_GRANT_TYPES": ["authorization_code", "client_credentials"]}
    with pytest.raises(ConfigurationError, match=REFUSED_CODE_GRANT), site(
        None, clock, settings,
        query_client=callables.query_client, save_token=callables.save_token,
    ):
        pass


def test_oversized_body_is_refused(http: DjangoHttp) -> None:
    flows.check_oversized_body(http)


def test_store_outage_is_503_not_500(storage: Storage, clock: FakeClock) -> None:
    outage = flows.OutageStorage(storage)
    with site(outage, clock) as http:
        flows.check_outage(http, outage)


def test_multipart_consent_form(http: DjangoHttp) -> None:
    """Django's default test-client POST is multipart: request.body is then unreadable once
    the view has read request.POST, and the adapter takes the parsed fields instead."""
    auth = flows.authorization()
    assert http.get(auth.url).status == 200
    reply = http.client.post(auth.url, {"confirm": "yes"})
    assert reply.status_code in (302, 303)
    assert "code=" in reply.headers["Location"]
