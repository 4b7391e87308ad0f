"""The app's own user store: a JSON file of usernames and PBKDF2 password digests.

The storage contract knows nothing of users; the consent page needs someone to log in. The
file looks like ``{"users": {"alice": {"password": "pbkdf2_sha256$...", "name": "Alice"}}}``
and is written with ``oauth2-core user add``. Digests use the kit's slow KDF for
human-chosen secrets (``oauth2_core.tokens.hash_client_secret``); passwords never hit disk.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from oauth2_core.errors import ConfigurationError
from oauth2_core.tokens import hash_client_secret, verify_client_secret

__all__ = ["User", "UserStore"]

# Spent on unknown usernames too, so response time does not reveal which names exist.
_DUMMY_DIGEST = hash_client_secret("not a real password")


@dataclass(frozen=True)
class User:
    username: str
    name: str = ""

    def get_user_id(self) -> str:
        return self.username


class UserStore:
    """Users read from a JSON file (or none at all when ``path`` is None)."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self._users: dict[str, dict[str, str]] = self._load()

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            if not isinstance(users, dict):
                raise TypeError("'users' must be an object")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"cannot read user file {self.path}: {exc}") from exc
        return users

    def __contains__(self, username: str) -> bool:
        return username in self._users

    def usernames(self) -> list[str]:
        return sorted(self._users)

    def authenticate(self, username: str, password: str) -> User | None:
        entry = self._users.get(username)
        digest = entry.get("password", "") if entry else _DUMMY_DIGEST
        if not verify_client_secret(password, digest) or entry is None:
            return None
        return User(username, entry.get("name", ""))

    def get(self, username: str) -> User | None:
        entry = self._users.get(username)
        return User(username, entry.get("name", "")) if entry is not None else None

    def add(self, username: str, password: str, *, name: str = "") -> User:
        """Add or replace a user and rewrite the file atomically."""
        if self.path is None:
            raise ConfigurationError("no user file configured (--users FILE)")
        if not username or any(c.isspace() for c in username):
            raise ConfigurationError("a username must be non-empty and without spaces")
        if len(password) < 4:
            raise ConfigurationError("a password must have at least 4 characters")
        self._users[username] = {"password": hash_client_secret(password), "name": name}
        self._write()
        return User(username, name)

    def _write(self) -> None:
        if self.path is None:
            raise ConfigurationError("no user file configured (--users FILE)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"users": self._users}, indent=2, sort_keys=True) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
