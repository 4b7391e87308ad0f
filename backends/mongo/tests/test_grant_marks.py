"""``revoke_grant``'s mark: a token of the grant saved afterwards is stored revoked, for
REVOKED_GRANT_MARK_SECONDS of the engine's clock, whatever the interleaving with the save."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from mongo_records import make_token, successor
from oauth2_core_mongo import MongoStorage
from oauth2_core_mongo.testing import MongoHarness
from pymongo import MongoClient, monitoring

from oauth2_core.clock import FakeClock, SystemClock
from oauth2_core.models import Reused, Token
from oauth2_core.storage.protocols import REVOKED_GRANT_MARK_SECONDS

MARK = timedelta(seconds=REVOKED_GRANT_MARK_SECONDS)


def _assert_saved_revoked(storage: MongoStorage, token: Token, revoked_at: object) -> None:
    assert storage.query_token(token.access_token_hash, now=token.issued_at) is None
    assert token.refresh_token_hash is not None
    stored = storage.query_refresh_token(token.refresh_token_hash, now=token.issued_at)
    assert stored == replace(token, revoked_at=revoked_at)


def test_a_save_after_revoke_grant_is_stored_revoked_for_the_mark_lifetime(
    storage: MongoStorage, clock: FakeClock
) -> None:
    storage.revoke_grant("g", now=clock.now())
    clock.advance(MARK - timedelta(milliseconds=1))
    late = make_token(clock.now(), grant_id="g")
    storage.save_token(late, now=clock.now())
    _assert_saved_revoked(storage, late, clock.now())
    assert late.refresh_token_hash is not None
    rotation = storage.rotate_refresh_token(
        late.refresh_token_hash, successor(late, clock.now()), now=clock.now()
    )
    assert isinstance(rotation, Reused)
    bystander = make_token(clock.now(), grant_id="other")
    storage.save_token(bystander, now=clock.now())
    assert storage.query_token(bystander.access_token_hash, now=clock.now()) == bystander
    clock.advance(timedelta(milliseconds=1))
    lapsed = make_token(clock.now(), grant_id="g")
    storage.save_token(lapsed, now=clock.now())
    assert storage.query_token(lapsed.access_token_hash, now=clock.now()) == lapsed


def test_a_later_revocation_extends_the_mark_and_an_earlier_one_keeps_it(
    storage: MongoStorage, clock: FakeClock
) -> None:
    start = clock.now()
    storage.revoke_grant("g", now=start + timedelta(seconds=100))
    storage.revoke_grant("g", now=start)
    mark = storage.database["revoked_grants"].find_one({"_id": "g"})
    assert mark is not None
    assert mark["until"] == start + timedelta(seconds=100) + MARK


def test_a_token_saved_already_revoked_keeps_its_revocation_instant(
    storage: MongoStorage, clock: FakeClock
) -> None:
    storage.revoke_grant("g", now=clock.now())
    revoked_at = clock.now()
    clock.advance(seconds=5)
    token = replace(make_token(clock.now(), grant_id="g"), revoked_at=revoked_at)
    storage.save_token(token, now=clock.now())
    _assert_saved_revoked(storage, token, revoked_at)


def test_the_mark_is_reclaimed_on_the_server_clock_whatever_the_engine_clock(
    storage: MongoStorage,
) -> None:
    wall = SystemClock().now()
    for engine_now in (wall - timedelta(days=3653), wall + timedelta(days=3653)):
        storage.revoke_grant(str(engine_now), now=engine_now)
        mark = storage.database["revoked_grants"].find_one({"_id": str(engine_now)})
        assert mark is not None
        assert mark["until"] == engine_now + MARK
        # Server clock + the mark's lifetime; this machine's clock is the server's.
        assert abs(mark["reclaim_at"] - (wall + MARK)) < timedelta(seconds=30)


def test_purge_forgets_lapsed_marks_without_counting_them(
    storage: MongoStorage, clock: FakeClock
) -> None:
    storage.revoke_grant("old", now=clock.now())
    clock.advance(seconds=1)
    storage.revoke_grant("new", now=clock.now())
    clock.advance(MARK - timedelta(seconds=1))
    assert storage.purge_expired(now=clock.now(), batch_size=1) == 0
    marks = storage.database["revoked_grants"]
    assert [m["_id"] for m in marks.find({})] == ["new"]


def test_the_marks_collection_has_its_indexes(storage: MongoStorage) -> None:
    storage.ensure_indexes()
    indexes = {i["name"]: i for i in storage.database["revoked_grants"].list_indexes()}
    assert dict(indexes["reclaim_at_ttl"]["key"]) == {"reclaim_at": 1}
    assert indexes["reclaim_at_ttl"]["expireAfterSeconds"] == 0
    assert dict(indexes["until"]["key"]) == {"until": 1}


def test_the_harness_raw_view_and_drop_cover_the_marks(secantus_url: str, clock: FakeClock) -> None:
    harness = MongoHarness(secantus_url, name="mongo (test)")
    namespace = "marks_" + uuid.uuid4().hex[:8]
    storage = harness.make_storage(namespace)
    try:
        storage.revoke_grant("grant-in-dump", now=clock.now())
        assert "revoked_grants: " in harness.raw_dump(namespace)
        assert "grant-in-dump" in harness.raw_dump(namespace)
        harness.drop_namespace(namespace)
        assert harness.raw_dump(namespace) == ""
    finally:
        storage.close()
        harness.close()


# -- interleavings, forced at the wire ------------------------------------------------------
class _Before(monitoring.CommandListener):
    """Runs ``action`` once, just before the first command that matches (synchronously, in
    the thread about to send it)."""

    def __init__(self) -> None:
        self.trigger: tuple[str, str] | None = None  # (command name, collection)
        self.action: Callable[[], object] = lambda: None

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.trigger == (event.command_name, event.command.get(event.command_name)):
            self.trigger = None
            self.action()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def paused(secantus_url: str) -> Iterator[tuple[MongoStorage, MongoStorage, _Before]]:
    """Two handles on one database; the first one's commands can run the second's first."""
    listener = _Before()
    database = "interleave_" + uuid.uuid4().hex[:8]
    client: MongoClient[dict[str, object]] = MongoClient(secantus_url, event_listeners=[listener])
    monitored = MongoStorage(client, database)
    other = MongoStorage.from_url(secantus_url, database=database)
    monitored.ensure_indexes()
    try:
        yield monitored, other, listener
    finally:
        client.drop_database(database)
        client.close()
        other.close()


@pytest.mark.parametrize(
    "before",
    [("update", "tokens"), ("find", "revoked_grants")],
    ids=["revoke-before-the-insert", "revoke-between-insert-and-read"],
)
def test_a_revocation_landing_inside_a_save_retires_the_token(
    paused: tuple[MongoStorage, MongoStorage, _Before], clock: FakeClock, before: tuple[str, str]
) -> None:
    saver, revoker, listener = paused
    token = make_token(clock.now(), grant_id="g")
    listener.trigger = before
    listener.action = lambda: revoker.revoke_grant("g", now=clock.now())
    saver.save_token(token, now=clock.now())
    assert listener.trigger is None, "the revocation did not run"
    _assert_saved_revoked(saver, token, clock.now())


@pytest.mark.parametrize(
    "before",
    [("update", "revoked_grants"), ("update", "tokens"), ("update", "codes")],
    ids=["save-before-the-mark", "save-between-mark-and-cascade", "save-after-the-cascade"],
)
def test_a_save_landing_inside_a_revocation_is_retired(
    paused: tuple[MongoStorage, MongoStorage, _Before], clock: FakeClock, before: tuple[str, str]
) -> None:
    revoker, saver, listener = paused
    token = make_token(clock.now(), grant_id="g")
    listener.trigger = before
    listener.action = lambda: saver.save_token(token, now=clock.now())
    revoker.revoke_grant("g", now=clock.now())
    assert listener.trigger is None, "the save did not run"
    _assert_saved_revoked(saver, token, clock.now())


class _Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.read_concerns: dict[str, object] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.read_concerns[event.command["find"]] = event.command.get("readConcern")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_the_mark_is_read_with_local_read_concern_whatever_the_url_says(
    secantus_url: str, clock: FakeClock
) -> None:
    """``available`` (or a lagging secondary) could miss a mark the revocation already wrote."""
    listener = _Finds()
    client: MongoClient[dict[str, object]] = MongoClient(
        secantus_url + "&readConcernLevel=available", event_listeners=[listener]
    )
    database = "read_concern_" + uuid.uuid4().hex[:8]
    try:
        storage = MongoStorage(client, database)
        token = make_token(clock.now())
        storage.save_token(token, now=clock.now())
        storage.query_token(token.access_token_hash, now=clock.now())
        assert listener.read_concerns == {
            "revoked_grants": {"level": "local"},
            "tokens": {"level": "available"},
        }
    finally:
        client.drop_database(database)
        client.close()
