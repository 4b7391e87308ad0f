"""Open a storage backend from a URL through the ``oauth2_core.storage`` entry-point group.

A backend package registers one entry point per URL scheme, naming a callable
``(url: str) -> Storage``. ``memory://`` is built in.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from oauth2_core.errors import ConfigurationError
from oauth2_core.storage.protocols import Storage

__all__ = ["ENTRY_POINT_GROUP", "available_schemes", "open_storage"]

ENTRY_POINT_GROUP = "oauth2_core.storage"

# Which distribution to install for a scheme nobody registered yet.
_PACKAGE_HINTS: dict[str, str] = {
    "sqlite": "oauth2-core-sqlalchemy",
    "postgresql": "oauth2-core-sqlalchemy",
    "postgresql+psycopg": "oauth2-core-sqlalchemy",
    "mysql+pymysql": "oauth2-core-sqlalchemy",
    "mariadb+pymysql": "oauth2-core-sqlalchemy",
    "redis": "oauth2-core-redis",
    "rediss": "oauth2-core-redis",
    "redis+cluster": "oauth2-core-redis",
    "rediss+cluster": "oauth2-core-redis",
    "mongodb": "oauth2-core-mongo",
    "mongodb+srv": "oauth2-core-mongo",
}


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    if not sep:
        scheme, sep, _ = url.partition(":")
    if not sep or not scheme:
        raise ConfigurationError(
            f"not a storage URL: {url!r} (expected SCHEME://..., e.g. sqlite:///oauth2.db)"
        )
    return scheme.lower()


def available_schemes() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def open_storage(url: str) -> Storage:
    """Open the backend registered for ``url``'s scheme; ConfigurationError if there is none."""
    scheme = _scheme(url)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == scheme:
            try:
                factory = cast(Callable[[str], Storage], ep.load())
            except ImportError as exc:
                raise ConfigurationError(
                    f"the storage backend for {scheme!r} is installed but cannot be imported: "
                    f"{exc}"
                ) from exc
            return factory(url)
    hint = _PACKAGE_HINTS.get(scheme)
    if hint is not None:
        raise ConfigurationError(
            f"storage scheme {scheme!r} needs the {hint} package: pip install {hint}"
        )
    known = ", ".join(available_schemes()) or "none"
    raise ConfigurationError(f"unknown storage scheme {scheme!r} (installed: {known})")
