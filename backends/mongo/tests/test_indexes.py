"""The collections' indexes: created idempotently, conflicts refused, the refresh index of
earlier versions replaced by its equivalent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from mongo_records import make_token
from oauth2_core_mongo import MongoStorage

from oauth2_core.clock import FakeClock
from oauth2_core.errors import ConfigurationError, DuplicateKey

_REFRESH = "refresh_token_hash_unique"
_FILTER = {"refresh_token_hash": {"$gt": ""}}
_EARLIER_FILTER = {"refresh_token_hash": {"$type": "string"}}


def _indexes(storage: MongoStorage, collection: str) -> dict[str, Any]:
    return {i["name"]: i for i in storage.database[collection].list_indexes()}


def test_indexes_are_created_idempotently_with_a_ttl_on_the_record_expiry(
    storage: MongoStorage,
) -> None:
    storage.ensure_indexes()
    storage.upgrade_schema()
    for name in ("codes", "tokens"):
        indexes = _indexes(storage, name)
        ttl = indexes["reclaim_at_ttl"]
        assert dict(ttl["key"]) == {"reclaim_at": 1}
        assert ttl["expireAfterSeconds"] == 0
        assert dict(indexes["expires_at"]["key"]) == {"expires_at": 1}
        assert dict(indexes["grant_id"]["key"]) == {"grant_id": 1}
    refresh = _indexes(storage, "tokens")[_REFRESH]
    assert refresh["unique"] is True
    # Every digest is a non-empty string; a planner can prove a string equality implies this.
    assert refresh["partialFilterExpression"] == _FILTER


def test_a_conflicting_index_is_a_configuration_error(storage: MongoStorage) -> None:
    storage.database["codes"].create_index(
        "reclaim_at", name="reclaim_at_ttl", expireAfterSeconds=3600
    )
    with pytest.raises(ConfigurationError, match="conflicting index") as caught:
        storage.ensure_indexes()
    assert caught.value.__cause__ is not None


def test_the_earlier_refresh_index_is_replaced_on_first_use_keeping_every_record(
    open_handle: Callable[[], MongoStorage], clock: FakeClock
) -> None:
    earlier = open_handle()
    without_refresh = [make_token(clock.now(), refresh_lifetime=None) for _ in range(2)]
    kept = make_token(clock.now())
    for token in (*without_refresh, kept):
        earlier.save_token(token, now=clock.now())
    tokens = earlier.database["tokens"]
    tokens.drop_index(_REFRESH)
    tokens.create_index(
        "refresh_token_hash", name=_REFRESH, unique=True, partialFilterExpression=_EARLIER_FILTER
    )

    upgraded = open_handle()
    assert kept.refresh_token_hash is not None
    assert upgraded.query_refresh_token(kept.refresh_token_hash, now=clock.now()) == kept

    assert _indexes(upgraded, "tokens")[_REFRESH]["partialFilterExpression"] == _FILTER
    for token in without_refresh:
        assert upgraded.query_token(token.access_token_hash, now=clock.now()) == token
    clash = replace(make_token(clock.now()), refresh_token_hash=kept.refresh_token_hash)
    with pytest.raises(DuplicateKey):
        upgraded.save_token(clash, now=clock.now())


def test_a_refresh_index_the_operator_chose_is_left_alone(storage: MongoStorage) -> None:
    chosen = {"refresh_token_hash": {"$exists": True}}
    storage.database["tokens"].create_index(
        "refresh_token_hash", name=_REFRESH, unique=True, partialFilterExpression=chosen
    )
    with pytest.raises(ConfigurationError, match="conflicting index"):
        storage.ensure_indexes()
    assert _indexes(storage, "tokens")[_REFRESH]["partialFilterExpression"] == chosen


def test_the_earlier_refresh_index_is_replaced_even_when_another_index_conflicts(
    storage: MongoStorage,
) -> None:
    storage.database["tokens"].create_index(
        "refresh_token_hash", name=_REFRESH, unique=True, partialFilterExpression=_EARLIER_FILTER
    )
    storage.database["codes"].create_index(
        "reclaim_at", name="reclaim_at_ttl", expireAfterSeconds=3600
    )
    with pytest.raises(ConfigurationError, match="conflicting index"):
        storage.ensure_indexes()
    # The tokens collection never goes without its unique refresh index.
    assert _indexes(storage, "tokens")[_REFRESH]["partialFilterExpression"] == _FILTER
    assert _indexes(storage, "codes")["reclaim_at_ttl"]["expireAfterSeconds"] == 3600
