"""Linearizability under real concurrency: N threads, each with its own handle (own pool),
released together by a barrier, repeated over rounds."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mongo_records import make_code, make_token, successor
from oauth2_core_mongo import MongoStorage

from oauth2_core.clock import FakeClock
from oauth2_core.models import AlreadyConsumed, Consumed, Reused, Rotated, Token

THREADS = 8
ROUNDS = 5


def _race(handles: list[MongoStorage], body: Callable[[MongoStorage], object]) -> list[object]:
    barrier = threading.Barrier(len(handles))

    def run(handle: MongoStorage) -> object:
        barrier.wait()
        return body(handle)

    with ThreadPoolExecutor(len(handles)) as pool:
        return list(pool.map(run, handles))


def _consumer(code_hash: str, clock: FakeClock) -> Callable[[MongoStorage], object]:
    return lambda h: h.consume_authorization_code(code_hash, now=clock.now())


def _rotator(
    refresh: str, candidates: dict[int, Token], clock: FakeClock
) -> Callable[[MongoStorage], object]:
    return lambda h: h.rotate_refresh_token(refresh, candidates[id(h)], now=clock.now())


def test_concurrent_consumes_have_exactly_one_winner(
    open_handle: Callable[[], MongoStorage], clock: FakeClock
) -> None:
    handles = [open_handle() for _ in range(THREADS)]
    for _ in range(ROUNDS):
        code = make_code(clock.now())
        handles[0].save_authorization_code(code, now=clock.now())
        results = _race(handles, _consumer(code.code_hash, clock))
        kinds = Counter(type(r) for r in results)
        assert kinds == {Consumed: 1, AlreadyConsumed: THREADS - 1}


def test_concurrent_rotations_have_exactly_one_winner_and_one_survivor(
    open_handle: Callable[[], MongoStorage], clock: FakeClock
) -> None:
    handles = [open_handle() for _ in range(THREADS)]
    for _ in range(ROUNDS):
        old = make_token(clock.now())
        handles[0].save_token(old, now=clock.now())
        candidates = {id(h): successor(old, clock.now()) for h in handles}
        assert old.refresh_token_hash is not None
        refresh = old.refresh_token_hash
        results = _race(handles, _rotator(refresh, candidates, clock))
        kinds = Counter(type(r) for r in results)
        assert kinds == {Rotated: 1, Reused: THREADS - 1}
        winner = next(r for r in results if isinstance(r, Rotated))
        stored = handles[0].database["tokens"].count_documents({"grant_id": old.grant_id})
        assert stored == 2
        assert handles[0].query_token(winner.new.access_token_hash, now=clock.now()) == winner.new


def test_revoke_grant_racing_saves_of_the_grant_leaves_no_active_token(
    open_handle: Callable[[], MongoStorage], clock: FakeClock
) -> None:
    """Half the threads save a token of one grant, the others revoke it: write-then-check
    ordering leaves every saved token retired whatever the interleaving."""
    handles = [open_handle() for _ in range(THREADS)]
    for round_no in range(ROUNDS * 4):
        grant_id = f"race-{round_no}"
        tokens = {id(h): make_token(clock.now(), grant_id=grant_id) for h in handles[1::2]}

        def body(h: MongoStorage, tokens: dict[int, Token] = tokens, grant: str = grant_id) -> None:
            if id(h) in tokens:
                h.save_token(tokens[id(h)], now=clock.now())
            else:
                h.revoke_grant(grant, now=clock.now())

        _race(handles, body)
        active = [
            t
            for t in tokens.values()
            if handles[0].query_token(t.access_token_hash, now=clock.now()) is not None
        ]
        assert not active, f"round {round_no}: {len(active)} token(s) of the revoked grant active"
