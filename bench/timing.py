"""Interleaved timing: every contender of one comparison runs in the same rounds.

Each round runs every contender for about ``round_seconds`` (order rotated per round), and the
figure kept is the median over rounds of the mean time per operation. Ratios taken this way
share the machine's noise, which is the point of measuring peers in one run.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Contender", "Operation", "Timing", "measure"]


class Operation:
    """One operation of one contender: ``prepare(n)`` untimed, then ``n`` timed calls."""

    def prepare(self, n: int) -> None:
        """Make inputs for the next ``n`` calls (tokens to revoke, a refresh chain...)."""

    def __call__(self) -> None:
        raise NotImplementedError


class CallOp(Operation):
    def __init__(self, func: Callable[[], object]) -> None:
        self._func = func

    def __call__(self) -> None:
        self._func()


@dataclass(frozen=True)
class Contender:
    name: str
    op: Operation


@dataclass(frozen=True)
class Timing:
    contender: str
    seconds_per_op: float  # median over rounds
    rounds: tuple[float, ...]
    ops_per_round: int

    @property
    def ops_per_second(self) -> float:
        return 1.0 / self.seconds_per_op

    @property
    def spread(self) -> float:
        """(max - min) / median of the per-round means: how noisy the rounds were."""
        return (max(self.rounds) - min(self.rounds)) / self.seconds_per_op


def _calibrate(op: Operation, round_seconds: float, cap: int) -> int:
    n = 4
    while True:
        op.prepare(n)
        start = time.perf_counter()
        for _ in range(n):
            op()
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 8 or n >= cap:
            per_op = elapsed / n
            return max(8, min(cap, int(round_seconds / per_op)))
        n *= 4


def measure(
    contenders: Sequence[Contender], *, rounds: int, round_seconds: float, cap: int = 200_000
) -> list[Timing]:
    sizes = [_calibrate(c.op, round_seconds, cap) for c in contenders]
    per_round: list[list[float]] = [[] for _ in contenders]
    for index in range(rounds):
        order = list(range(len(contenders)))
        order = order[index % len(order):] + order[: index % len(order)]
        for i in order:
            op, n = contenders[i].op, sizes[i]
            op.prepare(n)
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                op()
            per_round[i].append((time.perf_counter() - start) / n)
    return [
        Timing(c.name, statistics.median(times), tuple(times), n)
        for c, times, n in zip(contenders, per_round, sizes, strict=True)
    ]
