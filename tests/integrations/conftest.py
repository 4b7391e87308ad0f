"""Fixtures shared by the Flask, Django and Starlette integration tests.

Django is configured here, once, before any test module imports it: no database, CSRF
middleware on (the consent form must stay protected), a URLconf swapped in per test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import django
import pytest
from django.conf import settings
from integration_flows import seed_clients

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError
from oauth2_core.storage.memory import MemoryStorage
from oauth2_core.storage.protocols import SchemaManagement, Storage
from oauth2_core.storage.registry import open_storage

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="integration-tests-only",
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        ROOT_URLCONF="integration_django_app",
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()

BACKENDS = ["memory", "sqlite"]


def open_backend(name: str, tmp_path: Path) -> Storage:
    if name == "memory":
        return MemoryStorage()
    if importlib.util.find_spec("oauth2_core_sqlalchemy") is None:
        pytest.skip("SQLite backend not available yet: oauth2_core_sqlalchemy does not import")
    try:
        storage = open_storage(f"sqlite:///{tmp_path / 'oauth2.db'}")
    except ConfigurationError as exc:
        pytest.skip(f"SQLite backend not available yet (oauth2_core_sqlalchemy): {exc}")
    if isinstance(storage, SchemaManagement):
        storage.upgrade_schema()
    return storage


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A backend holding the test clients (``webapp``, ``service``)."""
    store = open_backend(request.param, tmp_path)
    seed_clients(store)
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
