"""``oauth2-core demo``: first run, the printed curl, Ctrl-C, second run reusing the data."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
from html import unescape
from pathlib import Path

import requests
from e2e_serving import stop, wait_until_serving
from oauth2_conformance.services import free_port


def start_demo(workdir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start the demo; return the process and everything it printed before serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "oauth2_core.cli", "demo", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=(workdir / "demo.log").open("ab"),
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # the instructions end with this line
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    wait_until_serving(f"http://127.0.0.1:{port}", process, workdir / "demo.log")
    return process, "".join(lines)


def run_printed_curl(output: str) -> dict[str, str]:
    command = next(line.strip() for line in output.splitlines() if line.strip().startswith("curl"))
    argv = shlex.split(command)
    if shutil.which("curl"):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        body = result.stdout
    else:  # the same request: curl -u ID:SECRET -d k=v ... URL
        user = argv[argv.index("-u") + 1].split(":", 1)
        data = [tuple(argv[i + 1].split("=", 1)) for i, a in enumerate(argv) if a == "-d"]
        body = requests.post(argv[-1], data=data, auth=tuple(user), timeout=30).text
    token: dict[str, str] = json.loads(body)
    return token


def test_demo_serves_prints_a_working_curl_and_reuses_its_data(tmp_path: Path) -> None:
    port = free_port()
    first, output = start_demo(tmp_path, port)
    try:
        assert "created demo data" in output
        assert f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server" in output
        token = run_printed_curl(output)
        assert token["token_type"] == "Bearer"
        assert token["access_token"]
        metadata = requests.get(
            f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server", timeout=10
        )
        assert metadata.json()["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        code = stop(first, signal.SIGINT)
    assert code == 0, (tmp_path / "demo.log").read_text()
    assert (tmp_path / "oauth2-demo.db").exists()
    secrets_file = tmp_path / "oauth2-demo-secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0

    second, again = start_demo(tmp_path, port)
    try:
        assert "reusing demo data" in again
        secret = re.search(r"client secret:\s+(\S+)", output)
        assert secret is not None and secret.group(1) in again
        assert run_printed_curl(again)["access_token"]
        demo_code_flow(port, again)
        demo_callback_never_offers_a_shell_injection(port)
    finally:
        assert stop(second, signal.SIGINT) == 0


def demo_code_flow(port: int, output: str) -> None:
    """Open the printed authorize URL, sign in as the demo user, approve, redeem."""
    authorize_url = next(
        line.strip() for line in output.splitlines() if "/authorize?" in line
    )
    password = re.search(r"Demo user:\s+demo / password (\S+)", output)
    assert password is not None
    browser = requests.Session()
    login_page = browser.get(authorize_url, timeout=10)
    assert login_page.status_code == 200
    assert "Sign in" in login_page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
    next_url = re.search(r'name="next" value="([^"]+)"', login_page.text)
    assert csrf is not None and next_url is not None
    consent = browser.post(
        f"http://127.0.0.1:{port}/login",
        data={"csrf_token": csrf.group(1), "next": unescape(next_url.group(1)),
              "username": "demo", "password": password.group(1)},
        timeout=10,
    )
    assert consent.status_code == 200
    assert "Demo app (public client, PKCE)" in consent.text
    action = re.search(r'<form method="post" action="([^"]+)"', consent.text)
    consent_csrf = re.search(r'name="csrf_token" value="([^"]+)"', consent.text)
    assert action is not None and consent_csrf is not None
    callback = browser.post(
        f"http://127.0.0.1:{port}{unescape(action.group(1))}",
        data={"csrf_token": consent_csrf.group(1), "decision": "approve"},
        timeout=10,
    )
    assert callback.status_code == 200
    assert callback.url.startswith(f"http://127.0.0.1:{port}/demo/callback?code=")
    curl = re.search(r"<pre><code>(curl [^<]+)</code></pre>", callback.text)
    assert curl is not None
    argv = shlex.split(unescape(curl.group(1)))
    data = [tuple(argv[i + 1].split("=", 1)) for i, a in enumerate(argv) if a == "-d"]
    tokens = requests.post(argv[2], data=data, timeout=10)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["refresh_token"]



def demo_callback_never_offers_a_shell_injection(port: int) -> None:
    """Anyone can send a user a link to the demo's callback: the curl it offers to copy
    must carry the code as one literal argument, not run ``$(...)`` in the user's shell."""
    hostile = "x$(touch pwned)`id`;rm -rf ~ 'q'"
    page = requests.get(
        f"http://127.0.0.1:{port}/demo/callback", params={"code": hostile}, timeout=10
    )
    curl = re.search(r"<pre><code>(curl [^<]+)</code></pre>", page.text)
    assert curl is not None
    command = unescape(curl.group(1))
    assert shlex.quote(f"code={hostile}") in command
    argv = shlex.split(command)
    assert f"code={hostile}" in argv
