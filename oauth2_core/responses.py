"""Framework-free HTTP response produced by every engine entry point."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NO_STORE_HEADERS", "OAuth2Response"]

# RFC 6749 section 5.1 and RFC 7009/7662: responses carrying or about credentials.
NO_STORE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
)


# Built once: json.dumps with non-default separators builds an encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class OAuth2Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # Extra, framework-free data for adapters (e.g. the validated token for a protected view).
    context: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def json_body(
        cls,
        status: int,
        data: Mapping[str, Any],
        *,
        headers: tuple[tuple[str, str], ...] = (),
        no_store: bool = True,
    ) -> OAuth2Response:
        body = _ENCODER.encode(data).encode("utf-8")
        base = (("Content-Type", "application/json"),)
        extra = NO_STORE_HEADERS if no_store else ()
        return cls(status, base + extra + headers, body)

    @classmethod
    def redirect(cls, location: str, *, status: int = 302) -> OAuth2Response:
        return cls(status, (("Location", location), *NO_STORE_HEADERS))

    @classmethod
    def html(
        cls, status: int, text: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> OAuth2Response:
        base = (("Content-Type", "text/html; charset=utf-8"), *NO_STORE_HEADERS)
        return cls(status, base + headers, text.encode("utf-8"))

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def location(self) -> str | None:
        return self.header("location")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")
