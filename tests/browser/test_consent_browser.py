"""The login and consent pages in a real browser: sign in, approve, deny; screenshots."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from e2e_serving import REDIRECT_URI, E2EServer, cli, e2e_clients, start_server
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from oauth2_core.pkce import s256_challenge

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "consent.png"


@pytest.fixture(scope="module")
def browser_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EServer]:
    workdir = tmp_path_factory.mktemp("browser")
    users = workdir / "users.json"
    added = cli("user", "add", "alice", "--users", str(users), "--name", "Alice Liddell",
                "--password-stdin", stdin="wonderland\n")
    assert added.returncode == 0, added.stderr
    clients = e2e_clients("browser")
    clients[1]["client_name"] = "Photo Printing App"
    with start_server("memory://", workdir, clients, users=str(users)) as server:
        yield server


def open_authorize(
    driver: Any, server: E2EServer, state: str, redirect_uri: str | None = None
) -> str:
    """Navigate to an authorization request; return its redirect URI (default: this server's
    /callback, allowed because a registered http://127.0.0.1/... URI accepts any port)."""
    redirect_uri = redirect_uri or server.url("/callback")
    params = {
        "response_type": "code",
        "client_id": server.clients["pub"].client_id,
        "redirect_uri": redirect_uri,
        "scope": "profile read",
        "state": state,
        "code_challenge": s256_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    driver.get(server.url("/authorize?" + urlencode(params)))
    return redirect_uri


def sign_in_if_asked(driver: Any, screenshots: Path | None = None) -> None:
    if not driver.find_elements(By.ID, "password"):
        return
    if screenshots is not None:
        driver.save_screenshot(str(screenshots / "login.png"))
    driver.find_element(By.ID, "username").send_keys("alice")
    driver.find_element(By.ID, "password").send_keys("wonderland")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(
        expected_conditions.presence_of_element_located((By.NAME, "decision"))
    )


def redirected_query(driver: Any, redirect_uri: str) -> dict[str, list[str]]:
    WebDriverWait(driver, 15).until(lambda d: d.current_url.startswith(redirect_uri + "?"))
    return parse_qs(urlsplit(driver.current_url).query)


def test_sign_in_approve_and_deny(chromium: Any, browser_server: E2EServer, tmp_path: Path) -> None:
    driver = chromium
    # First with the registered redirect URI itself (no random port): the page, and so the
    # screenshot copied into the docs, is the same on every run.
    open_authorize(driver, browser_server, "screenshot", redirect_uri=REDIRECT_URI)
    assert driver.title == "Sign in"
    assert driver.switch_to.active_element.get_attribute("id") == "username"  # autofocus
    sign_in_if_asked(driver, tmp_path)
    assert "Photo Printing App" in driver.find_element(By.TAG_NAME, "h1").text
    body = driver.find_element(By.TAG_NAME, "main").text
    assert "See your name and profile" in body and "Read your data" in body
    assert "Alice Liddell" in body
    # Nothing is pre-focused on the consent page: Enter alone must not approve.
    assert driver.switch_to.active_element.tag_name == "body"
    driver.save_screenshot(str(tmp_path / "consent.png"))
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "consent.png", DOCS_SCREENSHOT)

    # Signed in now: straight to the consent page; approve.
    redirect_uri = open_authorize(driver, browser_server, "approve-state")
    sign_in_if_asked(driver)
    driver.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    approved = redirected_query(driver, redirect_uri)
    assert approved["code"][0]
    assert approved["state"] == ["approve-state"]
    assert approved["iss"] == [browser_server.base_url]
    driver.save_screenshot(str(tmp_path / "approved.png"))

    # Same browser, still signed in: straight to the consent page, then deny.
    redirect_uri = open_authorize(driver, browser_server, "deny-state")
    sign_in_if_asked(driver)
    driver.find_element(By.CSS_SELECTOR, "button[value=deny]").click()
    denied = redirected_query(driver, redirect_uri)
    assert denied["error"] == ["access_denied"]
    assert denied["state"] == ["deny-state"]
    assert "code" not in denied
    driver.save_screenshot(str(tmp_path / "denied.png"))
    assert {p.name for p in tmp_path.glob("*.png")} >= {"login.png", "consent.png", "denied.png"}


def test_bad_redirect_uri_shows_an_error_page(
    chromium: Any, browser_server: E2EServer, tmp_path: Path
) -> None:
    driver = chromium
    params = {"response_type": "code", "client_id": browser_server.clients["pub"].client_id,
              "redirect_uri": "https://evil.example/cb", "state": "s"}
    driver.get(browser_server.url("/authorize?" + urlencode(params)))
    assert driver.current_url.startswith(browser_server.base_url)
    assert "Authorization request refused" in driver.find_element(By.TAG_NAME, "h1").text
    driver.save_screenshot(str(tmp_path / "error.png"))
