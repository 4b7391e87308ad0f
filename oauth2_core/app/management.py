"""Client and data management shared by the command line, the demo and ``serve``.

``client list`` needs the optional ``ClientLister`` protocol of the storage contract; a backend
that cannot enumerate its clients simply lacks the method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oauth2_core.clock import SystemClock
from oauth2_core.errors import ConfigurationError, DuplicateKey
from oauth2_core.models import Client
from oauth2_core.registration import new_client
from oauth2_core.storage.protocols import ClientLister, Storage

__all__ = [
    "client_to_dict",
    "create_client",
    "ensure_clients",
    "list_clients",
]


_NEW_CLIENT_KEYS = frozenset(
    {
        "client_id",
        "client_secret",
        "public",
        "redirect_uris",
        "grant_types",
        "scope",
        "token_endpoint_auth_method",
        "client_name",
        "can_introspect",
    }
)


def client_to_dict(client: Client) -> dict[str, Any]:
    """Client metadata for display; never the secret digest."""
    return {
        "client_id": client.client_id,
        "client_name": client.client_name,
        "public": client.is_public,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "redirect_uris": list(client.redirect_uris),
        "scope": client.scope,
        "can_introspect": client.can_introspect,
        "created_at": client.created_at.isoformat() if client.created_at else None,
    }


def create_client(storage: Storage, **metadata: Any) -> tuple[Client, str | None]:
    """Validate with ``new_client`` then insert; nothing is written if validation fails.

    Raises ``InvalidClientMetadata`` or ``DuplicateKey`` (the id is taken).
    """
    unknown = set(metadata) - _NEW_CLIENT_KEYS
    if unknown:
        raise ConfigurationError(f"unknown client setting(s): {', '.join(sorted(unknown))}")
    client, secret = new_client(now=SystemClock().now(), **metadata)
    storage.save_client(client)
    return client, secret


def ensure_clients(storage: Storage, declared: tuple[Mapping[str, Any], ...]) -> list[str]:
    """Create the declared clients that do not exist yet; return the ids created."""
    created = []
    for metadata in declared:
        client_id = metadata.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("every declared client needs a client_id")
        if storage.query_client(client_id) is not None:
            continue
        try:
            create_client(storage, **metadata)
        except DuplicateKey:
            continue  # another worker created it first
        created.append(client_id)
    return created


def list_clients(storage: Storage) -> list[Client]:
    if not isinstance(storage, ClientLister):
        raise ConfigurationError(
            f"{type(storage).__name__} cannot list clients: it does not implement the "
            "optional list_clients() method; use 'client show CLIENT_ID' instead"
        )
    return sorted(storage.list_clients(), key=lambda c: c.client_id)
