"""Login, consent and CSRF over real HTTP (no auto-approve)."""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from e2e_serving import REDIRECT_URI, E2EServer, cli, e2e_clients, start_server

from oauth2_core.pkce import s256_challenge


@pytest.fixture(scope="module", params=["memory", "sqlite-2-workers"])
def consent_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[E2EServer]:
    """One process over memory, and two uvicorn workers sharing SQLite (the session and
    CSRF cookies signed by one worker must be accepted by the other)."""
    workdir = tmp_path_factory.mktemp("consent")
    users = workdir / "users.json"
    added = cli("user", "add", "alice", "--users", str(users), "--name", "Alice Liddell",
                "--password-stdin", stdin="wonderland\n")
    assert added.returncode == 0, added.stderr
    added = cli("user", "add", "bob", "--users", str(users), "--password-stdin",
                stdin="builder1\n")
    assert added.returncode == 0, added.stderr
    if request.param == "memory":
        storage, extra = "memory://", ()
    else:
        storage, extra = f"sqlite:///{workdir / 'consent.db'}", ("--workers", "2")
    with start_server(
        storage, workdir, e2e_clients("consent"), extra_args=extra, users=str(users)
    ) as server:
        yield server


def authorize_url(server: E2EServer, state: str = "st-1") -> str:
    params = {
        "response_type": "code",
        "client_id": server.clients["pub"].client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile read",
        "state": state,
        "code_challenge": s256_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    return server.url("/authorize?" + urlencode(params))


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, f"no {name} field"
    return unescape(match.group(1))


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match is not None
    return unescape(match.group(1))


def signed_in(
    server: E2EServer, state: str = "st-1", user: tuple[str, str] = ("alice", "wonderland")
) -> tuple[requests.Session, str]:
    """A browser-like session that signed in and now sees the consent page."""
    browser = requests.Session()
    page = browser.get(authorize_url(server, state), timeout=10)
    assert page.status_code == 200
    consent = browser.post(
        server.url("/login"),
        data={"csrf_token": field(page.text, "csrf_token"), "next": field(page.text, "next"),
              "username": user[0], "password": user[1]},
        timeout=10,
    )
    assert consent.status_code == 200, consent.text
    return browser, consent.text


def test_login_page_then_consent_page(consent_server: E2EServer) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(consent_server), timeout=10)
    assert page.status_code == 200
    assert '<label for="username">' in page.text and '<label for="password">' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "<link" not in page.text and "src=" not in page.text  # no external assets
    wrong = browser.post(
        consent_server.url("/login"),
        data={"csrf_token": field(page.text, "csrf_token"), "next": field(page.text, "next"),
              "username": "alice", "password": "nope"},
        timeout=10,
    )
    assert wrong.status_code == 401
    assert "Unknown username or wrong password" in wrong.text
    _, consent = signed_in(consent_server)
    assert "E2E Public" in consent
    assert "See your name and profile" in consent and "Read your data" in consent
    assert "Alice Liddell" in consent
    assert 'value="approve"' in consent and 'value="deny"' in consent


def test_approve_redirects_with_code_state_and_iss(consent_server: E2EServer) -> None:
    browser, consent = signed_in(consent_server, state="approve-me")
    answer = browser.post(
        consent_server.url(form_action(consent)),
        data={"csrf_token": field(consent, "csrf_token"), "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303  # never 307 after a form POST
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["code"][0]
    assert query["state"] == ["approve-me"]
    assert query["iss"] == [consent_server.base_url]


def test_deny_redirects_with_access_denied(consent_server: E2EServer) -> None:
    browser, consent = signed_in(consent_server, state="deny-me")
    answer = browser.post(
        consent_server.url(form_action(consent)),
        data={"csrf_token": field(consent, "csrf_token"), "decision": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["deny-me"]
    assert "code" not in query


def test_forms_without_a_valid_csrf_token_are_refused(consent_server: E2EServer) -> None:
    browser, consent = signed_in(consent_server)
    for token in ("", "forged", field(consent, "csrf_token") + "x"):
        answer = browser.post(
            consent_server.url(form_action(consent)),
            data={"csrf_token": token, "decision": "approve"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 403
        assert "Location" not in answer.headers
    # A cross-site form has the victim's cookies but cannot know the signed token.
    stranger = requests.Session()
    stranger_page = stranger.get(authorize_url(consent_server), timeout=10)
    foreign_token = field(stranger_page.text, "csrf_token")
    answer = browser.post(
        consent_server.url(form_action(consent)),
        data={"csrf_token": foreign_token, "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 403
    login = requests.post(
        consent_server.url("/login"),
        data={"username": "alice", "password": "wonderland", "next": "/"},
        allow_redirects=False, timeout=10,
    )
    assert login.status_code == 403


def test_login_never_redirects_off_site(consent_server: E2EServer) -> None:
    for target in ("https://attacker.example/", "//attacker.example/authorize?x", "/other"):
        browser = requests.Session()  # a login form's token is spent once the session changes
        page = browser.get(authorize_url(consent_server), timeout=10)
        answer = browser.post(
            consent_server.url("/login"),
            data={"csrf_token": field(page.text, "csrf_token"), "next": target,
                  "username": "alice", "password": "wonderland"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/"
        cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_bad_redirect_uri_is_an_error_page_even_when_signed_in(
    consent_server: E2EServer, tmp_path: Path
) -> None:
    browser, _ = signed_in(consent_server)
    answer = browser.get(
        consent_server.url("/authorize"),
        params={"response_type": "code", "client_id": consent_server.clients["pub"].client_id,
                "redirect_uri": "https://evil.example/cb", "state": "s"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "Authorization request refused" in answer.text


def test_sign_out_from_the_consent_page(consent_server: E2EServer) -> None:
    browser, consent = signed_in(consent_server)
    logout = re.search(r'<form method="post" action="([^"]+)" class="muted">', consent)
    assert logout is not None
    answer = browser.post(
        consent_server.url(unescape(logout.group(1))),
        data={"csrf_token": field(consent, "csrf_token"), "next": form_action(consent)},
        timeout=10,
    )
    assert answer.status_code == 200
    assert "Sign in" in answer.text  # back to the same request, signed out
    assert 'name="decision"' not in answer.text


def test_consent_token_is_bound_to_the_session(consent_server: E2EServer) -> None:
    """Signed double-submit alone falls to cookie tossing: a same-site attacker (a sibling
    subdomain) plants its own CSRF cookie in the victim's browser and posts the matching
    token it got for itself. The token must also be bound to the victim's session."""
    attacker, attacker_consent = signed_in(consent_server, user=("bob", "builder1"))
    victim, victim_consent = signed_in(consent_server, state="victim")
    victim.cookies.set("oauth2_csrf", attacker.cookies["oauth2_csrf"])
    answer = victim.post(
        consent_server.url(form_action(victim_consent)),
        data={"csrf_token": field(attacker_consent, "csrf_token"), "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 403
    assert "Location" not in answer.headers


def test_a_consent_form_does_not_outlive_a_change_of_user(consent_server: E2EServer) -> None:
    browser, consent = signed_in(consent_server)
    page = browser.get(consent_server.url("/login"), timeout=10)
    switched = browser.post(
        consent_server.url("/login"),
        data={"csrf_token": field(page.text, "csrf_token"), "next": form_action(consent),
              "username": "bob", "password": "builder1"},
        timeout=10,
    )
    assert switched.status_code == 200
    stale = browser.post(  # the form alice was shown, submitted in bob's session
        consent_server.url(form_action(consent)),
        data={"csrf_token": field(consent, "csrf_token"), "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert stale.status_code == 403


def test_non_ascii_tokens_and_cookies_are_refused_not_500(consent_server: E2EServer) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(consent_server), timeout=10)
    login = browser.post(
        consent_server.url("/login"),
        data={"csrf_token": "\u00e9t\u00e9", "next": field(page.text, "next"),
              "username": "alice", "password": "wonderland"},
        allow_redirects=False, timeout=10,
    )
    assert login.status_code == 403
    forged = requests.get(
        authorize_url(consent_server),
        headers={"Cookie": "oauth2_session=YWxpY2U.1.\u00e9; oauth2_csrf=\u00e9"},
        timeout=10,
    )
    assert forged.status_code == 200
    assert "Sign in" in forged.text


def test_oversized_forms_are_refused_without_reading_them(consent_server: E2EServer) -> None:
    """Login and consent forms are a few hundred bytes: the app must not buffer a body of
    any size (a single request could otherwise hold ~1 GB through Starlette's form parser).
    The client announces 100 MB and sends 1 MB in small fields: the answer must come
    without the rest."""
    host, port = urlsplit(consent_server.base_url).netloc.split(":")
    for path in ("/login", form_action(signed_in(consent_server)[1])):
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode("ascii")
            )
            with contextlib.suppress(OSError):  # the server may close once it has answered
                conn.sendall((b"a=" + b"x" * (64 * 1024 - 3) + b"&") * 16)
            status_line = conn.makefile("rb").readline()
        assert status_line.startswith(b"HTTP/1.1 413"), (path, status_line)


def test_https_issuer_cookies_are_host_prefixed(tmp_path: Path) -> None:
    """Behind an https issuer the cookies are ``__Host-`` cookies: Secure, host-only, so a
    sibling subdomain (or a network attacker over http) cannot plant a session or CSRF
    cookie of its own (login confusion by cookie tossing)."""
    users = tmp_path / "users.json"
    added = cli("user", "add", "alice", "--users", str(users), "--password-stdin",
                stdin="wonderland\n")
    assert added.returncode == 0, added.stderr
    with start_server("memory://", tmp_path, e2e_clients("https"), users=str(users),
                      issuer="https://auth.example.test") as server:
        page = requests.get(authorize_url(server), timeout=10)
        csrf_cookie = page.headers["Set-Cookie"]
        assert csrf_cookie.startswith("__Host-oauth2_csrf=")
        assert "Secure" in csrf_cookie and "Path=/" in csrf_cookie
        assert "Domain" not in csrf_cookie
        csrf = csrf_cookie.split(";", 1)[0].split("=", 1)[1]
        login = requests.post(
            server.url("/login"),
            data={"csrf_token": field(page.text, "csrf_token"), "next": field(page.text, "next"),
                  "username": "alice", "password": "wonderland"},
            headers={"Cookie": f"__Host-oauth2_csrf={csrf}"},
            allow_redirects=False, timeout=10,
        )
        assert login.status_code == 303, login.text
        session_cookie = login.headers["Set-Cookie"]
        assert session_cookie.startswith("__Host-oauth2_session=")
        assert "Secure" in session_cookie and "Path=/" in session_cookie
        session = session_cookie.split(";", 1)[0].split("=", 1)[1]
        consent = requests.get(
            authorize_url(server),
            headers={"Cookie": f"__Host-oauth2_csrf={csrf}; __Host-oauth2_session={session}"},
            timeout=10,
        )
        assert 'value="approve"' in consent.text
        tossed = requests.get(  # the same values under names any subdomain can set
            authorize_url(server),
            headers={"Cookie": f"oauth2_csrf={csrf}; oauth2_session={session}"},
            timeout=10,
        )
        assert 'value="approve"' not in tossed.text
        assert "Sign in" in tossed.text


def test_a_consent_form_sent_without_a_session_leads_to_sign_in(
    consent_server: E2EServer,
) -> None:
    """The session cookie expired (or the user signed out elsewhere) while the consent page
    was open: no decision is taken, the user is sent to sign in and back to the request."""
    browser, consent = signed_in(consent_server, state="expired")
    del browser.cookies["oauth2_session"]
    answer = browser.post(
        consent_server.url(form_action(consent)),
        data={"csrf_token": field(consent, "csrf_token"), "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("/login?next=")
    assert parse_qs(urlsplit(location).query)["next"] == [form_action(consent)]


def test_no_cors_on_browser_and_token_endpoints(consent_server: E2EServer) -> None:
    """A cross-origin script gets no CORS grant on the pages or the token endpoint, and a
    preflight is never answered with success."""
    preflight = {"Origin": "https://attacker.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"}
    for path in ("/authorize", "/login", "/token"):
        answer = requests.options(consent_server.url(path), headers=preflight, timeout=10)
        assert answer.status_code == 405, path
        assert not any(h.lower().startswith("access-control-") for h in answer.headers), path
    page = requests.get(authorize_url(consent_server),
                        headers={"Origin": "https://attacker.example"}, timeout=10)
    assert not any(h.lower().startswith("access-control-") for h in page.headers)
