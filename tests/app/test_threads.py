"""``threads``: how many requests run engine (storage) calls at once per worker. The app runs
them in a pool of that many threads, so excess requests queue instead of waiting for, or
opening, a storage connection beyond the pool."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from oauth2_core.app.factory import create_app
from oauth2_core.app.offload import EngineThreads
from oauth2_core.app.settings import DEFAULT_THREADS, load_settings
from oauth2_core.errors import ConfigurationError


def _threads_used(
    client: TestClient, calls: int, together: int, timeout: float = 10
) -> set[str]:
    """Run ``calls`` engine-pool calls, each waiting until ``together`` of them run at once;
    the names of the threads they ran in."""
    assert client.portal is not None
    app_threads = client.app.state.oauth2.threads  # type: ignore[attr-defined]
    meeting = threading.Barrier(together, timeout=timeout)
    names: list[str] = []

    def call() -> None:
        meeting.wait()  # BrokenBarrierError when fewer than ``together`` can run at once
        names.append(threading.current_thread().name)

    async def all_calls() -> None:
        await asyncio.gather(*(app_threads.run(call) for _ in range(calls)))

    client.portal.call(all_calls)
    assert len(names) == calls
    return set(names)


@pytest.mark.parametrize("threads", [3, DEFAULT_THREADS])
def test_engine_calls_run_in_exactly_threads_threads(threads: int) -> None:
    settings = load_settings({"storage": "memory://", "threads": threads}, {})
    with TestClient(create_app(settings)) as client:
        # ``threads`` calls at once (they meet at the barrier), never more threads than that.
        used = _threads_used(client, calls=3 * threads, together=threads)
        assert len(used) == threads
        assert all(name.startswith("oauth2-engine") for name in used)
        assert client.get("/.well-known/oauth-authorization-server").status_code == 200


def test_a_pool_of_one_thread_cannot_run_two_calls_at_once() -> None:
    settings = load_settings({"storage": "memory://", "threads": 1}, {})
    with TestClient(create_app(settings)) as client, pytest.raises(threading.BrokenBarrierError):
        _threads_used(client, calls=2, together=2, timeout=1)


def test_threads_from_flag_environment_and_config_file(tmp_path: Path) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('storage = "memory://"\nthreads = 4\n')
    assert load_settings({"config": str(config)}, {}).threads == 4
    environ = {"OAUTH2_CONFIG": str(config), "OAUTH2_THREADS": "6"}
    assert load_settings({}, environ).threads == 6
    assert load_settings({"threads": 8}, environ).threads == 8
    assert load_settings({"storage": "memory://"}, {}).threads == DEFAULT_THREADS == 8


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        ({"threads": 0}, {}, "threads must be at least 1, got 0"),
        ({}, {"OAUTH2_THREADS": "many"}, "OAUTH2_THREADS must be an integer, not 'many'"),
    ],
)
def test_bad_threads_are_refused_with_the_setting_named(
    flags: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"storage": "memory://", **flags}, environ)


def test_a_call_returns_its_result_or_raises_its_own_exception_in_the_request() -> None:
    threads = EngineThreads(2)

    def fail() -> None:
        raise KeyError("boom")

    async def calls() -> tuple[int, BaseException | None]:
        result = await threads.run(pow, 2, 10)
        try:
            await threads.run(fail)
        except KeyError as exc:
            return result, exc
        return result, None

    try:
        result, error = asyncio.run(calls())
    finally:
        threads.shutdown()
    assert result == 1024
    assert isinstance(error, KeyError) and error.args == ("boom",)


def test_a_call_whose_request_and_loop_went_away_does_not_cost_the_pool_its_thread() -> None:
    threads = EngineThreads(1)
    release = threading.Event()
    started = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "late"

    async def abandon() -> None:
        task = asyncio.ensure_future(threads.run(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()  # the client went away; the loop then closes with the call still running

    try:
        asyncio.run(abandon())
        release.set()  # the call ends after its loop closed: its result has nowhere to go
        # The only thread still serves: this call would hang if the worker had died.
        assert asyncio.run(asyncio.wait_for(threads.run(str.upper, "next"), 10)) == "NEXT"
    finally:
        release.set()
        threads.shutdown()


def test_shutdown_lets_the_threads_go_and_a_later_call_starts_them_anew() -> None:
    threads = EngineThreads(2)
    worker = asyncio.run(threads.run(threading.current_thread))
    assert worker.name.startswith("oauth2-engine")
    threads.shutdown()
    assert not worker.is_alive()
    assert asyncio.run(threads.run(sum, [1, 2, 3])) == 6
    threads.shutdown()


def test_threads_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"):
        EngineThreads(0)
