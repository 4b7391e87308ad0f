"""What a save writes, byte for byte, against the documented layout (``_keys``), and the
refusals of ``save_new_grant_token``.

The expected values are written out by hand, not computed by the backend's encoder: the
single-node scripts build the hash fields and the access pointer's copy inside Redis from one
JSON argument, and existing data (and readers of it) rely on these exact bytes. Field order is
pinned too: a small hash returns its fields in insertion order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.testing import RedisHarness
from redis.exceptions import ResponseError

from oauth2_core.errors import DuplicateKey
from oauth2_core.models import AuthorizationCode, Rotated, Token
from oauth2_core.storage import NewGrantTokenStore
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

NOW = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
NOW_MS = "1893553445678"
ACCESS_EXPIRES_MS = "1893557045678"  # NOW + 1 h
REFRESH_EXPIRES_MS = "1894763045678"  # NOW + 14 days
# Quotes, a backslash, a character of the BMP and one beyond it (a surrogate pair in JSON).
SCOPE = 'read "wr\\ite" é😀'
SCOPE_JSON = r'"read \"wr\\ite\" \u00e9\ud83d\ude00"'


def _token(grant: str, *, refresh: bool = True, **changes: object) -> Token:
    token = Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope=SCOPE,
        grant_id=grant,
        grant_type="authorization_code",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
        user_id="u1",
        refresh_token_hash=hash_token(generate_token()) if refresh else None,
        refresh_expires_at=NOW + timedelta(days=14) if refresh else None,
    )
    return replace(token, **changes)  # type: ignore[arg-type]


def _expected_fields(token: Token, *, revoked: bool = False) -> list[tuple[str, str]]:
    return [
        ("access_token_hash", token.access_token_hash),
        ("client_id", "c1"),
        ("scope", SCOPE),
        ("grant_id", token.grant_id),
        ("grant_type", "authorization_code"),
        ("issued_at", NOW_MS),
        ("access_expires_at", ACCESS_EXPIRES_MS),
        ("user_id", "u1"),
        ("refresh_token_hash", str(token.refresh_token_hash)),
        ("refresh_expires_at", REFRESH_EXPIRES_MS),
        ("token_type", "Bearer"),
        *([("revoked_at", NOW_MS)] if revoked else []),
        ("_expires_at", REFRESH_EXPIRES_MS),
    ]


def _expected_copy(token: Token) -> str:
    return (
        f'{{"access_token_hash":"{token.access_token_hash}","client_id":"c1",'
        f'"scope":{SCOPE_JSON},"grant_id":"{token.grant_id}",'
        f'"grant_type":"authorization_code","issued_at":"{NOW_MS}",'
        f'"access_expires_at":"{ACCESS_EXPIRES_MS}","user_id":"u1",'
        f'"refresh_token_hash":"{token.refresh_token_hash}",'
        f'"refresh_expires_at":"{REFRESH_EXPIRES_MS}","token_type":"Bearer",'
        f'"_expires_at":"{REFRESH_EXPIRES_MS}"}}'
    )


def _fields(storage: RedisStorage, key: str) -> list[tuple[str, str]]:
    # The reply's order is the hash's insertion order (a small hash is a listpack).
    return list(storage.redis.execute_command("HGETALL", key).items())  # type: ignore[no-untyped-call]


@pytest.fixture
def storage(harness: RedisHarness, request: pytest.FixtureRequest) -> Iterator[RedisStorage]:
    name = f"format-{request.node.name}"
    storage = harness.make_storage(name)
    yield storage
    storage.close()
    harness.drop_namespace(name)


def _save_by_rotation(storage: RedisStorage, token: Token) -> None:
    old = _token(token.grant_id)
    storage.save_token(old, now=NOW)
    result = storage.rotate_refresh_token(str(old.refresh_token_hash), token, now=NOW)
    assert isinstance(result, Rotated)


SAVES = {
    "save_token": lambda storage, token: storage.save_token(token, now=NOW),
    "save_new_grant_token": lambda storage, token: storage.save_new_grant_token(token, now=NOW),
    "rotate_refresh_token": _save_by_rotation,
}


@pytest.mark.parametrize("how", list(SAVES))
def test_an_active_token_is_stored_in_the_documented_bytes(single: RedisStorage, how: str) -> None:
    token = _token(new_grant_id())
    SAVES[how](single, token)
    keys, grant = single.keys, token.grant_id
    assert _fields(single, keys.token(grant, token.access_token_hash)) == _expected_fields(token)
    assert single.redis.get(keys.access_pointer(token.access_token_hash)) == (
        f"{REFRESH_EXPIRES_MS} {grant}\n{_expected_copy(token)}"
    )
    assert single.redis.get(keys.refresh_pointer(str(token.refresh_token_hash))) == (
        f"{REFRESH_EXPIRES_MS} {token.access_token_hash} {grant}"
    )
    assert token.access_token_hash in single.redis.smembers(keys.grant_tokens(grant))
    for key in (keys.token(grant, token.access_token_hash), keys.grant_tokens(grant)):
        assert single.redis.pttl(key) > 14 * 86_400_000 - 60_000
    assert single.query_token(token.access_token_hash, now=NOW) == token


@pytest.mark.parametrize("how", ["save_token", "save_new_grant_token"])
def test_a_retired_token_is_stored_without_a_copy(single: RedisStorage, how: str) -> None:
    token = _token(new_grant_id(), revoked_at=NOW)
    SAVES[how](single, token)
    keys = single.keys
    fields = _fields(single, keys.token(token.grant_id, token.access_token_hash))
    assert fields == _expected_fields(token, revoked=True)
    assert single.redis.get(keys.access_pointer(token.access_token_hash)) == (
        f"{REFRESH_EXPIRES_MS} {token.grant_id}\n"
    )
    assert single.query_token(token.access_token_hash, now=NOW) is None


def test_a_client_credentials_token_is_stored_in_the_documented_bytes(
    single: RedisStorage,
) -> None:
    grant = new_grant_id()
    token = Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope="read",
        grant_id=grant,
        grant_type="client_credentials",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
    )
    single.save_new_grant_token(token, now=NOW)
    digest = token.access_token_hash
    assert _fields(single, single.keys.token(grant, digest)) == [
        ("access_token_hash", digest),
        ("client_id", "c1"),
        ("scope", "read"),
        ("grant_id", grant),
        ("grant_type", "client_credentials"),
        ("issued_at", NOW_MS),
        ("access_expires_at", ACCESS_EXPIRES_MS),
        ("token_type", "Bearer"),
        ("_expires_at", ACCESS_EXPIRES_MS),
    ]
    assert single.redis.get(single.keys.access_pointer(digest)) == (
        f'{ACCESS_EXPIRES_MS} {grant}\n{{"access_token_hash":"{digest}","client_id":"c1",'
        f'"scope":"read","grant_id":"{grant}","grant_type":"client_credentials",'
        f'"issued_at":"{NOW_MS}","access_expires_at":"{ACCESS_EXPIRES_MS}",'
        f'"token_type":"Bearer","_expires_at":"{ACCESS_EXPIRES_MS}"}}'
    )
    assert 3_600_000 - 60_000 < single.redis.pttl(single.keys.grant_tokens(grant)) <= 3_600_000


def test_a_code_is_stored_in_the_documented_bytes(single: RedisStorage) -> None:
    grant, digest = new_grant_id(), hash_token(generate_token())
    code = AuthorizationCode(
        code_hash=digest,
        client_id="c1",
        user_id="u1",
        redirect_uri="https://app.example.com/cb?a=1&b=\u00e9",
        scope=SCOPE,
        grant_id=grant,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )
    single.save_authorization_code(code, now=NOW)
    assert _fields(single, single.keys.code(grant, digest)) == [
        ("code_hash", digest),
        ("client_id", "c1"),
        ("user_id", "u1"),
        ("redirect_uri", "https://app.example.com/cb?a=1&b=\u00e9"),
        ("scope", SCOPE),
        ("grant_id", grant),
        ("issued_at", NOW_MS),
        ("expires_at", "1893553505678"),
        ("code_challenge", "x" * 43),
        ("code_challenge_method", "S256"),
    ]
    assert single.redis.get(single.keys.code_pointer(digest)) == f"1893553505678 {grant}"


@pytest.mark.parametrize("how", list(SAVES))
def test_any_text_in_a_value_reaches_the_hash_unchanged(single: RedisStorage, how: str) -> None:
    """Every ASCII character, NUL, characters JSON escapes, and text shaped like the JSON
    around it: the script decodes the JSON, it does not pattern-match it."""
    tricky = "".join(map(chr, range(128))) + '\u2028\ufeff\U0001f600","client_id":"x{"a":"\\'
    token = _token(new_grant_id(), scope=tricky, user_id='{"user_id":"u"}')
    SAVES[how](single, token)
    fields = _fields(single, single.keys.token(token.grant_id, token.access_token_hash))
    expected = dict(_expected_fields(token))
    expected.update(scope=tricky, user_id='{"user_id":"u"}')
    # A value this long makes Redis store the hash as a table, which keeps no order.
    assert dict(fields) == expected
    assert single.query_token(token.access_token_hash, now=NOW) == token
    assert single.query_refresh_token(str(token.refresh_token_hash), now=NOW) == token


def test_a_record_that_is_not_flat_strings_writes_nothing(single: RedisStorage) -> None:
    """The script refuses rather than drop or reformat a field: a value that is not a string,
    a field no record has, anything but an object."""
    token = _token(new_grant_id())
    keys, args = single._token_save_arguments(token, int(NOW_MS))
    refused = (
        '{"client_id":"c1","n":1}',
        '{"client_id":"c1","o":{"a":"b"}}',
        '{"client_id":1}',
        '{"client_id":"c1","extra":"x"}',
        '["client_id","c1"]',
    )
    for record in refused:
        args[4] = record
        with pytest.raises(ResponseError):
            single._save_token(keys=keys, args=[NOW_MS, *args])
        assert not any(single.redis.exists(key) for key in keys)


def test_the_backend_offers_save_new_grant_token(storage: RedisStorage) -> None:
    assert isinstance(storage, NewGrantTokenStore)


def test_save_new_grant_token_refuses_a_live_access_digest(storage: RedisStorage) -> None:
    first = _token(new_grant_id())
    storage.save_token(first, now=NOW)
    clash = _token(new_grant_id(), access_token_hash=first.access_token_hash)
    with pytest.raises(DuplicateKey, match="access"):
        storage.save_new_grant_token(clash, now=NOW)
    assert storage.query_token(first.access_token_hash, now=NOW) == first
    assert storage.query_refresh_token(str(clash.refresh_token_hash), now=NOW) is None
    assert not storage.redis.exists(storage.keys.token(clash.grant_id, clash.access_token_hash))


def test_save_new_grant_token_refuses_a_live_refresh_digest(storage: RedisStorage) -> None:
    first = _token(new_grant_id())
    storage.save_new_grant_token(first, now=NOW)
    clash = _token(new_grant_id(), refresh_token_hash=first.refresh_token_hash)
    with pytest.raises(DuplicateKey, match="refresh"):
        storage.save_new_grant_token(clash, now=NOW)
    assert storage.query_refresh_token(str(first.refresh_token_hash), now=NOW) == first
    assert storage.query_token(clash.access_token_hash, now=NOW) is None
    assert not storage.redis.exists(storage.keys.token(clash.grant_id, clash.access_token_hash))


def test_save_new_grant_token_reclaims_an_expired_digest(storage: RedisStorage) -> None:
    """Expired by the engine's clock but not yet by Redis's: claimable, as by save_token."""
    first = _token(new_grant_id(), refresh=False)
    storage.save_token(first, now=NOW)
    later = NOW + timedelta(hours=2)
    reuse = replace(
        _token(new_grant_id(), refresh=False, access_token_hash=first.access_token_hash),
        issued_at=later,
        access_expires_at=later + timedelta(hours=1),
    )
    storage.save_new_grant_token(reuse, now=later)
    assert storage.query_token(reuse.access_token_hash, now=later) == reuse
