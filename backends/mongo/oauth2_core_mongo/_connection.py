"""Building a ``MongoClient`` with this backend's defaults.

Defaults (each overridable by the URL's own options or by keyword arguments):
majority write concern and retryable writes (durability), and short server-selection,
connect, socket and pool-wait timeouts so an outage becomes ``StorageUnavailable`` within
seconds instead of pymongo's 30 s default.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.errors import ConfigurationError as PyMongoConfigurationError

from oauth2_core.errors import ConfigurationError

__all__ = ["CLIENT_DEFAULTS", "CODEC_OPTIONS", "DEFAULT_DATABASE", "client_from_url"]

DEFAULT_DATABASE = "oauth2"

CLIENT_DEFAULTS: dict[str, Any] = {
    "w": "majority",
    "retryWrites": True,
    "serverSelectionTimeoutMS": 3000,
    "connectTimeoutMS": 2000,
    "socketTimeoutMS": 10000,
    "waitQueueTimeoutMS": 3000,
}

# Aware UTC datetimes out of every read, whatever the client was built with.
CODEC_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True, tzinfo=UTC)


def client_from_url(url: str, **options: Any) -> tuple[MongoClient[dict[str, Any]], str]:
    """A client for ``url`` and the database the URL names (or ``oauth2``).

    The URL is read without DNS here; pymongo resolves ``mongodb+srv://`` seed lists itself.
    An invalid URL raises ``ConfigurationError``.
    """
    parts = urlsplit(url)
    given = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    settings = {k: v for k, v in CLIENT_DEFAULTS.items() if k.lower() not in given}
    settings.update(options)
    try:
        client: MongoClient[dict[str, Any]] = MongoClient(
            url, tz_aware=True, tzinfo=UTC, connect=False, **settings
        )
    except (PyMongoConfigurationError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"invalid MongoDB URL or options: {exc}") from exc
    database = unquote(parts.path.lstrip("/").split("/", 1)[0]) or DEFAULT_DATABASE
    return client, database
