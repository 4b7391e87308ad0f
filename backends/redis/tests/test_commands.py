"""Commands and round trips per operation, read from MONITOR (the shared server is busy, so
private servers only).

Scripts count once (EVALSHA); the commands a script runs inside Redis are not round trips and
are left out. Round trips are socket sends of our client: a pipeline is one. The numbers are
exact, so a change to them is a visible design change. Single-node mode runs one script per
operation; cluster mode is measured twice: its code paths on one private server (where a
pipeline is one send) and on the three-master cluster (commands summed over the masters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import redis.connection
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.local_servers import LocalCluster, LocalRedis

from oauth2_core import FakeClock
from oauth2_core.models import AuthorizationCode, Client, Consumed, Rotated, Token
from oauth2_core.tokens import generate_token, hash_code, hash_token, new_grant_id

_MARK = "oauth2-commands-mark"

# operation: (commands in order, round trips)
SINGLE_NODE = {
    "query_client": (["GET"], 1),
    "save_authorization_code (issue code)": (["EVALSHA"], 1),
    "consume_authorization_code": (["EVALSHA"], 1),
    "save_token (issue)": (["EVALSHA"], 1),
    "save_new_grant_token (issue, new grant)": (["EVALSHA"], 1),
    "query_token (validate)": (["GET"], 1),  # the pointer carries the record
    "query_refresh_token": (["EVALSHA"], 1),
    "rotate_refresh_token": (["EVALSHA"], 1),
    "revoke_token": (["EVALSHA"], 1),
    "revoke_grant": (["EVALSHA"], 1),
    # the revoked-grant mark is read inside the save script: no extra command
    "save_token (grant revoked)": (["EVALSHA"], 1),
}
CLUSTER = {
    "query_client": (["GET"], 1),
    # claim pointer + store record, pipelined
    "save_authorization_code (issue code)": (["EVALSHA", "EVALSHA"], 1),
    "consume_authorization_code": (["GET", "EVALSHA"], 2),
    # claim access + claim refresh + store record, pipelined
    "save_token (issue)": (["EVALSHA", "EVALSHA", "EVALSHA"], 1),
    # the same steps; the record's script does not read the mark
    "save_new_grant_token (issue, new grant)": (["EVALSHA", "EVALSHA", "EVALSHA"], 1),
    "query_token (validate)": (["GET", "GET"], 2),
    "query_refresh_token": (["GET", "GET"], 2),
    # read old pointer + claim and store the new token, pipelined; then compare-and-swap
    "rotate_refresh_token": (["GET", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA"], 2),
    "revoke_token": (["GET", "GET", "EVALSHA"], 2),
    "revoke_grant": (["EVALSHA"], 1),
    # the mark is read by the record's script, in the grant's slot
    "save_token (grant revoked)": (["EVALSHA", "EVALSHA", "EVALSHA"], 1),
}


class _Monitor:
    def __init__(self, server: LocalRedis) -> None:
        self._client = server.client()
        self._monitor = self._client.monitor()
        self._monitor.__enter__()
        self._marker = server.client()
        self._marker.ping()  # its connection handshake must not land in the first count
        self.drain()

    def drain(self, *, inside_scripts: bool = False) -> list[str]:
        """Commands since the last drain: ours, or (``inside_scripts``) those scripts ran."""
        self._marker.echo(_MARK)
        seen = []
        while True:
            entry = self._monitor.next_command()
            if _MARK in entry["command"]:
                return seen
            if (entry.get("client_type") == "lua") == inside_scripts:
                seen.append(entry["command"].split(" ", 1)[0].upper())

    def close(self) -> None:
        self._monitor.__exit__(None, None, None)
        self._client.close()
        self._marker.close()


class _Sends:
    """Socket sends of every redis-py connection: one per command, one per pipeline."""

    count = 0

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = redis.connection.AbstractConnection.send_packed_command

        def send(connection: object, *args: object, **kwargs: object) -> object:
            _Sends.count += 1
            return original(connection, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)


def _token(grant_id: str, now: datetime) -> Token:
    return Token(
        access_token_hash=hash_token(generate_token()),
        client_id="c1",
        scope="read",
        grant_id=grant_id,
        grant_type="authorization_code",
        issued_at=now,
        access_expires_at=now + timedelta(hours=1),
        user_id="u1",
        refresh_token_hash=hash_token(generate_token()),
        refresh_expires_at=now + timedelta(days=14),
    )


def _expect(kind: type, result: object) -> object:
    assert isinstance(result, kind), result
    return result


def _operations(storage: RedisStorage, now: datetime) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every measured operation, in an order where each one succeeds."""
    grant = new_grant_id()
    code = AuthorizationCode(
        code_hash=hash_code("c1", generate_token()),
        client_id="c1",
        user_id="u1",
        redirect_uri=None,
        scope="read",
        grant_id=grant,
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
    )
    first, second, late = _token(grant, now), _token(grant, now), _token(grant, now)
    refresh = str(first.refresh_token_hash)
    yield "query_client", lambda: _expect(Client, storage.query_client("c1"))
    yield (
        "save_authorization_code (issue code)",
        lambda: storage.save_authorization_code(code, now=now),
    )
    yield (
        "consume_authorization_code",
        lambda: _expect(Consumed, storage.consume_authorization_code(code.code_hash, now=now)),
    )
    yield "save_token (issue)", lambda: storage.save_token(first, now=now)
    fresh = _token(new_grant_id(), now)
    yield (
        "save_new_grant_token (issue, new grant)",
        lambda: storage.save_new_grant_token(fresh, now=now),
    )
    yield (
        "query_token (validate)",
        lambda: _expect(Token, storage.query_token(first.access_token_hash, now=now)),
    )
    yield (
        "query_refresh_token",
        lambda: _expect(Token, storage.query_refresh_token(refresh, now=now)),
    )
    yield (
        "rotate_refresh_token",
        lambda: _expect(Rotated, storage.rotate_refresh_token(refresh, second, now=now)),
    )
    yield "revoke_token", lambda: storage.revoke_token(second.access_token_hash, now=now)
    yield "revoke_grant", lambda: storage.revoke_grant(grant, now=now)
    # stored revoked (tests/test_grant_mark.py checks that)
    yield "save_token (grant revoked)", lambda: storage.save_token(late, now=now)


def _measure(storage: RedisStorage, monitors: list[_Monitor]) -> dict[str, tuple[list[str], int]]:
    now = FakeClock().now()
    storage.save_client(Client(client_id="c1"))
    for _, action in _operations(storage, now):  # loads every script: no NOSCRIPT below
        action()
    storage.purge_expired(now=now)
    for monitor in monitors:
        monitor.drain()
    counts = {}
    for name, action in _operations(storage, now):
        before = _Sends.count
        action()
        trips = _Sends.count - before
        commands = [command for monitor in monitors for command in monitor.drain()]
        counts[name] = (commands, trips)
        print(f"{name}: {trips} round trip(s): {' '.join(commands)}")
    return counts


@pytest.mark.parametrize("single_node", [True, False], ids=["single-node", "cluster-paths"])
def test_commands_per_operation_on_one_server(
    private_redis: LocalRedis, monkeypatch: pytest.MonkeyPatch, single_node: bool
) -> None:
    _Sends(monkeypatch)
    storage = RedisStorage.from_url(
        private_redis.url, prefix="cmds", check_deployment=False, single_node=single_node
    )
    monitor = _Monitor(private_redis)
    try:
        counts = _measure(storage, [monitor])
    finally:
        monitor.close()
        storage.close()
    assert counts == (SINGLE_NODE if single_node else CLUSTER)


def test_commands_per_operation_on_the_cluster(
    redis_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Sends(monkeypatch)
    storage = RedisStorage.from_url(redis_cluster.url, prefix="o2test-cmds", check_deployment=False)
    assert not storage.single_node
    monitors = [_Monitor(node) for node in redis_cluster.nodes]
    try:
        counts = _measure(storage, monitors)
    finally:
        for monitor in monitors:
            monitor.close()
        for node in redis_cluster.nodes:
            client = node.client()
            try:
                for pattern in ("o2test-cmds:*", "{o2test-cmds:*"):
                    for key in client.scan_iter(match=pattern):
                        client.delete(key)
            finally:
                client.close()
        storage.close()
    # Summed over the masters, whose logs interleave: compare as multisets.
    assert {name: Counter(commands) for name, (commands, _) in counts.items()} == {
        name: Counter(commands) for name, (commands, _) in CLUSTER.items()
    }
    # A cluster pipeline sends once to each master it touches, all before reading any reply.
    assert all(trips >= CLUSTER[name][1] for name, (_, trips) in counts.items())


@pytest.mark.parametrize("single_node", [True, False], ids=["single-node", "cluster-paths"])
def test_purge_pipelines_each_page_of_pointers(
    private_redis: LocalRedis, monkeypatch: pytest.MonkeyPatch, single_node: bool
) -> None:
    """A SCAN page costs one pipelined read of its pointers, one of purge scripts and one of
    pointer deletes, however many keys it holds (refresh pointers, which have no record of
    their own, skip the scripts): three round trips per page, not per key."""
    _Sends(monkeypatch)
    storage = RedisStorage.from_url(
        private_redis.url, prefix="purge", check_deployment=False, single_node=single_node
    )
    now = FakeClock().now()
    month = now + timedelta(days=30)
    grant = new_grant_id()
    expired = [_token(grant, now) for _ in range(23)]
    live = [
        replace(_token(grant, now), access_expires_at=month, refresh_expires_at=month)
        for _ in range(4)
    ]
    second = now + timedelta(seconds=1)
    warm_up = replace(_token(grant, now), access_expires_at=second, refresh_expires_at=second)
    monitor = _Monitor(private_redis)
    try:
        storage.save_token(warm_up, now=now)  # its purge loads the script, opens a connection
        assert storage.purge_expired(now=second) == 1
        for token in expired + live:
            storage.save_token(token, now=now)
        monitor.drain()
        before = _Sends.count
        purged = storage.purge_expired(now=now + timedelta(days=15), batch_size=10)
        trips = _Sends.count - before
        commands = Counter(monitor.drain())
        survivors = [storage.query_token(t.access_token_hash, now=now) for t in expired + live]
    finally:
        monitor.close()
        storage.close()
    assert purged == 23
    assert survivors == [None] * 23 + live
    scans = commands.pop("SCAN")
    # 27 access and 27 refresh pointers, pages of 10, 10 and 7 of each; every access page
    # holds an expired token. The records' own deletes run inside the script.
    assert commands == Counter({"GET": 54, "EVALSHA": 23, "DEL": 46})
    assert trips - scans == 3 * 3 + 3 * 2


def test_single_node_mode_is_the_default_for_a_plain_client(private_redis: LocalRedis) -> None:
    storage = RedisStorage.from_url(private_redis.url, check_deployment=False)
    assert storage.single_node
    storage.close()


@pytest.mark.parametrize("single_node", [True, False], ids=["single-node", "cluster-paths"])
def test_operations_reload_flushed_scripts(private_redis: LocalRedis, single_node: bool) -> None:
    """After SCRIPT FLUSH (as after a restart or failover) every operation still succeeds:
    refused calls never ran, so they are loaded and sent again."""
    storage = RedisStorage.from_url(
        private_redis.url, prefix="noscript", check_deployment=False, single_node=single_node
    )
    now = FakeClock().now()
    admin = private_redis.client()
    try:
        storage.save_client(Client(client_id="c1"))
        for _, action in _operations(storage, now):
            admin.script_flush()
            action()
    finally:
        admin.close()
        storage.close()


# Commands the single-node save scripts run inside Redis for a token with a refresh token.
# A new grant's save skips the revoked mark's GET, the DEL of a former record and the index's
# PTTL comparison (``SAVE_NEW_GRANT_TOKEN``).
SAVE_SCRIPT_COMMANDS = {
    "save_token": ["GET", "GET", "SET", "SADD", "PTTL", "PEXPIRE", "GET", "SET", "SET"],
    "save_new_grant_token": ["GET", "GET", "SET", "SADD", "PEXPIRE", "SET", "SET"],
}


@pytest.mark.parametrize("method", list(SAVE_SCRIPT_COMMANDS))
def test_commands_and_arguments_of_the_single_node_token_save(
    private_redis: LocalRedis, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """The record goes out once (its JSON), not also as field/value arguments: every argument
    redis-py packs costs client CPU on the issuance path."""
    packed: list[tuple[object, ...]] = []
    original = redis.connection.AbstractConnection.send_command

    def send(connection: object, *args: object, **kwargs: object) -> None:
        packed.append(args)
        original(connection, *args, **kwargs)  # type: ignore[arg-type, no-untyped-call]

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_command", send)
    storage = RedisStorage.from_url(private_redis.url, prefix="save", check_deployment=False)
    now = FakeClock().now()
    save = getattr(storage, method)
    monitor = _Monitor(private_redis)
    try:
        save(_token(new_grant_id(), now), now=now)  # loads the script
        monitor.drain(inside_scripts=True)
        packed.clear()
        save(_token(new_grant_id(), now), now=now)
        inside = monitor.drain(inside_scripts=True)
    finally:
        monitor.close()
        storage.close()
    assert inside == SAVE_SCRIPT_COMMANDS[method]
    (command,) = (args for args in packed if args[0] == "EVALSHA")
    keys = 5 if method == "save_token" else 4  # the mark's key only where it is read
    assert command[2] == keys
    # now_ms, access pointer head, ttl, access digest, refresh pointer, record JSON, copy flag
    assert len(command) == 3 + keys + 7
    assert "access_token_hash" not in command  # no field names: the record is not flattened
