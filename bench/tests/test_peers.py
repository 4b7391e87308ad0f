"""The peers do the work they are credited with: real flows, single-use codes, rotation."""

from __future__ import annotations

import os

import pytest

from bench.contenders import contenders_for
from bench.operations import OPERATIONS, make_operation
from bench.services import Backend


@pytest.fixture
def memory_contenders():  # type: ignore[no-untyped-def]
    with contenders_for(Backend("memory", "memory://"), ("oauth2-core", "authlib")) as found:
        yield found


@pytest.mark.parametrize("contender", ["oauth2-core", "authlib"])
def test_every_operation_runs(memory_contenders, contender: str) -> None:  # type: ignore[no-untyped-def]
    if contender not in memory_contenders.drivers:
        pytest.skip(memory_contenders.errors.get(contender, "unavailable"))
    driver = memory_contenders.drivers[contender]
    for operation in OPERATIONS:
        op = make_operation(operation, driver)
        op.prepare(3)
        for _ in range(3):
            op()


@pytest.mark.parametrize("contender", ["oauth2-core", "authlib"])
def test_a_code_is_single_use(memory_contenders, contender: str) -> None:  # type: ignore[no-untyped-def]
    if contender not in memory_contenders.drivers:
        pytest.skip(memory_contenders.errors.get(contender, "unavailable"))
    driver = memory_contenders.drivers[contender]
    code = driver.authorize()
    driver.exchange(code)
    with pytest.raises(AssertionError):
        driver.exchange(code)


@pytest.mark.parametrize("contender", ["oauth2-core", "authlib"])
def test_refresh_rotates(memory_contenders, contender: str) -> None:  # type: ignore[no-untyped-def]
    if contender not in memory_contenders.drivers:
        pytest.skip(memory_contenders.errors.get(contender, "unavailable"))
    driver = memory_contenders.drivers[contender]
    first = driver.exchange(driver.authorize())[1]
    second = driver.refresh(first)
    assert second != first
    with pytest.raises(AssertionError):
        driver.refresh(first)


@pytest.mark.parametrize("contender", ["oauth2-core", "authlib"])
def test_revoked_tokens_fail_validation(memory_contenders, contender: str) -> None:  # type: ignore[no-untyped-def]
    if contender not in memory_contenders.drivers:
        pytest.skip(memory_contenders.errors.get(contender, "unavailable"))
    driver = memory_contenders.drivers[contender]
    token = driver.client_credentials()
    driver.validate(token)
    driver.revoke(token)
    with pytest.raises(Exception):  # noqa: B017 - each server raises its own error type
        driver.validate(token)


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_sql_servers_floor_runs_on_the_session_of_our_lookups(backend: str) -> None:
    # One server session for both contenders: two sessions were scheduled on the client's
    # core or the other independently, and their round trips differed fourfold.
    from bench.services import _mariadb, _postgres  # noqa: PLC0415

    try:
        url = (_postgres if backend == "postgresql" else _mariadb)("oauth2_bench_floor_test")
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{backend} not reachable: {exc}")
    with contenders_for(Backend(backend, url), ("oauth2-core", "floor")) as found:
        floor = found.drivers["floor"]
        lease = found.storage._runner._threads.get()  # type: ignore[union-attr]
        assert floor.conn is lease.dbapi_connection
        for name in ("client_credentials", "bearer_validation", "code_flow"):
            for driver in found.drivers.values():
                op = make_operation(name, driver)
                op.prepare(3)
                for _ in range(3):
                    op()
        assert found.storage._runner._threads.get() is lease  # type: ignore[union-attr]
