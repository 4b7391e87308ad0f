"""``oauth2-core demo``: a ready-to-try server over SQLite in the working directory.

Files, all next to each other in the working directory:
- ``oauth2-demo.db``: the SQLite database (clients only by digest, like any deployment);
- ``oauth2-demo-users.json``: the demo user, PBKDF2 digest (the app's user file format);
- ``oauth2-demo-secrets.json`` (mode 0600): DEMO ONLY, the confidential client's secret and
  the demo user's password in clear, so a second run can print them again. A real
  deployment has no such file: ``client create`` shows a secret once.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from oauth2_core.app.management import create_client
from oauth2_core.app.settings import AppSettings
from oauth2_core.app.users import UserStore
from oauth2_core.app.web import DEMO_PUBLIC_CLIENT
from oauth2_core.errors import ConfigurationError
from oauth2_core.pkce import s256_challenge
from oauth2_core.storage.protocols import SchemaManagement, Storage
from oauth2_core.storage.registry import open_storage
from oauth2_core.tokens import generate_token

__all__ = ["DEMO_CONFIDENTIAL_CLIENT", "DEMO_USER", "DemoSetup", "prepare_demo"]

DEMO_DB = "oauth2-demo.db"
DEMO_USERS = "oauth2-demo-users.json"
DEMO_SECRETS = "oauth2-demo-secrets.json"
DEMO_USER = "demo"
DEMO_CONFIDENTIAL_CLIENT = "demo-confidential"


@dataclass(frozen=True)
class DemoSetup:
    settings: AppSettings
    client_secret: str
    password: str
    created: bool  # first run

    def instructions(self) -> str:
        issuer = self.settings.effective_issuer
        config = self.settings.server_config()
        token_url = config.endpoint_url(config.token_endpoint)
        redirect_uri = f"{issuer}/demo/callback"
        verifier = self.settings.demo_code_verifier or ""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": DEMO_PUBLIC_CLIENT,
                "redirect_uri": redirect_uri,
                "scope": "profile read",
                "state": secrets.token_urlsafe(8),
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        authorize_url = f"{config.endpoint_url(config.authorization_endpoint)}?{query}"
        first = "created demo data" if self.created else "reusing demo data"
        return "\n".join(
            [
                f"oauth2-core demo ({first} in {Path.cwd()})",
                "",
                f"  Server metadata:  {issuer}/.well-known/oauth-authorization-server",
                f"  Storage:          {self.settings.storage}",
                "",
                f"  Confidential client: {DEMO_CONFIDENTIAL_CLIENT}",
                f"    client secret:     {self.client_secret}",
                f"  Public client (PKCE): {DEMO_PUBLIC_CLIENT}",
                f"  Demo user:           {DEMO_USER} / password {self.password}",
                "",
                "Get a token with client credentials:",
                f"  curl -s -u {DEMO_CONFIDENTIAL_CLIENT}:{self.client_secret} "
                f"-d grant_type=client_credentials -d scope=read {token_url}",
                "",
                "Try the code flow: open this URL in a browser and sign in as the demo user:",
                f"  {authorize_url}",
                "",
                "Press Ctrl-C to stop.",
            ]
        )


def _demo_clients(issuer: str) -> list[dict[str, object]]:
    redirect_uri = f"{issuer}/demo/callback"
    return [
        {
            "client_id": DEMO_CONFIDENTIAL_CLIENT,
            "client_name": "Demo confidential client",
            "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
            "redirect_uris": [redirect_uri],
            "scope": "profile read write",
            "can_introspect": True,
        },
        {
            "client_id": DEMO_PUBLIC_CLIENT,
            "public": True,
            "client_name": "Demo app (public client, PKCE)",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [redirect_uri],
            "scope": "profile read",
        },
    ]


def _load_secrets(path: Path) -> dict[str, str]:
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            return data
    return {}


def _save_secrets(path: Path, data: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def _ensure_demo_clients(storage: Storage, issuer: str, values: dict[str, str]) -> bool:
    """Create the missing demo clients; record a newly generated secret in ``values``."""
    created = False
    known_secret = values.get("client_secret")
    if known_secret is None and storage.query_client(DEMO_CONFIDENTIAL_CLIENT) is not None:
        storage.delete_client(DEMO_CONFIDENTIAL_CLIENT)  # its secret was lost: issue a new one
    for metadata in _demo_clients(issuer):
        if storage.query_client(str(metadata["client_id"])) is not None:
            continue
        if metadata["client_id"] == DEMO_CONFIDENTIAL_CLIENT and known_secret:
            metadata["client_secret"] = known_secret  # database reset, secrets file kept
        _, secret = create_client(storage, **metadata)
        if secret is not None:
            values["client_secret"] = secret
        created = True
    return created


def prepare_demo(*, host: str, port: int, storage_url: str | None = None) -> DemoSetup:
    """Create (first run) or reuse the demo's data in the working directory."""
    cwd = Path.cwd()
    secrets_path = cwd / DEMO_SECRETS
    stored = _load_secrets(secrets_path)
    values = dict(stored)
    values.setdefault("password", secrets.token_urlsafe(6))
    values.setdefault("secret_key", generate_token())
    settings = AppSettings(
        storage=storage_url or f"sqlite:///{cwd / DEMO_DB}",
        host=host,
        port=port,
        users=str(cwd / DEMO_USERS),
        secret_key=values["secret_key"],
        demo_code_verifier=generate_token(),
    )
    settings.validate()
    if settings.storage.lower().startswith("memory:"):
        raise ConfigurationError(
            "the demo keeps its data between runs: give it a persistent --storage "
            "(or run 'oauth2-core serve --storage memory://')"
        )
    storage = open_storage(settings.storage)
    try:
        if isinstance(storage, SchemaManagement):
            storage.upgrade_schema()
        created = _ensure_demo_clients(storage, settings.effective_issuer, values)
    finally:
        storage.close()
    if values != stored:
        _save_secrets(secrets_path, values)
    users = UserStore(settings.users)
    if DEMO_USER not in users or "password" not in stored:
        users.add(DEMO_USER, values["password"], name="Demo User")
        created = True
    return DemoSetup(settings, values["client_secret"], values["password"], created)
