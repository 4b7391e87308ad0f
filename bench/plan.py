"""What one run measures and how long it spends: ``--quick`` for development, full for docs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SECTIONS", "Plan"]

SECTIONS = ("inproc", "roundtrips", "http", "growth")


@dataclass(frozen=True)
class Plan:
    quick: bool
    backends: tuple[str, ...]
    operations: tuple[str, ...]
    sections: tuple[str, ...]

    def is_reference(self) -> bool:
        """A full run of everything: the only kind whose figures go into the user's guide."""
        from bench.operations import OPERATIONS  # noqa: PLC0415
        from bench.services import BACKENDS  # noqa: PLC0415

        every = (set(self.backends), set(self.operations), set(self.sections))
        return not self.quick and every == (set(BACKENDS), set(OPERATIONS), set(SECTIONS))

    @property
    def rounds(self) -> int:
        return 5 if self.quick else 41

    @property
    def round_seconds(self) -> float:
        return 0.05

    @property
    def roundtrip_repeats(self) -> int:
        return 20 if self.quick else 100

    @property
    def http_rounds(self) -> int:
        """wrk runs per contender and scenario, alternating between the contenders."""
        return 2 if self.quick else 4

    @property
    def http_round_seconds(self) -> int:
        return 2 if self.quick else 4

    @property
    def http_connections(self) -> int:
        return 16

    @property
    def http_workers(self) -> int:
        # uvicorn --workers N (0.54) binds its socket without IPPROTO_TCP, so asyncio never
        # sets TCP_NODELAY on accepted connections: Nagle plus delayed ACK put a 40 ms floor
        # under every response, for both apps alike. One worker keeps the figures meaningful
        # (and leaves the second core to wrk).
        return 1

    @property
    def growth_sizes(self) -> tuple[int, ...]:
        return (1_000, 10_000) if self.quick else (1_000, 1_000_000)

    @property
    def purge_size(self) -> int:
        return 2_000 if self.quick else 100_000

    @property
    def growth_budget_seconds(self) -> float:
        """How long loading one size may take; past it the figure says how many were stored.
        MariaDB takes about 150 s to reach 10^6 on the 2-core VM (InnoDB slows once the table
        outgrows its 128 MiB buffer pool); SecantusDB slows to about 1,000 documents/s past
        400,000 and reaches about 550,000 in this time."""
        return 30.0 if self.quick else 240.0

    @property
    def purge_budget_seconds(self) -> float:
        """The purge of 10^5 runs only where 10^4 took less than a tenth of this."""
        return 15.0 if self.quick else 50.0
