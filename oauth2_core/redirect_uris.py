"""Redirect URIs: what registration accepts, and how a request's value is matched.

Registration (RFC 6749 section 3.1.2, RFC 8252, RFC 9700 section 4.1): absolute URIs without
fragment or userinfo; ``https``, loopback ``http`` (``127.0.0.1`` or ``[::1]``; ``localhost``
is refused), or a private-use scheme in reverse-domain form for native apps. Script-bearing
schemes are refused in any case. Validation is linear in the length of the input, which is
itself bounded, so hostile input cannot make it slow.

Matching is exact string comparison, except that a registered loopback ``http`` URI accepts
any port (RFC 8252 section 7.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

__all__ = [
    "MAX_REDIRECT_URI_LENGTH",
    "match_redirect_uri",
    "redirect_uri_problem",
]

MAX_REDIRECT_URI_LENGTH = 2048
_LOOPBACK_PREFIXES = ("http://127.0.0.1", "http://[::1]")
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_DIGITS = frozenset("0123456789")
# urlsplit lower-cases hostnames; RFC 3986 reg-name without percent-encoding.
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_~")


def redirect_uri_problem(uri: object) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI, or None when it can."""
    if not isinstance(uri, str) or not uri:
        return "a redirect URI must be a non-empty string"
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"a redirect URI must be at most {MAX_REDIRECT_URI_LENGTH} characters"
    # Whitespace and control characters hide schemes from naive checks ("java\tscript:");
    # a backslash is read as "/" by browsers and can move the host. A URI is ASCII
    # (RFC 3986 section 2): raw non-ASCII would reach the Location header unencoded.
    if any(ord(char) <= 0x20 or ord(char) >= 0x7F or char == "\\" for char in uri):
        return (
            "a redirect URI must be ASCII without whitespace, control characters or "
            "backslashes (percent-encode other characters)"
        )
    if "#" in uri:
        return "a redirect URI must not contain a fragment (RFC 6749 section 3.1.2)"
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return "the redirect URI cannot be parsed"
    scheme = parts.scheme.lower()
    if not scheme or uri[: len(scheme) + 1].lower() != scheme + ":":
        return "a redirect URI must be absolute (RFC 6749 section 3.1.2)"
    if scheme in _FORBIDDEN_SCHEMES:
        return f"the {scheme}: scheme is not allowed in a redirect URI"
    if "@" in parts.netloc:
        return "a redirect URI must not contain userinfo"
    if scheme == "https":
        host = parts.hostname
        if not host:
            return "an https redirect URI needs a host"
        if not (host.startswith("[") or ":" in host) and not _HOST_CHARS.issuperset(host):
            return "the redirect URI's host is not a valid DNS name (use punycode for IDNs)"
        return None
    if scheme == "http":
        if not uri.startswith(_LOOPBACK_PREFIXES) or parts.hostname not in ("127.0.0.1", "::1"):
            return (
                "http redirect URIs are allowed only for the loopback IPs 127.0.0.1 and [::1] "
                "(RFC 8252 section 7.3); use https"
            )
        return None
    # RFC 8252 section 7.1: private-use schemes are reverse domain names.
    if "." not in scheme or not all(char in _SCHEME_CHARS for char in scheme):
        return "a private-use redirect URI scheme must be a reverse domain name (RFC 8252 7.1)"
    return None


def _strip_loopback_port(uri: str) -> str | None:
    """``uri`` without its port when it is a loopback http URI, else None."""
    for prefix in _LOOPBACK_PREFIXES:
        if uri.startswith(prefix):
            rest = uri[len(prefix) :]
            if rest.startswith(":"):
                end = 1
                while end < len(rest) and end <= 6 and rest[end] in _DIGITS:
                    end += 1
                if end == 1:
                    return None
                rest = rest[end:]
            if rest and rest[0] not in "/?":
                return None
            return prefix + rest
    return None


def match_redirect_uri(requested: str, registered: Sequence[str]) -> bool:
    """Exact match, or a loopback match that ignores only the port (RFC 8252 section 7.3)."""
    if requested in registered:
        return True
    stripped = _strip_loopback_port(requested)
    if stripped is None:
        return False
    return any(
        _strip_loopback_port(candidate) == stripped
        for candidate in registered
        if candidate.startswith(_LOOPBACK_PREFIXES)
    )
