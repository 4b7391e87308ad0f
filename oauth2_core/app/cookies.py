"""Signed cookies for the login session and CSRF protection (stdlib HMAC, no state).

The session cookie is ``<base64 user id>.<issued at>.<mac>``. CSRF uses the signed
double-submit pattern: a random ``oauth2_csrf`` cookie, and forms carry
``HMAC(key, "csrf" + cookie + session cookie)``; a cross-site page can neither read the
cookies nor forge the MAC without the key (OWASP CSRF cheat sheet, "signed double-submit
cookie"). The session binding matters: a same-site attacker (a sibling subdomain) can plant
its own CSRF cookie in a victim's browser and knows the token that goes with it, but not for
the victim's session.

MACs are compared as bytes: ``hmac.compare_digest`` refuses non-ASCII ``str`` with a
``TypeError``, and cookies and form fields are whatever the client sends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

__all__ = ["CSRF_COOKIE", "SESSION_COOKIE", "SESSION_SECONDS", "Signer"]

SESSION_COOKIE = "oauth2_session"
CSRF_COOKIE = "oauth2_csrf"
SESSION_SECONDS = 3600


class Signer:
    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(key.encode("utf-8")).digest()

    def _mac(self, purpose: str, value: str) -> str:
        message = purpose.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    # -- login session --------------------------------------------------------------------
    def session_cookie(self, user_id: str, *, now: float | None = None) -> str:
        encoded = base64.urlsafe_b64encode(user_id.encode("utf-8")).decode("ascii")
        payload = f"{encoded}.{int(now if now is not None else time.time())}"
        return f"{payload}.{self._mac('session', payload)}"

    def session_user(self, cookie: str | None, *, now: float | None = None) -> str | None:
        """The user id of a valid, unexpired session cookie, else None."""
        if not cookie or cookie.count(".") != 2:
            return None
        payload, _, mac = cookie.rpartition(".")
        if not _same(mac, self._mac("session", payload)):
            return None
        encoded, _, issued = payload.partition(".")
        current = now if now is not None else time.time()
        try:
            if not 0 <= current - int(issued) < SESSION_SECONDS:
                return None
            return base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8")
        except (ValueError, binascii.Error):
            return None

    # -- CSRF -----------------------------------------------------------------------------
    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, cookie: str, session: str | None) -> str:
        """The form token for a CSRF cookie and the raw session cookie (None: no session)."""
        return self._mac("csrf", f"{cookie}\x00{session or ''}")

    def csrf_valid(self, cookie: str | None, session: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return _same(token, self.csrf_token(cookie, session))


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
