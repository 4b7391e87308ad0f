"""Client authentication at the token, revocation and introspection endpoints.

RFC 6749 section 2.3: ``client_secret_basic`` (Basic header; both parts form-urldecoded after
base64 decoding, section 2.3.1), ``client_secret_post`` (form body), and ``none`` (a public
client identified by ``client_id``). One method per request; credentials in the URL query are
refused. Secrets are checked in constant time against their stored digest.
"""

from __future__ import annotations

import binascii
from base64 import b64decode

from oauth2_core.errors import InvalidClientError, InvalidRequestError
from oauth2_core.models import Client
from oauth2_core.requests import OAuth2Request, Params, form_urldecode
from oauth2_core.storage.protocols import ClientStore
from oauth2_core.tokens import verify_client_secret

__all__ = ["authenticate_client", "is_valid_client_id"]

_MAX_HEADER = 4096
# RFC 6749 appendix A.1: client_id = *VSCHAR, VSCHAR = %x20-7E.
_VSCHAR = frozenset(chr(c) for c in range(0x20, 0x7F))


def is_valid_client_id(client_id: str) -> bool:
    """Whether ``client_id`` is a non-empty VSCHAR string. Anything else cannot be registered,
    so it is refused before a lookup: some stores fail on such keys (PostgreSQL refuses a
    NUL), and a driver error would turn malformed input into a 503."""
    return bool(client_id) and _VSCHAR.issuperset(client_id)


def _basic_credentials(encoded: str) -> tuple[str, str]:
    encoded = encoded.strip()
    try:
        if len(encoded) > _MAX_HEADER:
            raise ValueError("header too long")
        decoded = b64decode(encoded, validate=True).decode("utf-8")
    except (ValueError, binascii.Error) as exc:
        raise InvalidClientError(
            "malformed Basic credentials", used_authorization_header=True
        ) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("malformed Basic credentials", used_authorization_header=True)
    try:
        return form_urldecode(client_id), form_urldecode(secret)
    except UnicodeDecodeError as exc:
        raise InvalidClientError(
            "malformed Basic credentials", used_authorization_header=True
        ) from exc


def _refuse_query_credentials(request: OAuth2Request) -> None:
    if "?" in request.uri and request.query.has("client_secret"):
        raise InvalidRequestError("client credentials must not be sent in the URL query")


def authenticate_client(request: OAuth2Request, form: Params, clients: ClientStore) -> Client:
    """The authenticated client, or ``invalid_client`` / ``invalid_request``.

    Costs exactly one ``query_client`` round trip.
    """
    _refuse_query_credentials(request)
    header = request.headers.get("authorization")
    form_id = form.get("client_id")
    form_secret = form.get("client_secret")
    used_header = False

    scheme, _, credentials = (header or "").strip().partition(" ")
    if scheme.lower() == "basic":
        used_header = True
        if form_secret is not None:
            raise InvalidRequestError("use one client authentication method per request")
        client_id, secret = _basic_credentials(credentials)
        if form_id is not None and form_id != client_id:
            raise InvalidRequestError("client_id in the body differs from the Basic credentials")
        method = "client_secret_basic"
    elif form_id is None:
        # RFC 6749 5.2: a client that tried the header (any scheme) gets a challenge.
        raise InvalidClientError(
            "client authentication is required", used_authorization_header=header is not None
        )
    elif form_secret is not None:
        client_id, secret, method = form_id, form_secret, "client_secret_post"
    else:
        client_id, secret, method = form_id, "", "none"

    client = clients.query_client(client_id) if is_valid_client_id(client_id) else None
    # Exact ids whatever the store's collation (MariaDB ignores trailing spaces, some
    # MySQL collations fold case): another spelling is another, unknown, client.
    if client is None or client.client_id != client_id:
        raise InvalidClientError(
            "unknown client or bad credentials", used_authorization_header=used_header
        )
    if client.is_public:
        if method != "none":
            raise InvalidClientError(
                "a public client does not authenticate with a secret",
                used_authorization_header=used_header,
            )
        return client
    # Confidential clients may use either secret method: both carry the same secret.
    if (
        method == "none"
        or client.client_secret_hash is None
        or not verify_client_secret(secret, client.client_secret_hash)
    ):
        raise InvalidClientError(
            "unknown client or bad credentials", used_authorization_header=used_header
        )
    return client
