"""Native TTL: MongoDB reclaims records by itself, on its own clock, whatever the engine's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from mongo_records import make_code, make_token
from oauth2_core_mongo import MongoStorage
from oauth2_core_mongo.testing import SECANTUS_TTL_SWEEP_SECONDS

from oauth2_core.clock import FakeClock, SystemClock

TEN_YEARS = timedelta(days=3653)


def _count(storage: MongoStorage) -> int:
    return sum(storage.database[name].count_documents({}) for name in ("codes", "tokens"))


def test_reclaim_instant_is_on_the_server_clock_whatever_the_engine_clock(
    storage: MongoStorage,
) -> None:
    wall = SystemClock().now()
    for engine_now in (wall - TEN_YEARS, wall + TEN_YEARS):
        code = make_code(engine_now, lifetime=60)
        storage.save_authorization_code(code, now=engine_now)
        doc = storage.database["codes"].find_one({"_id": code.code_hash})
        assert doc is not None
        assert doc["expires_at"] == code.expires_at
        # Server clock + 60 s; this machine's clock is the server's, within slack.
        assert abs(doc["reclaim_at"] - (wall + timedelta(seconds=60))) < timedelta(seconds=30)


@pytest.mark.slow
def test_ttl_monitor_reclaims_expired_records_but_not_skewed_live_ones(
    secantus_url: str,
) -> None:
    """Against the SecantusDB the fixtures start, whose TTL sweep runs every few seconds
    (a real mongod sweeps every 60 s, too slow for this suite)."""
    storage = MongoStorage.from_url(secantus_url, database="ttl_check")
    try:
        _reclaims(storage)
    finally:
        storage.database.client.drop_database("ttl_check")
        storage.close()


def _reclaims(storage: MongoStorage) -> None:
    behind = FakeClock(datetime.now(UTC) - TEN_YEARS)
    live = make_code(behind.now(), lifetime=600)
    storage.save_authorization_code(live, now=behind.now())
    now = SystemClock().now()
    short = [make_code(now, lifetime=1), make_token(now, access_lifetime=1, refresh_lifetime=1)]
    storage.save_authorization_code(short[0], now=now)  # type: ignore[arg-type]
    storage.save_token(short[1], now=now)  # type: ignore[arg-type]
    assert _count(storage) == 3
    deadline = time.monotonic() + 1 + 2 * SECANTUS_TTL_SWEEP_SECONDS + 8
    while _count(storage) > 1 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _count(storage) == 1
    assert storage.database["codes"].find_one({"_id": live.code_hash}) is not None
