"""Proof Key for Code Exchange (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["is_valid_challenge", "is_valid_verifier", "s256_challenge", "verify_code_verifier"]

# RFC 7636 section 4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def is_valid_verifier(verifier: str) -> bool:
    """43 to 128 unreserved characters (RFC 7636 section 4.1)."""
    return 43 <= len(verifier) <= 128 and _UNRESERVED.issuperset(verifier)


def is_valid_challenge(challenge: str, method: str) -> bool:
    """S256 challenges are exactly 43 base64url characters; plain ones follow verifier rules."""
    if method == "S256":
        return len(challenge) == 43 and _UNRESERVED.issuperset(challenge)
    return is_valid_verifier(challenge)


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_code_verifier(verifier: str, challenge: str, method: str) -> bool:
    """Constant-time comparison of the transformed verifier with the bound challenge."""
    if not is_valid_verifier(verifier):
        return False
    computed = s256_challenge(verifier) if method == "S256" else verifier
    return hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii"))
