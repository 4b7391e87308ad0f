"""The one workload every contender serves: one confidential client, one user, one scope."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote, unquote

__all__ = ["WORKLOAD", "Workload", "basic_auth", "code_from_location"]


@dataclass(frozen=True)
class Workload:
    """The derived strings are computed once: the bench's own string work would otherwise sit
    in oauth2-core's and Authlib's time per operation and not in the floor's."""

    client_id: str = "bench-client"
    # 256 random-looking bits, as the kit generates them (a fast digest suffices).
    client_secret: str = "Yb3mQ0n6Hk2aJ9xW4tR7pL1sD8fG5hZ0cV2bN6mK3qE"
    redirect_uri: str = "https://client.example/cb"
    scope: str = "read write"
    user_id: str = "user-1"
    state: str = "s7a1e"
    # RFC 7636 appendix B example verifier; each flow re-verifies it (S256).
    code_verifier: str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    issuer: str = "https://as.example"

    @cached_property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    @cached_property
    def authorize_query(self) -> str:
        return (
            f"response_type=code&client_id={quote(self.client_id)}"
            f"&redirect_uri={quote(self.redirect_uri, safe='')}&scope={quote(self.scope)}"
            f"&state={self.state}&code_challenge={self.code_challenge}"
            "&code_challenge_method=S256"
        )

    def code_exchange_body(self, code: str) -> str:
        return f"grant_type=authorization_code&code={_form(code)}{self._exchange_tail}"

    @cached_property
    def _exchange_tail(self) -> str:
        return (
            f"&redirect_uri={quote(self.redirect_uri, safe='')}"
            f"&code_verifier={self.code_verifier}"
        )

    @cached_property
    def client_credentials_body(self) -> str:
        return f"grant_type=client_credentials&scope={quote(self.scope)}"

    @staticmethod
    def refresh_body(refresh_token: str) -> str:
        return f"grant_type=refresh_token&refresh_token={_form(refresh_token)}"

    @staticmethod
    def revoke_body(token: str) -> str:
        return f"token={_form(token)}"


WORKLOAD = Workload()

# Codes and tokens from both servers are URL-safe; quoting them anyway would put the bench's
# own string work into every contender's time.
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def _form(value: str) -> str:
    return value if _URL_SAFE.fullmatch(value) else quote(value, safe="")


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 section 2.3.1: form-urlencode each part, then base64."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def code_from_location(location: str) -> str:
    query = location.partition("?")[2].partition("#")[0]
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "code":
            return unquote(value)
    raise AssertionError(f"no code in {location!r}")
