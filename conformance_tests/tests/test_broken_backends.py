"""The suite must FAIL each deliberately broken backend with the right check ID."""

from __future__ import annotations

import pytest
from _broken_storages import BROKEN
from oauth2_conformance.runner import run_suite


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_backend_fails_the_right_check(name: str) -> None:
    factory, expected = BROKEN[name]
    result = run_suite(factory, profile="full")
    failed = sorted(o.check.id for o in result.outcomes if o.outcome == "FAIL")
    errors = [o.check.id for o in result.outcomes if o.outcome == "ERROR"]
    print(f"{name}: FAIL {failed}")
    assert expected in failed, f"{name}: expected {expected} to fail, failures were {failed}"
    assert not errors, f"{name}: contract breaches must be FAIL, not ERROR: {errors}"
    assert result.exit_code == 1
