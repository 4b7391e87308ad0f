"""The storage contract, the reference in-memory backend, and the URL registry."""

from oauth2_core.storage.callables import CallableStorage
from oauth2_core.storage.memory import MemoryStorage
from oauth2_core.storage.protocols import (
    AuthorizationCodeStore,
    Capability,
    ClientLister,
    ClientStore,
    DeploymentChecks,
    Maintenance,
    NewGrantTokenStore,
    SchemaManagement,
    Storage,
    TokenStore,
)
from oauth2_core.storage.registry import open_storage

__all__ = [
    "AuthorizationCodeStore",
    "CallableStorage",
    "Capability",
    "ClientLister",
    "ClientStore",
    "DeploymentChecks",
    "Maintenance",
    "MemoryStorage",
    "NewGrantTokenStore",
    "SchemaManagement",
    "Storage",
    "TokenStore",
    "open_storage",
]
