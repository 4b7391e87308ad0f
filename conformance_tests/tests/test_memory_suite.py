"""The pytest front door on the reference backend: every check passes or is skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oauth2_conformance import ConformanceSuite
from oauth2_conformance.harnesses.memory import MemoryHarness, make_harness


class TestMemory(ConformanceSuite):
    oauth2_profile = "full"

    @pytest.fixture(scope="class")
    @classmethod
    def oauth2_harness(cls) -> Iterator[MemoryHarness]:
        harness = make_harness(None)
        yield harness
        harness.close()
