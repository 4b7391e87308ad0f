"""``threads``: how many requests run engine (storage) calls at once per worker. The app bounds
anyio's thread pool to it, so excess requests queue in the event loop instead of waiting for,
or opening, a storage connection beyond the pool."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import pytest
from starlette.testclient import TestClient

from oauth2_core.app.factory import create_app
from oauth2_core.app.settings import DEFAULT_THREADS, load_settings
from oauth2_core.errors import ConfigurationError


def _tokens_inside(client: TestClient) -> float:
    assert client.portal is not None
    return client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)


def test_the_app_bounds_its_thread_pool_to_threads() -> None:
    for threads in (3, DEFAULT_THREADS):
        settings = load_settings({"storage": "memory://", "threads": threads}, {})
        with TestClient(create_app(settings)) as client:
            assert _tokens_inside(client) == threads
            assert client.get("/.well-known/oauth-authorization-server").status_code == 200


def test_threads_from_flag_environment_and_config_file(tmp_path: Path) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('storage = "memory://"\nthreads = 4\n')
    assert load_settings({"config": str(config)}, {}).threads == 4
    environ = {"OAUTH2_CONFIG": str(config), "OAUTH2_THREADS": "6"}
    assert load_settings({}, environ).threads == 6
    assert load_settings({"threads": 8}, environ).threads == 8
    assert load_settings({"storage": "memory://"}, {}).threads == DEFAULT_THREADS == 16


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        ({"threads": 0}, {}, "threads must be at least 1, got 0"),
        ({}, {"OAUTH2_THREADS": "many"}, "OAUTH2_THREADS must be an integer, not 'many'"),
    ],
)
def test_bad_threads_are_refused_with_the_setting_named(
    flags: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"storage": "memory://", **flags}, environ)
