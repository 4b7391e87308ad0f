"""Generation and hashing of codes, tokens and client secrets.

Only digests reach storage. Codes and tokens carry 256 bits from ``secrets``, so one SHA-256
is a sufficient digest (no offline guessing is feasible). A code's digest also covers the
client id, so a code presented by another client simply does not exist for it: the attempt
consumes nothing and revokes nothing (SECURITY.md, authorization codes) at no extra round trip.

Client secrets are stored as self-describing strings:
- ``sha256$<hex>`` for secrets the kit generated (256 bits; a fast digest suffices);
- ``pbkdf2_sha256$<iterations>$<salt>$<hex>`` for secrets a human chose.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from base64 import urlsafe_b64encode

__all__ = [
    "generate_client_secret",
    "generate_token",
    "hash_client_secret",
    "hash_code",
    "hash_token",
    "new_grant_id",
    "verify_client_secret",
]

TOKEN_BYTES = 32
_PBKDF2_ITERATIONS = 120_000
_GENERATED_PREFIX = "sha256$"
_PBKDF2_PREFIX = "pbkdf2_sha256$"


def generate_token(nbytes: int = TOKEN_BYTES) -> str:
    """A URL-safe random string with ``8 * nbytes`` bits of entropy (default 256).

    Same construction as ``secrets.token_urlsafe`` (the OS CSPRNG, base64url without
    padding), without its layers of indirection: this runs several times per request.
    """
    return urlsafe_b64encode(os.urandom(nbytes)).rstrip(b"=").decode("ascii")


def new_grant_id() -> str:
    """Identifier of one authorization (a grant family); not a secret."""
    return os.urandom(16).hex()


def hash_token(value: str) -> str:
    """Digest under which an access or refresh token is stored and looked up."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hash_code(client_id: str, code: str) -> str:
    """Digest of an authorization code, bound to the client it was issued to."""
    material = b"code\x00" + client_id.encode("utf-8") + b"\x00" + code.encode("utf-8")
    return hashlib.sha256(material).hexdigest()


def generate_client_secret() -> tuple[str, str]:
    """Return ``(secret, digest)`` for a new confidential client; show the secret once."""
    secret = generate_token()
    return secret, hash_client_secret(secret, generated=True)


def hash_client_secret(secret: str, *, generated: bool = False) -> str:
    """Digest for storage. ``generated=True`` only for secrets with >= 256 random bits."""
    if generated:
        return _GENERATED_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac(
        "sha256", secret.encode("utf-8"), salt.encode("ascii"), _PBKDF2_ITERATIONS
    )
    return f"{_PBKDF2_PREFIX}{_PBKDF2_ITERATIONS}${salt}${digest.hex()}"


def verify_client_secret(secret: str, stored: str) -> bool:
    """Constant-time check of a presented secret against a stored digest string."""
    if stored.startswith(_GENERATED_PREFIX):
        expected = stored[len(_GENERATED_PREFIX) :]
        actual = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        return hmac.compare_digest(actual, expected)
    if stored.startswith(_PBKDF2_PREFIX):
        try:
            iterations_text, salt, expected = stored[len(_PBKDF2_PREFIX) :].split("$")
            iterations = int(iterations_text)
        except ValueError:
            return False
        actual = hashlib.pbkdf2_hmac(
            "sha256", secret.encode("utf-8"), salt.encode("ascii"), iterations
        ).hex()
        return hmac.compare_digest(actual, expected)
    return False
