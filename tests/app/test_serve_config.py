"""``serve`` configured from the environment, with flags taking precedence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests
from e2e_serving import _clean_env, cli, stop, wait_until_serving
from oauth2_conformance.services import free_port


def test_serve_from_environment_with_flag_precedence(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'env.db'}"
    assert cli("migrate", "--storage", storage).returncode == 0
    created = cli("client", "create", "--storage", storage, "--json", "--client-id", "envsvc",
                  "--grant-type", "client_credentials")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["client_secret"]
    env_port, flag_port = free_port(), free_port()
    env = {
        **_clean_env(),
        "OAUTH2_STORAGE": storage,
        "OAUTH2_PORT": str(env_port),
        "OAUTH2_ISSUER": "http://issuer.example.test/",
        "OAUTH2_TOKEN_EXPIRES_IN": '{"client_credentials": 600}',
        "OAUTH2_REQUIRE_PKCE": "true",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "oauth2_core.cli", "serve", "--port", str(flag_port)],
            stdout=sink, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{flag_port}"
    try:
        wait_until_serving(base, process, log)
        meta = requests.get(base + "/.well-known/oauth-authorization-server", timeout=10).json()
        assert meta["issuer"] == "http://issuer.example.test"
        assert meta["token_endpoint"] == "http://issuer.example.test/token"
        token = requests.post(base + "/token", data={"grant_type": "client_credentials"},
                              auth=("envsvc", secret), timeout=10)
        assert token.status_code == 200, token.text
        assert token.json()["expires_in"] == 600
    finally:
        assert stop(process) == 0
    assert "no users configured" in log.read_text()


def test_plain_import_loads_no_web_framework() -> None:
    code = (
        "import sys, oauth2_core, oauth2_core.cli, oauth2_core.app\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in {'starlette', 'uvicorn'}]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
