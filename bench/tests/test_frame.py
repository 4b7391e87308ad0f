"""The bench's own machinery: behaviour only, never timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.http_load import combine, parse_wrk
from bench.records import Record
from bench.summary import write_summary
from bench.targets import engine_ratios, floor_ratios, growth_ratios, http_ratios
from bench.timing import CallOp, Contender, measure
from bench.workload import WORKLOAD, code_from_location

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000/token
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.90ms    3.10ms  40.00ms   80.00%
  Latency Distribution
     50%  11.60ms
     75%  13.00ms
     90%  15.00ms
     99%  23.80ms
  4059 requests in 3.00s, 1.20MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   1353.01
Transfer/sec:    400.00KB
"""


def inproc(backend: str, operation: str, contender: str, ops: float) -> Record:
    return Record("inproc", backend, operation, contender, ops, "ops/s",
                  {"us_per_op": 1e6 / ops, "spread": 0.1, "rounds": 3, "ops_per_round": 10})


def test_measure_runs_every_contender_in_every_round() -> None:
    calls = {"a": 0, "b": 0}

    def bump(name: str) -> None:
        calls[name] += 1

    timings = measure(
        [Contender("a", CallOp(lambda: bump("a"))), Contender("b", CallOp(lambda: bump("b")))],
        rounds=3, round_seconds=0.01, cap=50,
    )
    assert [t.contender for t in timings] == ["a", "b"]
    assert all(len(t.rounds) == 3 and t.seconds_per_op > 0 for t in timings)
    assert calls["a"] >= 3 * timings[0].ops_per_round


def test_parse_wrk_reads_rate_percentiles_and_errors() -> None:
    figures = parse_wrk(WRK_OUTPUT)
    assert figures["requests_per_second"] == pytest.approx(1353.01)
    assert figures["p50_ms"] == pytest.approx(11.6)
    assert figures["p99_ms"] == pytest.approx(23.8)
    assert figures["non_2xx"] == 7
    assert figures["socket_errors"] == 3
    assert figures["requests"] == 4059


def test_http_rounds_combine_into_one_rate_and_the_median_rounds_percentiles() -> None:
    rounds = [
        {"requests": 4000.0, "p50_ms": 10.0, "p99_ms": 30.0, "non_2xx": 0.0, "socket_errors": 0.0},
        {"requests": 2000.0, "p50_ms": 20.0, "p99_ms": 90.0, "non_2xx": 2.0, "socket_errors": 1.0},
        {"requests": 3000.0, "p50_ms": 15.0, "p99_ms": 40.0, "non_2xx": 0.0, "socket_errors": 0.0},
    ]
    figures = combine(rounds, seconds=4)
    assert figures["requests_per_second"] == 9000 / 12
    assert (figures["p50_ms"], figures["p99_ms"]) == (15.0, 40.0)
    assert (figures["requests"], figures["non_2xx"], figures["socket_errors"]) == (9000, 2, 1)


def test_code_from_location_finds_the_code_among_other_parameters() -> None:
    location = "https://client.example/cb?state=x&code=a%2Bb&iss=https%3A%2F%2Fas"
    assert code_from_location(location) == "a+b"
    with pytest.raises(AssertionError):
        code_from_location("https://client.example/cb?error=access_denied")


def test_bodies_quote_only_what_needs_quoting() -> None:
    assert WORKLOAD.revoke_body("abc_-") == "token=abc_-"
    assert WORKLOAD.revoke_body("a b/c") == "token=a%20b%2Fc"


def test_ratios_are_judged_against_the_issue_targets() -> None:
    records = [
        inproc("memory", "client_credentials", "oauth2-core", 3000),
        inproc("memory", "client_credentials", "authlib", 1000),
        inproc("memory", "bearer_validation", "oauth2-core", 400),
        inproc("memory", "bearer_validation", "authlib", 1000),
        inproc("redis", "bearer_validation", "oauth2-core", 900),
        inproc("redis", "bearer_validation", "floor", 1000),
        inproc("redis", "client_credentials", "oauth2-core", 500),
        inproc("redis", "client_credentials", "floor", 1000),
    ]
    engine = {r.operation: r for r in engine_ratios(records)}
    assert engine["client_credentials"].met and engine["client_credentials"].value == 3.0
    assert not engine["bearer_validation"].met
    floors = {r.operation: r for r in floor_ratios(records)}
    assert floors["bearer_validation"].value == pytest.approx(1000 / 900)
    assert floors["bearer_validation"].met
    assert not floors["client_credentials"].met


def _rounds(backend: str, operation: str, contender: str, round_us: list[float]) -> Record:
    middle = sorted(round_us)[len(round_us) // 2]
    return Record("inproc", backend, operation, contender, 1e6 / middle, "ops/s",
                  {"us_per_op": middle, "round_us": round_us})


def test_a_floor_ratio_is_the_median_of_the_per_round_ratios() -> None:
    """A slow spell that fell on more of one contender's rounds moves the ratio of the two
    medians (here 2.4), not the rounds' own ratios."""
    ours = _rounds("postgresql", "bearer_validation", "oauth2-core", [120, 240, 120, 240, 240])
    floor = _rounds("postgresql", "bearer_validation", "floor", [100, 200, 100, 100, 200])
    (ratio,) = floor_ratios([ours, floor])
    assert ratio.value == pytest.approx(1.2)
    assert ratio.note == "middle half of rounds 1.20-1.20"
    ours = _rounds("postgresql", "bearer_validation", "oauth2-core", [1100, 1300, 1000])
    floor = _rounds("postgresql", "bearer_validation", "floor", [1000, 1000, 1000])
    (ratio,) = floor_ratios([ours, floor])
    assert ratio.value == pytest.approx(1.1)
    assert ratio.note == "middle half of rounds 1.05-1.20"
    # Rounds that cannot be paired (an older run's records): the ratio of the medians.
    (ratio,) = floor_ratios([ours, _rounds("postgresql", "bearer_validation", "floor", [1000])])
    assert ratio.value == pytest.approx(1.1)
    assert ratio.note == ""


def test_an_engine_ratio_pairs_the_rounds_too() -> None:
    ours = _rounds("memory", "code_flow", "oauth2-core", [10, 20, 10])
    peer = _rounds("memory", "code_flow", "authlib", [40, 40, 50])
    (ratio,) = engine_ratios([ours, peer])
    assert ratio.value == pytest.approx(4.0)  # per round 4.0, 2.0, 5.0
    assert ratio.note == "middle half of rounds 3.00-4.50"
    assert ratio.met


def test_http_ratio_needs_both_throughput_and_no_worse_p99() -> None:
    records = [
        Record("http", "redis", "client_credentials", "oauth2-core", 3000, "requests/s",
               {"p99_ms": 30.0}),
        Record("http", "redis", "client_credentials", "authlib", 1000, "requests/s",
               {"p99_ms": 20.0}),
    ]
    (ratio,) = http_ratios(records)
    assert ratio.value == 3.0
    assert not ratio.met


def test_growth_compares_the_largest_size_with_the_smallest() -> None:
    records = [
        Record("growth", "redis", "bearer_validation", "oauth2-core", us, "us/op",
               {"stored": stored, "target": stored, "load_path": "batched",
                "load_seconds": 1.0, "note": ""})
        for stored, us in ((1_000_000, 110.0), (1_000, 100.0))
    ]
    (ratio,) = growth_ratios(records)
    assert ratio.value == pytest.approx(1.1)
    assert ratio.met


def test_summary_lists_every_ratio_with_its_verdict(tmp_path: Path) -> None:
    records = [
        inproc("memory", "client_credentials", "oauth2-core", 2000),
        inproc("memory", "client_credentials", "authlib", 1000),
        Record("error", "mongodb", "*", "oauth2-core", 0.0, "", {"error": "boom"}),
    ]
    path = write_summary(records, {"mode": "quick", "cpu": "test cpu"}, [], tmp_path / "s.md")
    text = path.read_text()
    assert "| memory (in-process) | client_credentials | 2.00 | >= 3 | MISSED |" in text
    assert "mongodb / * / oauth2-core: boom" in text
    assert "test cpu" in text


def test_growth_loading_stops_with_a_note_when_the_store_fails() -> None:
    import time  # noqa: PLC0415

    from bench.growth import _load, _Tokens  # noqa: PLC0415
    from bench.services import Backend  # noqa: PLC0415
    from oauth2_core.storage.memory import MemoryStorage  # noqa: PLC0415

    class FailingAfter(MemoryStorage):
        def __init__(self, allowed: int) -> None:
            super().__init__()
            self.allowed = allowed

        def save_token(self, token, *, now):  # type: ignore[no-untyped-def]
            if self.allowed == 0:
                raise RuntimeError("internal server error")
            self.allowed -= 1
            super().save_token(token, now=now)

    tokens = _Tokens()
    storage = FailingAfter(allowed=10_000)  # the first chunk only
    path, note = _load(Backend("memory", "memory://"), storage, tokens, 25_000,
                       time.monotonic() + 60)
    assert (path, tokens.count) == ("save_token", 10_000)
    assert note == "stopped at 10000 (the store failed: RuntimeError)"

    path, note = _load(Backend("memory", "memory://"), MemoryStorage(), _Tokens(), 25_000,
                       time.monotonic() - 1)
    assert (path, note) == ("", "stopped at 0 (time budget)")


def test_a_failed_purge_is_recorded_and_leaves_the_store_to_the_growth_figures(
    tmp_path: Path,
) -> None:
    from bench.growth import _purge  # noqa: PLC0415
    from bench.plan import Plan  # noqa: PLC0415
    from bench.records import ResultLog  # noqa: PLC0415
    from bench.services import Backend  # noqa: PLC0415
    from oauth2_core.errors import StorageUnavailable  # noqa: PLC0415
    from oauth2_core.storage.memory import MemoryStorage  # noqa: PLC0415

    class TimingOut(MemoryStorage):
        def purge_expired(self, *, now, batch_size=1000):  # type: ignore[no-untyped-def]
            raise StorageUnavailable("mongodb purge expired: NetworkTimeout")

    log = ResultLog(tmp_path / "run.jsonl")
    plan = Plan(True, ("memory",), ("bearer_validation",), ("growth",))
    _purge(plan, Backend("memory", "memory://"), TimingOut(), log)  # does not raise
    (error,) = log.find("error")
    assert (error.backend, error.operation, error.contender) == ("memory", "purge_expired", "purge")
    assert error.extra["error"] == (
        f"purge of {plan.purge_size // 10:,} expired: StorageUnavailable: "
        "mongodb purge expired: NetworkTimeout"
    )
    assert not log.find("purge")
