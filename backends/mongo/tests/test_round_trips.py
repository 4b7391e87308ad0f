"""Round trips per operation, counted with pymongo's command monitoring (bounded work: the
revocation cascade is one mark plus one ``update`` per collection whatever the family's size)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from mongo_records import make_code, make_token, successor
from oauth2_core_mongo import MongoStorage
from pymongo import MongoClient, monitoring

from oauth2_core.clock import FakeClock


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names


@pytest.fixture
def monitored(secantus_url: str) -> Iterator[tuple[MongoStorage, _Commands]]:
    listener = _Commands()
    client: MongoClient[dict[str, object]] = MongoClient(secantus_url, event_listeners=[listener])
    database = "round_trips_" + uuid.uuid4().hex[:8]
    storage = MongoStorage(client, database)
    storage.ensure_indexes()
    listener.take()
    try:
        yield storage, listener
    finally:
        client.drop_database(database)
        client.close()


def test_round_trips_per_operation(
    monitored: tuple[MongoStorage, _Commands], clock: FakeClock
) -> None:
    storage, commands = monitored
    code = make_code(clock.now(), grant_id="g")
    storage.save_authorization_code(code, now=clock.now())
    assert commands.take() == ["update codes"]
    storage.consume_authorization_code(code.code_hash, now=clock.now())
    assert commands.take() == ["findAndModify codes"]
    storage.consume_authorization_code(code.code_hash, now=clock.now())
    assert commands.take() == ["findAndModify codes", "find codes"]

    tokens = [make_token(clock.now(), grant_id="g") for _ in range(20)]
    for token in tokens:
        storage.save_token(token, now=clock.now())
    # Insert, then revoke_grant's mark: no cross-collection condition on an insert.
    assert commands.take() == ["update tokens", "find revoked_grants"] * 20
    storage.query_token(tokens[0].access_token_hash, now=clock.now())
    assert commands.take() == ["find tokens"]
    # The first token of a grant the save creates: no mark can exist, the insert alone.
    storage.save_new_grant_token(make_token(clock.now()), now=clock.now())
    assert commands.take() == ["update tokens"]
    assert tokens[0].refresh_token_hash is not None
    storage.rotate_refresh_token(
        tokens[0].refresh_token_hash, successor(tokens[0], clock.now()), now=clock.now()
    )
    assert commands.take() == ["find tokens", "update tokens", "update tokens"]
    storage.revoke_token(tokens[1].access_token_hash, now=clock.now())
    assert commands.take() == ["update tokens"]
    # A refresh digest matches no _id: the second update finds it through the refresh index.
    assert tokens[2].refresh_token_hash is not None
    storage.revoke_token(tokens[2].refresh_token_hash, now=clock.now())
    assert commands.take() == ["update tokens", "update tokens"]
    assert storage.query_token(tokens[2].access_token_hash, now=clock.now()) is None
    assert commands.take() == ["find tokens"]
    storage.revoke_grant("g", now=clock.now())
    assert commands.take() == ["update revoked_grants", "update tokens", "update codes"]

    late = make_token(clock.now(), grant_id="g")
    storage.save_token(late, now=clock.now())
    assert commands.take() == ["update tokens", "find revoked_grants", "update tokens"]
    storage.save_token(
        replace(make_token(clock.now(), grant_id="g"), revoked_at=clock.now()), now=clock.now()
    )
    assert commands.take() == ["update tokens"]
    storage.query_token(late.access_token_hash, now=clock.now())
    assert commands.take() == ["find tokens"]
