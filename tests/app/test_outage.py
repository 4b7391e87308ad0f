"""A store that cannot be reached: 503 temporarily_unavailable with Retry-After, never 500."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from e2e_serving import _clean_env, stop, wait_until_serving
from oauth2_conformance.services import free_port


@pytest.fixture(scope="module")
def dead_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``serve`` over a Redis URL where nothing listens: its base URL and its log file."""
    workdir = tmp_path_factory.mktemp("outage")
    port, nobody = free_port(), free_port()  # nothing listens on ``nobody``
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "oauth2_core.cli", "serve", "--port", str(port),
             "--storage", f"redis://127.0.0.1:{nobody}/0", "--auto-approve-as", "alice"],
            stdout=sink, stderr=subprocess.STDOUT, env=_clean_env(),
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log)
        yield base, log
    finally:
        stop(process)


@pytest.fixture
def dead_store_server(dead_store: tuple[str, Path]) -> str:
    return dead_store[0]


def test_token_endpoint_answers_503_with_retry_after(dead_store_server: str) -> None:
    answer = requests.post(
        dead_store_server + "/token", data={"grant_type": "client_credentials"},
        auth=("some-client", "some-secret"), timeout=30,
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/authorize?response_type=code&client_id=c&state=s"), ("POST", "/revoke"),
     ("POST", "/introspect"), ("GET", "/userinfo")],
)
def test_other_endpoints_answer_503(dead_store_server: str, method: str, path: str) -> None:
    answer = requests.request(
        method, dead_store_server + path, data={"token": "t"} if method == "POST" else None,
        headers={"Authorization": "Bearer some-token"} if path == "/userinfo" else {},
        auth=("c", "s") if method == "POST" else None, allow_redirects=False, timeout=30,
    )
    assert answer.status_code == 503, answer.text
    assert "Retry-After" in answer.headers
    assert "Location" not in answer.headers


def test_the_outage_log_holds_no_secret(dead_store: tuple[str, Path]) -> None:
    base, log = dead_store
    requests.post(base + "/token", data={"grant_type": "client_credentials"},
                  auth=("some-client", "very-secret-value"), timeout=30)
    assert "very-secret-value" not in log.read_text()
