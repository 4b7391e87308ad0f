"""Turning ``OAuth2Error`` into responses: JSON, redirect, HTML page or RFC 6750 challenge."""

from __future__ import annotations

import html
from functools import lru_cache
from urllib.parse import quote_plus

from oauth2_core.config import ServerConfig
from oauth2_core.errors import (
    BearerTokenError,
    InsufficientScopeError,
    InvalidClientError,
    MethodNotAllowedError,
    OAuth2Error,
    TemporarilyUnavailableError,
)
from oauth2_core.requests import OAuth2Request
from oauth2_core.responses import NO_STORE_HEADERS, OAuth2Response

__all__ = ["add_to_uri", "clean_description", "describe", "redirect_status", "render_error"]

# RFC 6749 section 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
_RFC_DESCRIPTION = frozenset(chr(c) for c in range(0x20, 0x7F) if c not in (0x22, 0x5C))
_MAX_DESCRIPTION = 300
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def clean_description(text: str) -> str:
    """Drop control characters (and quote/backslash) so nothing can forge headers or JSON
    fields; translated text may keep printable non-ASCII characters."""
    text = text[:_MAX_DESCRIPTION]
    if _RFC_DESCRIPTION.issuperset(text):
        return text
    return "".join(
        char
        for char in text
        if char in _RFC_DESCRIPTION or (ord(char) > 0x7F and char.isprintable())
    )


def describe(error: OAuth2Error, config: ServerConfig, request: OAuth2Request | None) -> str:
    description = error.description
    translate = config.translate_error
    if description and callable(translate) and request is not None:
        description = translate(error.error, description, request.accept_language)
    return clean_description(description)


# The issuer is quoted on every redirect; other values rarely repeat.
_quote = lru_cache(maxsize=64)(quote_plus)


def _form_encode(params: dict[str, str]) -> str:
    # Codes, tokens and most states are URL-safe already: skip quoting them.
    return "&".join(
        f"{key}={value if _URL_SAFE.issuperset(value) else _quote(value)}"
        for key, value in params.items()
    )


def add_to_uri(uri: str, params: dict[str, str], *, fragment: bool = False) -> str:
    """Append parameters to a redirect URI's query (or fragment), keeping its own query."""
    encoded = _form_encode(params)
    if fragment:
        return f"{uri}#{encoded}"
    return f"{uri}{'&' if '?' in uri else '?'}{encoded}"


def redirect_status(request: OAuth2Request | None) -> int:
    """302 after GET; 303 after a form POST so the browser does not re-POST (never 307)."""
    return 303 if request is not None and request.method == "POST" else 302


def _error_fields(
    error: OAuth2Error, config: ServerConfig, request: OAuth2Request | None
) -> dict[str, str]:
    fields = {"error": error.error}
    description = describe(error, config, request)
    if description:
        fields["error_description"] = description
    error_uri = config.error_uris.get(error.error)
    if error_uri:
        fields["error_uri"] = error_uri
    return fields


def _bearer_challenge(error: BearerTokenError, config: ServerConfig, fields: dict[str, str]) -> str:
    parts = [f'Bearer realm="{config.realm}"']
    if error.error:
        # Header values stay within the RFC 6750 section 3 character set.
        parts.extend(
            f'{name}="{"".join(c for c in value if c in _RFC_DESCRIPTION)}"'
            for name, value in fields.items()
        )
        if isinstance(error, InsufficientScopeError) and error.scope:
            parts.append(f'scope="{error.scope}"')
    return ", ".join(parts)


def _page(status: int, fields: dict[str, str]) -> str:
    title = html.escape(fields["error"])
    detail = html.escape(fields.get("error_description", ""))
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><h1>{status} {title}</h1><p>{detail}</p></body></html>"
    )


def render_error(
    error: OAuth2Error, config: ServerConfig, request: OAuth2Request | None
) -> OAuth2Response:
    fields = _error_fields(error, config, request)
    extra: tuple[tuple[str, str], ...] = ()
    if isinstance(error, TemporarilyUnavailableError):
        extra = (("Retry-After", str(config.retry_after_seconds)),)

    if error.redirect_uri is not None:
        if error.state is not None:
            fields["state"] = error.state
        fields["iss"] = config.issuer  # RFC 9207
        location = add_to_uri(error.redirect_uri, fields, fragment=error.in_fragment)
        return OAuth2Response(
            redirect_status(request), (("Location", location), *NO_STORE_HEADERS, *extra)
        )

    if isinstance(error, MethodNotAllowedError):
        extra = (("Allow", error.allow),)  # RFC 9110 section 15.5.6, on pages too
    if error.as_page:
        text = _page(error.status_code, fields)
        return OAuth2Response.html(error.status_code, text, headers=extra)

    if isinstance(error, BearerTokenError):
        challenge = (("WWW-Authenticate", _bearer_challenge(error, config, fields)),)
        if not error.error:
            return OAuth2Response(error.status_code, challenge + NO_STORE_HEADERS)
        return OAuth2Response.json_body(error.status_code, fields, headers=challenge)

    if isinstance(error, InvalidClientError) and error.used_authorization_header:
        extra = (("WWW-Authenticate", f'Basic realm="{config.realm}"'),)
    return OAuth2Response.json_body(error.status_code, fields, headers=extra)
