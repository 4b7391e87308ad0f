"""A deliberately naive reference model of the storage contract, for the state machine.

Written straight from the contract's sentences with lists and linear scans, sharing no code
with ``MemoryStorage``, so the two cannot agree on a bug by construction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from oauth2_core.models import (
    AlreadyConsumed,
    AuthorizationCode,
    Consumed,
    ConsumeResult,
    NotFound,
    Reused,
    Rotated,
    RotateResult,
    Token,
)
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS

__all__ = ["ReferenceModel"]


class ReferenceModel:
    def __init__(self) -> None:
        self.codes: list[AuthorizationCode] = []
        self.tokens: list[Token] = []
        self.revoked_grants: list[tuple[str, datetime]] = []  # (grant id, mark until)

    # -- codes -----------------------------------------------------------------------------
    def _code(self, code_hash: str, now: datetime) -> int | None:
        for index, code in enumerate(self.codes):
            if code.code_hash == code_hash and now < code.expires_at:
                return index
        return None

    def save_code(self, code: AuthorizationCode, now: datetime) -> bool:
        """False when a live code holds the digest (the store must raise DuplicateKey)."""
        if self._code(code.code_hash, now) is not None:
            return False
        self.codes = [c for c in self.codes if c.code_hash != code.code_hash]
        self.codes.append(code)
        return True

    def consume(self, code_hash: str, now: datetime) -> ConsumeResult:
        index = self._code(code_hash, now)
        if index is None:
            return NotFound()
        code = self.codes[index]
        if code.consumed_at is not None:
            return AlreadyConsumed(code)
        self.codes[index] = replace(code, consumed_at=now)
        return Consumed(self.codes[index])

    # -- tokens ----------------------------------------------------------------------------
    def _live(self, now: datetime) -> list[int]:
        return [i for i, t in enumerate(self.tokens) if now < t.expires_at]

    def save_token(self, token: Token, now: datetime) -> bool:
        for i in self._live(now):
            other = self.tokens[i]
            if other.access_token_hash == token.access_token_hash:
                return False
            if token.refresh_token_hash and other.refresh_token_hash == token.refresh_token_hash:
                return False
        if any(g == token.grant_id and now < until for g, until in self.revoked_grants):
            token = replace(token, revoked_at=now)  # revoke_grant's mark
        self.tokens.append(token)
        return True

    def query_token(self, access_hash: str, now: datetime) -> Token | None:
        for token in self.tokens:
            if token.access_token_hash == access_hash and (
                token.revoked_at is None
                and token.rotated_at is None
                and now < token.access_expires_at
            ):
                return token
        return None

    def _by_refresh(self, refresh_hash: str, now: datetime) -> int | None:
        for index, token in enumerate(self.tokens):
            if (
                token.refresh_token_hash == refresh_hash
                and token.refresh_expires_at is not None
                and now < token.refresh_expires_at
            ):
                return index
        return None

    def query_refresh(self, refresh_hash: str, now: datetime) -> Token | None:
        index = self._by_refresh(refresh_hash, now)
        return None if index is None else self.tokens[index]

    def rotate(self, refresh_hash: str, new: Token, now: datetime) -> RotateResult:
        index = self._by_refresh(refresh_hash, now)
        if index is None:
            return NotFound()
        old = self.tokens[index]
        if old.revoked_at is not None or old.rotated_at is not None:
            return Reused(old)
        self.tokens[index] = replace(old, rotated_at=now)
        self.tokens.append(new)
        return Rotated(self.tokens[index], new)

    def revoke_token(self, token_hash: str, now: datetime) -> None:
        for index, token in enumerate(self.tokens):
            if token_hash in (token.access_token_hash, token.refresh_token_hash):
                if token.revoked_at is None:
                    self.tokens[index] = replace(token, revoked_at=now)
                return

    def revoke_grant(self, grant_id: str, now: datetime) -> None:
        self.revoked_grants.append(
            (grant_id, now + timedelta(seconds=REVOKED_GRANT_MARK_SECONDS))
        )
        for index, token in enumerate(self.tokens):
            if token.grant_id == grant_id and token.revoked_at is None:
                self.tokens[index] = replace(token, revoked_at=now)
        for index, code in enumerate(self.codes):
            if code.grant_id == grant_id and code.consumed_at is None:
                self.codes[index] = replace(code, consumed_at=now)
