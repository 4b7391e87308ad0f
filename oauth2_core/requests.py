"""Framework-free HTTP request as the engine sees it.

Adapters (Flask, Django, Starlette, the HTTP app) build an ``OAuth2Request`` from their own
request object; the engine never touches a framework type. Parameters are kept as ordered
pairs so duplicates stay visible (RFC 6749 section 3.1: parameters MUST NOT repeat).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import urlsplit

from oauth2_core.errors import InvalidRequestError

__all__ = ["MAX_BODY_BYTES", "MAX_FIELDS", "OAuth2Request", "Params", "form_urldecode"]

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 64
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


_HEX_DIGITS = "0123456789abcdefABCDEF"
_HEX_BYTES = {a + b: bytes([int(a + b, 16)]) for a in _HEX_DIGITS for b in _HEX_DIGITS}


def _percent_decode(text: str) -> str:
    """``urllib.parse.unquote`` with strict UTF-8, without its regular expression pass;
    a ``%`` not followed by two hex digits stays as it is, as there."""
    head, *rest = text.split("%")
    chunks = [head.encode("utf-8")]
    for part in rest:
        byte = _HEX_BYTES.get(part[:2])
        if byte is None:
            chunks.append(b"%" + part.encode("utf-8"))
        else:
            chunks.append(byte)
            chunks.append(part[2:].encode("utf-8"))
    return b"".join(chunks).decode("utf-8", "strict")


def form_urldecode(text: str) -> str:
    """Decode one ``application/x-www-form-urlencoded`` name or value ("+" is a space)."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        return _percent_decode(text)
    return text


# Parameters whose (never secret) values recur across requests: decoded once, then cached.
# Only short values: caching attacker-sized ones would pin up to maxsize x 64 KiB of memory.
_REPEATING = frozenset({"redirect_uri", "scope", "grant_type", "response_type"})
CACHEABLE_LENGTH = 512
_cached_urldecode = lru_cache(maxsize=256)(form_urldecode)


class Params:
    """Ordered, possibly repeated parameters with the RFC's reading rules."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)

    @classmethod
    def parse(cls, text: str) -> Params:
        """``application/x-www-form-urlencoded`` parsing with ``parse_qsl``'s semantics
        (``keep_blank_values``, strict UTF-8, at most ``MAX_FIELDS`` fields), minus its
        per-call overhead: the token endpoint parses one body per request."""
        if text.count("&") >= MAX_FIELDS:
            raise InvalidRequestError("malformed or oversized parameter list")
        pairs: list[tuple[str, str]] = []
        try:
            for part in text.split("&"):
                if not part:
                    continue
                name, _, value = part.partition("=")
                name = form_urldecode(name)
                if name in _REPEATING and len(value) <= CACHEABLE_LENGTH:
                    pairs.append((name, _cached_urldecode(value)))
                else:
                    pairs.append((name, form_urldecode(value)))
        except UnicodeDecodeError as exc:
            raise InvalidRequestError("malformed or oversized parameter list") from exc
        return cls(pairs)

    def get(self, name: str) -> str | None:
        """The single value of ``name``; empty counts as absent; a repeat is invalid_request."""
        found = None
        for key, value in self._pairs:
            if key == name and value:
                if found is not None:
                    raise InvalidRequestError(f"parameter {name!r} must not be repeated")
                found = value
        return found

    def has(self, name: str) -> bool:
        return any(key == name and value != "" for key, value in self._pairs)

    def is_repeated(self, name: str) -> bool:
        return sum(1 for key, value in self._pairs if key == name and value != "") > 1

    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def index(self) -> tuple[dict[str, str], frozenset[str]]:
        """One pass: ``(values, repeated)`` with empty values dropped (RFC 6749 3.1)."""
        values: dict[str, str] = {}
        repeated: set[str] = set()
        for key, value in self._pairs:
            if value:
                if key in values:
                    repeated.add(key)
                values[key] = value
        return values, frozenset(repeated)

    def __repr__(self) -> str:
        return f"Params({[key for key, _ in self._pairs]!r})"  # values may be secrets


def _pairs_of(
    given: Mapping[str, str] | Iterable[tuple[str, str]],
) -> Iterable[tuple[str, str]]:
    # Exact types first: ``isinstance(x, Mapping)`` is an ABC check, a Python-level call on
    # every request (a dict from the adapters, a list of pairs from the HTTP app).
    if isinstance(given, dict):
        return given.items()
    if isinstance(given, list | tuple):
        return given
    return given.items() if isinstance(given, Mapping) else given


class OAuth2Request:
    """Method, URI, headers and raw body of one HTTP request."""

    __slots__ = ("_form", "_query", "body", "headers", "method", "uri")

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | str = b"",
        *,
        form: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        self.method = method.upper()
        self.uri = uri
        self.headers: dict[str, str] = {}
        for name, value in _pairs_of(headers):
            key = name.lower()
            self.headers[key] = f"{self.headers[key]}, {value}" if key in self.headers else value
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self._query: Params | None = None
        self._form: Params | None = None
        if form is not None:
            self._form = Params(_pairs_of(form))
            self.headers.setdefault("content-type", FORM_CONTENT_TYPE)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> Params:
        if self._query is None:
            # The query of a request target: between "?" and "#" (RFC 3986 section 3.4).
            self._query = Params.parse(self.uri.partition("?")[2].partition("#")[0])
        return self._query

    @property
    def is_form(self) -> bool:
        content_type = self.headers.get("content-type")
        if content_type is None:
            return False
        if content_type == FORM_CONTENT_TYPE:
            return True
        return content_type.split(";", 1)[0].strip().lower() == FORM_CONTENT_TYPE

    @property
    def form(self) -> Params:
        """The form-encoded body; empty when the body is not form-encoded."""
        if self._form is None:
            if len(self.body) > MAX_BODY_BYTES:
                raise InvalidRequestError("request body too large")
            if not self.is_form:
                self._form = Params()
            else:
                try:
                    text = self.body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InvalidRequestError("request body is not UTF-8") from exc
                self._form = Params.parse(text)
        return self._form

    @property
    def accept_language(self) -> tuple[str, ...]:
        """Language tags from Accept-Language, best first (RFC 9110 section 12.5.4)."""
        raw = self.header("accept-language") or ""
        ranked: list[tuple[float, int, str]] = []
        for index, part in enumerate(raw.split(",")[:16]):
            tag, _, params = part.strip().partition(";")
            if not tag or tag == "*":
                continue
            weight = 1.0
            if params.strip().startswith("q="):
                try:
                    weight = float(params.strip()[2:])
                except ValueError:
                    weight = 0.0
            if weight > 0:
                ranked.append((-weight, index, tag.strip().lower()))
        return tuple(tag for _, _, tag in sorted(ranked))

    def __repr__(self) -> str:
        return f"OAuth2Request({self.method} {urlsplit(self.uri).path})"
