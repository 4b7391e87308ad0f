"""Authorization server metadata (RFC 8414): exactly what this server does."""

from __future__ import annotations

from typing import Any

from oauth2_core.config import ServerConfig

__all__ = ["build_metadata"]

_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
_SECRET_METHODS = ["client_secret_basic", "client_secret_post"]


def build_metadata(config: ServerConfig) -> dict[str, Any]:
    grants = config.grant_types
    response_types = []
    if "authorization_code" in grants:
        response_types.append("code")
    if "implicit" in grants:
        response_types.append("token")
    data: dict[str, Any] = {"issuer": config.issuer}
    if response_types:
        data["authorization_endpoint"] = config.endpoint_url(config.authorization_endpoint)
    data.update(
        {
            "token_endpoint": config.endpoint_url(config.token_endpoint),
            "revocation_endpoint": config.endpoint_url(config.revocation_endpoint),
            "introspection_endpoint": config.endpoint_url(config.introspection_endpoint),
            "response_types_supported": response_types,
            "response_modes_supported": ["query", "fragment"]
            if "implicit" in grants
            else ["query"],
            "grant_types_supported": list(grants),
            "token_endpoint_auth_methods_supported": list(_AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(_AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(_SECRET_METHODS),
            "code_challenge_methods_supported": ["S256", "plain"]
            if config.allow_plain_pkce
            else ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
    )
    if config.scopes_supported:
        data["scopes_supported"] = list(config.scopes_supported)
    return data
