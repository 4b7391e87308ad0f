"""The engine's two error trees, kept apart on purpose.

Protocol errors are what a client did wrong (or what the server refuses); each carries the RFC
error code, the HTTP status and whether it may be reported by redirect. Storage errors are what
a backend raises when its store misbehaves; the engine translates them (``StorageUnavailable``
and ``Conflict`` become 503 ``temporarily_unavailable`` with ``Retry-After``), never a 500 and
never a 200 for data that was not saved::

    Exception
    ├── OAuth2Error                      error code             status
    │   ├── InvalidRequestError          invalid_request        400
    │   ├── InvalidClientError           invalid_client         401
    │   ├── InvalidGrantError            invalid_grant          400
    │   ├── UnauthorizedClientError      unauthorized_client    400
    │   ├── UnsupportedGrantTypeError    unsupported_grant_type 400
    │   ├── UnsupportedResponseTypeError unsupported_response_type 400
    │   ├── UnsupportedTokenTypeError    unsupported_token_type 400
    │   ├── InvalidScopeError            invalid_scope          400
    │   ├── AccessDeniedError            access_denied          403
    │   ├── ServerError                  server_error           500
    │   ├── TemporarilyUnavailableError  temporarily_unavailable 503
    │   ├── MethodNotAllowedError        invalid_request        405
    │   └── BearerTokenError             (RFC 6750 section 3.1)
    │       ├── MissingTokenError        (no error code)        401
    │       ├── InvalidTokenError        invalid_token          401
    │       └── InsufficientScopeError   insufficient_scope     403
    ├── StorageError                     raised by backends, chained to the driver's exception
    │   ├── StorageUnavailable           the store cannot be reached or timed out
    │   ├── DuplicateKey                 a unique key already exists
    │   └── Conflict                     a concurrent writer won; retrying may succeed
    └── ConfigurationError               the server cannot honour its configuration
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDeniedError",
    "BearerTokenError",
    "ConfigurationError",
    "Conflict",
    "DuplicateKey",
    "InsufficientScopeError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTokenError",
    "MethodNotAllowedError",
    "MissingTokenError",
    "OAuth2Error",
    "ServerError",
    "StorageError",
    "StorageUnavailable",
    "TemporarilyUnavailableError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "UnsupportedTokenTypeError",
]


class OAuth2Error(Exception):
    """A protocol error with its RFC 6749 section 5.2 / 4.1.2.1 error code."""

    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str = "", *, state: str | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.state = state
        # Set by the authorization endpoint once client and redirect URI are known good
        # (SECURITY.md: until then errors are pages, never redirects).
        self.redirect_uri: str | None = None
        # Set by the authorization endpoint: render as an HTML page when there is no
        # redirect_uri; report in the fragment for implicit (RFC 6749 section 4.2.2.1).
        self.as_page = False
        self.in_fragment = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


class InvalidRequestError(OAuth2Error):
    error = "invalid_request"


class InvalidClientError(OAuth2Error):
    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str = "", *, used_authorization_header: bool = False) -> None:
        super().__init__(description)
        # RFC 6749 section 5.2: 401 with WWW-Authenticate when the client used the header.
        self.used_authorization_header = used_authorization_header


class InvalidGrantError(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClientError(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantTypeError(OAuth2Error):
    error = "unsupported_grant_type"


class UnsupportedResponseTypeError(OAuth2Error):
    error = "unsupported_response_type"


class UnsupportedTokenTypeError(OAuth2Error):
    error = "unsupported_token_type"


class InvalidScopeError(OAuth2Error):
    error = "invalid_scope"


class AccessDeniedError(OAuth2Error):
    error = "access_denied"
    status_code = 403


class ServerError(OAuth2Error):
    error = "server_error"
    status_code = 500


class TemporarilyUnavailableError(OAuth2Error):
    error = "temporarily_unavailable"
    status_code = 503


class MethodNotAllowedError(OAuth2Error):
    error = "invalid_request"
    status_code = 405

    def __init__(self, description: str = "", *, allow: str = "POST") -> None:
        super().__init__(description)
        self.allow = allow


class BearerTokenError(OAuth2Error):
    """RFC 6750 section 3: errors of a protected resource, reported in WWW-Authenticate."""

    status_code = 401


class MissingTokenError(BearerTokenError):
    """No credentials at all: 401 with a bare ``Bearer realm=...`` challenge (RFC 6750 3.1)."""

    error = ""


class InvalidTokenError(BearerTokenError):
    error = "invalid_token"


class InsufficientScopeError(BearerTokenError):
    error = "insufficient_scope"
    status_code = 403

    def __init__(self, description: str = "", *, scope: str = "") -> None:
        super().__init__(description)
        self.scope = scope


class StorageError(Exception):
    """Base of every error a storage backend raises; chain the driver's error with ``from``."""


class StorageUnavailable(StorageError):
    """The store cannot be reached, timed out, or refused service. Retrying later may succeed."""


class DuplicateKey(StorageError):
    """A record with the same unique key (client id, code or token digest) already exists."""


class Conflict(StorageError):
    """A concurrent writer got there first (serialization failure, deadlock); retry may succeed."""


class ConfigurationError(Exception):
    """The server's configuration asks for something it, or its storage, cannot honour."""
