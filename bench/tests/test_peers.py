"""The peers do the work they are credited with: real flows, single-use codes, rotation."""

from __future__ import annotations

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
