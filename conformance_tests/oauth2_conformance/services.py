"""Finding the real service a test needs (ARCHITECTURE.md section 5).

Resolution order: ``OAUTH2_TEST_<SERVICE>_URL`` from the environment, then the local default
URL, each checked with a probe. If nothing answers, the caller skips with a one-line reason,
except under ``CI=true`` where a missing service is a failure.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

__all__ = ["ci_mode", "free_port", "port_open", "resolve_service_url"]


def ci_mode() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tcp_probe(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname is not None and port_open(parts.hostname, parts.port or 0)


def resolve_service_url(
    service: str, default_url: str | None, probe: Callable[[str], bool] | None = None
) -> str:
    """Return a URL for ``service`` that answers ``probe``, or skip (fail under CI)."""
    check = probe or _tcp_probe
    env_name = f"OAUTH2_TEST_{service.upper()}_URL"
    candidates = [u for u in (os.environ.get(env_name), default_url) if u]
    for url in candidates:
        if check(url):
            return url
    reason = f"{service} not reachable (set {env_name}; tried {', '.join(candidates) or 'none'})"
    if ci_mode():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)
