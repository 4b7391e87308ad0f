"""Plain records with Authlib's mixin methods, for the stores that are not SQLAlchemy.

Field names and semantics follow ``authlib.integrations.sqla_oauth2`` (the models Authlib
documents), so every peer store keeps what an Authlib deployment keeps: tokens in clear,
integer timestamps, revocation flags.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

__all__ = ["PeerClient", "PeerCode", "PeerToken", "PeerUser"]

CODE_LIFETIME = 300  # Authlib's OAuth2AuthorizationCodeMixin.is_expired


@dataclass
class PeerUser:
    user_id: str

    def get_user_id(self) -> str:
        return self.user_id


@dataclass
class PeerClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scope: str
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...] = ("code",)
    token_endpoint_auth_method: str = "client_secret_basic"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeerClient:
        return cls(**{**data, "redirect_uris": tuple(data["redirect_uris"]),
                      "grant_types": tuple(data["grant_types"]),
                      "response_types": tuple(data["response_types"])})


@dataclass
class PeerToken(TokenMixin):
    client_id: str
    token_type: str
    access_token: str
    scope: str
    issued_at: int
    expires_in: int
    user_id: str | None = None
    refresh_token: str | None = None
    access_token_revoked_at: int = 0
    refresh_token_revoked_at: int = 0

    def check_client(self, client: ClientMixin) -> bool:
        return bool(self.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_revoked(self) -> bool:
        return bool(self.access_token_revoked_at or self.refresh_token_revoked_at)

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in < time.time()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeerToken:
        return cls(**{k: v for k, v in data.items() if k != "_id"})


@dataclass
class PeerCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    auth_time: int
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    response_type: str = "code"
    nonce: str | None = None

    def is_expired(self) -> bool:
        return self.auth_time + CODE_LIFETIME < time.time()

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_nonce(self) -> str | None:
        return self.nonce

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeerCode:
        return cls(**{k: v for k, v in data.items() if k != "_id"})
