"""``upgrade_schema``: records that earlier builds stored as hashes become string records,
values and TTLs kept, on one server and on a cluster."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from oauth2_core_redis import RedisStorage
from oauth2_core_redis._upgrade import upgrade_records

from oauth2_core.errors import StorageUnavailable
from oauth2_core.models import AuthorizationCode, Consumed, Token
from oauth2_core.storage import SchemaManagement
from oauth2_core.tokens import generate_token, hash_token, new_grant_id

NOW = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _as_hash(storage: RedisStorage, key: str) -> None:
    """Rewrite a string record the way earlier builds stored it: one hash field per value."""
    redis = storage.redis
    fields, ttl = json.loads(redis.get(key)), redis.pttl(key)
    redis.delete(key)
    redis.hset(key, mapping=fields)
    redis.pexpire(key, ttl)


def test_hash_records_become_strings_with_their_values_and_ttls(storage: RedisStorage) -> None:
    grant = new_grant_id()
    token = Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope='read "é"',
        grant_id=grant,
        grant_type="authorization_code",
        issued_at=NOW,
        access_expires_at=NOW + timedelta(hours=1),
        user_id="u1",
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=NOW + timedelta(days=14),
    )
    code = AuthorizationCode(
        code_hash=hash_token(generate_token()),
        client_id="c1",
        user_id="u1",
        redirect_uri="https://app.example.com/cb",
        scope="read",
        grant_id=grant,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=60),
    )
    storage.save_token(token, now=NOW)
    storage.save_authorization_code(code, now=NOW)
    records = [
        storage.keys.token(grant, token.access_token_hash),
        storage.keys.code(grant, code.code_hash),
    ]
    values = [json.loads(storage.redis.get(key)) for key in records]
    for key in records:
        _as_hash(storage, key)
    with pytest.raises(StorageUnavailable, match="WRONGTYPE"):
        storage.query_refresh_token(str(token.refresh_token_hash), now=NOW)

    assert isinstance(storage, SchemaManagement)
    assert upgrade_records(storage) == 2
    for key, value in zip(records, values, strict=True):
        assert storage.redis.type(key) == "string"
        assert json.loads(storage.redis.get(key)) == value
    assert storage.redis.pttl(records[0]) > 14 * 86_400_000 - 60_000
    assert 0 < storage.redis.pttl(records[1]) <= 60_000
    assert storage.query_refresh_token(str(token.refresh_token_hash), now=NOW) == token
    later = NOW + timedelta(seconds=1)
    assert storage.consume_authorization_code(code.code_hash, now=later) == Consumed(
        replace(code, consumed_at=later)
    )
    storage.upgrade_schema()  # idempotent: nothing left to convert
    assert upgrade_records(storage) == 0
