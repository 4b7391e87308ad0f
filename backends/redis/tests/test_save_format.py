"""What a save writes, byte for byte, against the documented layout (``_keys``), and the
refusals of ``save_new_grant_token``.

The expected values are written out by hand, not computed by the backend's encoder: a record
key and the access pointer's copy hold the JSON the encoder wrote, byte for byte, and existing
data (and readers of it) rely on these exact bytes, field order included. A script that sets a
field appends it to the text (``_scripts.RECORD``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from oauth2_core_redis import RedisStorage

from oauth2_core.errors import DuplicateKey
from oauth2_core.models import AuthorizationCode, Consumed, Rotated, Token
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


def _expected_json(token: Token, *, revoked: bool = False) -> str:
    return (
        f'{{"access_token_hash":"{token.access_token_hash}","client_id":"c1",'
        f'"scope":{SCOPE_JSON},"grant_id":"{token.grant_id}",'
        f'"grant_type":"authorization_code","issued_at":"{NOW_MS}",'
        f'"access_expires_at":"{ACCESS_EXPIRES_MS}","user_id":"u1",'
        f'"refresh_token_hash":"{token.refresh_token_hash}",'
        f'"refresh_expires_at":"{REFRESH_EXPIRES_MS}","token_type":"Bearer",'
        + (f'"revoked_at":"{NOW_MS}",' if revoked else "")
        + f'"_expires_at":"{REFRESH_EXPIRES_MS}"}}'
    )


def _record(storage: RedisStorage, key: str) -> str | None:
    assert storage.redis.type(key) in ("string", "none")
    return storage.redis.get(key)


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
    assert _record(single, keys.token(grant, token.access_token_hash)) == _expected_json(token)
    assert single.redis.get(keys.access_pointer(token.access_token_hash)) == (
        f"{REFRESH_EXPIRES_MS} {grant}\n{_expected_json(token)}"
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
    record = _record(single, keys.token(token.grant_id, token.access_token_hash))
    assert record == _expected_json(token, revoked=True)
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
    expected = (
        f'{{"access_token_hash":"{digest}","client_id":"c1",'
        f'"scope":"read","grant_id":"{grant}","grant_type":"client_credentials",'
        f'"issued_at":"{NOW_MS}","access_expires_at":"{ACCESS_EXPIRES_MS}",'
        f'"token_type":"Bearer","_expires_at":"{ACCESS_EXPIRES_MS}"}}'
    )
    assert _record(single, single.keys.token(grant, digest)) == expected
    assert single.redis.get(single.keys.access_pointer(digest)) == (
        f"{ACCESS_EXPIRES_MS} {grant}\n{expected}"
    )
    assert 3_600_000 - 60_000 < single.redis.pttl(single.keys.token(grant, digest)) <= 3_600_000
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
    assert _record(single, single.keys.code(grant, digest)) == (
        f'{{"code_hash":"{digest}","client_id":"c1","user_id":"u1",'
        '"redirect_uri":"https://app.example.com/cb?a=1&b=\\u00e9",'
        f'"scope":{SCOPE_JSON},"grant_id":"{grant}","issued_at":"{NOW_MS}",'
        '"expires_at":"1893553505678","code_challenge":"' + "x" * 43 + '",'
        '"code_challenge_method":"S256"}'
    )
    assert 60_000 - 60_000 < single.redis.pttl(single.keys.code(grant, digest)) <= 60_000
    assert single.redis.get(single.keys.code_pointer(digest)) == f"1893553505678 {grant}"


TRICKY = "".join(map(chr, range(128))) + '\u2028\ufeff\U0001f600","client_id":"x{"a":"\\'


@pytest.mark.parametrize("how", list(SAVES))
def test_any_text_in_a_value_reaches_the_record_unchanged(single: RedisStorage, how: str) -> None:
    """Every ASCII character, NUL, characters JSON escapes, and text shaped like the JSON
    around it: the record is the encoder's JSON, never pattern-matched."""
    token = _token(new_grant_id(), scope=TRICKY, user_id='{"user_id":"u"}')
    SAVES[how](single, token)
    record = _record(single, single.keys.token(token.grant_id, token.access_token_hash))
    expected = json.loads(_expected_json(token))
    expected.update(scope=TRICKY, user_id='{"user_id":"u"}')
    assert record is not None and json.loads(record) == expected
    assert single.query_token(token.access_token_hash, now=NOW) == token
    assert single.query_refresh_token(str(token.refresh_token_hash), now=NOW) == token


def test_a_field_set_by_a_script_keeps_every_other_value(storage: RedisStorage) -> None:
    """Revocation, rotation and consumption decode the record in Lua to check it and append
    their field to its text (``_scripts.RECORD``): every other byte, of any text, stays as it
    was, and the record keeps its TTL."""
    later = NOW + timedelta(seconds=5)
    revoked = _token(new_grant_id(), scope=TRICKY, user_id="\x00\u2028")
    storage.save_token(revoked, now=NOW)
    key = storage.keys.token(revoked.grant_id, revoked.access_token_hash)
    saved = storage.redis.get(key)
    storage.revoke_token(revoked.access_token_hash, now=later)
    storage.revoke_token(revoked.access_token_hash, now=later + timedelta(seconds=1))
    assert storage.redis.get(key) == f'{saved[:-1]},"revoked_at":"{int(NOW_MS) + 5000}"}}'
    assert storage.query_refresh_token(str(revoked.refresh_token_hash), now=later) == replace(
        revoked, revoked_at=later
    )
    rotated = _token(new_grant_id(), scope=TRICKY)
    storage.save_token(rotated, now=NOW)
    successor = _token(rotated.grant_id)
    result = storage.rotate_refresh_token(str(rotated.refresh_token_hash), successor, now=later)
    assert result == Rotated(replace(rotated, rotated_at=later), successor)
    key = storage.keys.token(rotated.grant_id, rotated.access_token_hash)
    assert storage.redis.pttl(key) > 14 * 86_400_000 - 60_000
    code = AuthorizationCode(
        code_hash=hash_token(generate_token()),
        client_id="c1",
        user_id=TRICKY,
        redirect_uri="https://app.example.com/cb?x=\u00e9/\\",
        scope=TRICKY,
        grant_id=new_grant_id(),
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
    )
    storage.save_authorization_code(code, now=NOW)
    assert storage.consume_authorization_code(code.code_hash, now=later) == Consumed(
        replace(code, consumed_at=later)
    )


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
