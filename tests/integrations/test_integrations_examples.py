"""Each example app starts with the one command its docs page gives and completes the code
flow over real HTTP (consent, code, token, protected API, introspection, revocation)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from oauth2_core.tokens import generate_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "flask": ("docs/examples/flask/app.py", "http://127.0.0.1:5000/callback"),
    "django": ("docs/examples/django/app.py", "http://127.0.0.1:8000/callback"),
    "fastapi": ("docs/examples/fastapi/app.py", "http://127.0.0.1:8000/callback"),
}
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=sorted(EXAMPLES))
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    script, redirect_uri = EXAMPLES[request.param]
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / script)],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # waiting for a real process to listen: there is no clock to fake
            if process.poll() is not None:
                pytest.fail(f"{script} exited: {(tmp_path / 'server.log').read_text()}")
            try:
                httpx.get(f"{base}/.well-known/oauth-authorization-server", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{script} did not start: {(tmp_path / 'server.log').read_text()}")
                time.sleep(0.1)
        yield base, redirect_uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_example_completes_the_code_flow(example: tuple[str, str]) -> None:
    base, redirect_uri = example
    verifier = generate_token()
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode("ascii")).digest()
    ).rstrip(b"=").decode("ascii")
    with httpx.Client(base_url=base, timeout=10.0) as http:
        metadata = http.get("/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == base
        authorize_url = "/oauth/authorize?" + urlencode({
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": redirect_uri,
            "scope": "profile",
            "state": "example-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        })
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        assert "Demo client" in page.text
        consent = {"confirm": "yes"}
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if csrf:  # Django: the consent form carries its CSRF token (the cookie is kept)
            consent["csrfmiddlewaretoken"] = csrf.group(1)
        decision = http.post(authorize_url, data=consent)
        assert decision.status_code in (302, 303), decision.text
        query = parse_qs(urlsplit(decision.headers["location"]).query)
        assert query["state"] == ["example-state"]
        assert query["iss"] == [base]
        code = query["code"][0]
        callback = http.get(decision.headers["location"].replace(
            redirect_uri.rsplit("/", 1)[0], base))
        assert code in callback.text

        auth = ("demo-client", "demo-secret")
        tokens = http.post(metadata["token_endpoint"], auth=auth, data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        })
        assert tokens.status_code == 200, tokens.text
        access = tokens.json()["access_token"]
        me = http.get("/api/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200, me.text
        assert me.json() == {"user": "alice", "scope": "profile"}
        info = http.post(metadata["introspection_endpoint"], auth=auth, data={"token": access})
        assert info.json()["active"] is True
        revoked = http.post(metadata["revocation_endpoint"], auth=auth, data={"token": access})
        assert revoked.status_code == 200
        assert http.get("/api/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_example_pages_escape_input_and_refuse_framing(example: tuple[str, str]) -> None:
    """What users copy should be safe: the callback page reflects query parameters (names
    too) only escaped, and the consent page cannot be framed or cached."""
    base, redirect_uri = example
    with httpx.Client(base_url=base, timeout=10.0) as http:
        hostile = "<script>alert(1)</script>"
        callback = http.get("/callback", params={hostile: hostile, "code": hostile})
        assert callback.status_code == 200
        assert "<script>" not in callback.text
        page = http.get("/oauth/authorize?" + urlencode({
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": redirect_uri,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }))
        assert page.status_code == 200, page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert "no-store" in page.headers["cache-control"]
