"""Fixtures: ``oauth2-core serve`` as a subprocess on a free port, over every backend.

Data is isolated by a unique suffix on every client id (the databases are shared), and the
Redis backend also gets a unique key prefix.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from e2e_serving import (
    BACKEND_DEFAULTS,
    E2EServer,
    backend_url,
    e2e_clients,
    start_server,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.timeout(120))


@pytest.fixture(scope="session")
def run_id() -> str:
    return secrets.token_hex(4)


@pytest.fixture(scope="module", params=list(BACKEND_DEFAULTS))
def server(
    request: pytest.FixtureRequest, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[E2EServer]:
    """A running ``serve --auto-approve-as alice`` with three e2e clients declared."""
    backend = request.param
    workdir = tmp_path_factory.mktemp(f"serve-{backend}")
    with backend_url(backend, workdir, run_id) as url:
        clients = e2e_clients(f"{backend}-{run_id}")
        with start_server(url, workdir, clients, auto_approve_as="alice") as running:
            yield running
