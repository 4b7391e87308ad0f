"""The framework-free request and the clock: parsing rules the endpoints rely on."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oauth2_core import OAuth2Request, SystemClock
from oauth2_core.errors import InvalidRequestError
from oauth2_core.requests import MAX_FIELDS, Params

pytestmark = pytest.mark.security("Token endpoint hygiene")

_ALPHABET = st.sampled_from(list("ab=&+%2F0fFzé€ ;"))


@settings(max_examples=500, deadline=None)
@given(st.text(_ALPHABET, max_size=40))
def test_params_parse_matches_parse_qsl(text: str) -> None:
    try:
        expected: object = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        expected = "error"
    try:
        got: object = Params.parse(text).pairs()
    except InvalidRequestError:
        got = "error"
    assert got == expected


def test_field_count_is_bounded() -> None:
    Params.parse("&".join(["a=1"] * MAX_FIELDS))
    with pytest.raises(InvalidRequestError):
        Params.parse("&".join(["a=1"] * (MAX_FIELDS + 1)))


def test_repeats_and_empty_values() -> None:
    params = Params.parse("a=1&a=2&b=&c=3&c=")
    with pytest.raises(InvalidRequestError):
        params.get("a")
    assert params.get("b") is None and params.get("c") == "3"
    values, repeated = params.index()
    assert values == {"a": "2", "c": "3"} and repeated == {"a"}


def test_query_is_between_question_mark_and_fragment() -> None:
    request = OAuth2Request("GET", "/authorize?a=1&b=%20x#frag=2")
    assert request.query.pairs() == [("a", "1"), ("b", " x")]


def test_repr_never_shows_values() -> None:
    request = OAuth2Request("POST", "/token?client_secret=s3cr3t", {}, "password=hunter2")
    assert "s3cr3t" not in repr(request) and "hunter2" not in repr(Params.parse("p=hunter2"))


def test_system_clock_is_aware_utc_at_millisecond_precision() -> None:
    moment = SystemClock().now()
    assert moment.tzinfo is UTC and moment.microsecond % 1000 == 0
