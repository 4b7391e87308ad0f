"""Building the app from settings, in this process or in each uvicorn worker."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from oauth2_core.app.management import ensure_clients
from oauth2_core.app.settings import AppSettings
from oauth2_core.app.users import UserStore
from oauth2_core.app.web import build_app
from oauth2_core.server import AuthorizationServer
from oauth2_core.storage.registry import open_storage

__all__ = ["SETTINGS_ENV", "create_app", "create_app_from_env"]

# Not OAUTH2_*: that prefix is read as engine settings.
SETTINGS_ENV = "OAUTH2CORE_APP_SETTINGS"


def create_app(settings: AppSettings) -> Starlette:
    """Open the storage, create declared clients, and wire the engine into the app."""
    storage = open_storage(settings.storage)
    try:
        ensure_clients(storage, settings.clients)
        server = AuthorizationServer(storage, settings.server_config())
        users = UserStore(settings.users)
    except BaseException:
        storage.close()
        raise
    return build_app(settings, storage, server, users)


def create_app_from_env() -> Starlette:
    """uvicorn's factory for ``--workers N``: each worker process builds its own app."""
    return create_app(AppSettings.from_json(os.environ[SETTINGS_ENV]))
