"""The targets of issue 9, and the ratios a run is judged by."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.records import Record
from bench.services import LABELS

__all__ = [
    "ENGINE_TARGETS",
    "FLOOR_TARGETS",
    "GROWTH_LIMIT",
    "HTTP_TARGET",
    "Ratio",
    "engine_ratios",
    "floor_ratios",
    "growth_ratios",
    "http_ratios",
]

# oauth2-core ops/s divided by Authlib ops/s, memory store, in-process: at least.
ENGINE_TARGETS = {"client_credentials": 3.0, "code_flow": 3.0, "bearer_validation": 0.5}
# oauth2-core time per op divided by the raw floor's, on each real store: at most.
FLOOR_TARGETS = {"client_credentials": 1.25, "bearer_validation": 1.15, "code_flow": 1.4}
HTTP_TARGET = 2.0  # requests/s against Authlib + Flask, at equal or lower p99
GROWTH_LIMIT = 1.2  # validation latency at 10^6 over 10^3


@dataclass(frozen=True)
class Ratio:
    backend: str
    operation: str
    value: float
    target: float
    at_least: bool  # True: value >= target passes; False: value <= target passes
    note: str = ""
    condition: bool = True  # a second requirement (HTTP: p99 not above Authlib's)

    @property
    def met(self) -> bool:
        passed = self.value >= self.target if self.at_least else self.value <= self.target
        return passed and self.condition

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"

    @property
    def target_text(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.target:g}"


def _inproc(records: list[Record]) -> dict[tuple[str, str, str], Record]:
    return {(r.backend, r.operation, r.contender): r for r in records if r.kind == "inproc"}


def engine_ratios(records: list[Record]) -> list[Ratio]:
    found = _inproc(records)
    ratios = []
    for operation, target in ENGINE_TARGETS.items():
        ours = found.get(("memory", operation, "oauth2-core"))
        peer = found.get(("memory", operation, "authlib"))
        if ours and peer:
            # ops/s over ops/s == the peer's time per op over ours
            value, note = paired_ratio(peer, ours)
            ratios.append(Ratio("memory", operation, value, target, True, note))
    return ratios


def floor_ratios(records: list[Record], contender: str = "oauth2-core") -> list[Ratio]:
    found = _inproc(records)
    ratios = []
    seen = {r.backend for r in records if r.kind == "inproc"} - {"memory"}
    backends = [b for b in LABELS if b in seen]
    for backend in backends:
        for operation, target in FLOOR_TARGETS.items():
            ours = found.get((backend, operation, contender))
            floor = found.get((backend, operation, "floor"))
            if ours and floor:
                value, note = paired_ratio(ours, floor)
                ratios.append(Ratio(backend, operation, value, target, False, note))
    return ratios


def paired_ratio(numerator: Record, denominator: Record) -> tuple[float, str]:
    """Time per operation of ``numerator`` over ``denominator``: the median of the per-round
    ratios, and a note with the middle half of them.

    The two ran in the same rounds, one right after the other, so each round's ratio is taken
    in one state of the machine; the median over the rounds is then not moved by a slow spell
    that fell on one contender's rounds more than on the other's, as a ratio of the two
    separate medians is. Records without pairable rounds (an older run's) give the ratio of
    the two medians and no note."""
    mine, theirs = numerator.extra.get("round_us"), denominator.extra.get("round_us")
    if not mine or not theirs or len(mine) != len(theirs):
        return denominator.value / numerator.value, ""  # ops/s, inverted: time per op
    each = [a / b for a, b in zip(mine, theirs, strict=True)]
    if len(each) < 2:
        return each[0], ""
    low, middle, high = statistics.quantiles(each, n=4, method="inclusive")
    return middle, f"middle half of rounds {low:.2f}-{high:.2f}"


def http_ratios(records: list[Record]) -> list[Ratio]:
    found = {(r.backend, r.operation, r.contender): r for r in records if r.kind == "http"}
    ratios = []
    for (backend, scenario, contender), ours in sorted(found.items()):
        if contender != "oauth2-core":
            continue
        peer = found.get((backend, scenario, "authlib"))
        if peer is None:
            continue
        p99_ours, p99_peer = ours.extra.get("p99_ms", 0.0), peer.extra.get("p99_ms", 0.0)
        note = f"p99 {p99_ours:.1f} ms vs Authlib {p99_peer:.1f} ms"
        ratios.append(Ratio(backend, scenario, ours.value / peer.value, HTTP_TARGET, True,
                            note, condition=p99_ours <= p99_peer))
    return ratios


def growth_ratios(records: list[Record]) -> list[Ratio]:
    by_backend: dict[str, list[Record]] = {}
    raw: dict[str, list[Record]] = {}
    for record in records:
        if record.kind == "growth":
            target = by_backend if record.contender == "oauth2-core" else raw
            target.setdefault(record.backend, []).append(record)
    ratios = []
    for backend, rows in by_backend.items():
        rows.sort(key=lambda r: r.extra["stored"])
        if len(rows) >= 2:
            small, large = rows[0], rows[-1]
            note = f"{small.extra['stored']:,} -> {large.extra['stored']:,} tokens"
            if large.extra.get("note"):
                note += f"; {large.extra['note']}"
            lookups = sorted(raw.get(backend, []), key=lambda r: r.extra["stored"])
            if len(lookups) >= 2:
                note += f"; raw lookup {lookups[-1].value / lookups[0].value:.2f}"
            ratios.append(Ratio(backend, "bearer_validation", large.value / small.value,
                                GROWTH_LIMIT, False, note))
    return ratios
