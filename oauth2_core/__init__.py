"""oauth2-core: a storage-agnostic OAuth 2.0 authorization server engine."""

from oauth2_core.clock import Clock, FakeClock, SystemClock
from oauth2_core.config import ServerConfig
from oauth2_core.errors import (
    ConfigurationError,
    Conflict,
    DuplicateKey,
    OAuth2Error,
    StorageError,
    StorageUnavailable,
)
from oauth2_core.models import AuthorizationCode, Client, Token
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import OAuth2Response
from oauth2_core.server import AuthorizationGrant, AuthorizationServer
from oauth2_core.storage import Capability, MemoryStorage, Storage, open_storage

__version__ = "0.1.0"

__all__ = [
    "AuthorizationCode",
    "AuthorizationGrant",
    "AuthorizationServer",
    "Capability",
    "Client",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "DuplicateKey",
    "FakeClock",
    "MemoryStorage",
    "OAuth2Error",
    "OAuth2Request",
    "OAuth2Response",
    "ServerConfig",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "SystemClock",
    "Token",
    "__version__",
    "open_storage",
]
