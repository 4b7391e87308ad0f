"""PNG charts for docs/performance/, drawn with matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.operations import OPERATIONS
from bench.records import Record
from bench.services import LABELS
from bench.targets import FLOOR_TARGETS, floor_ratios

__all__ = ["render_charts"]

COLORS = {"oauth2-core": "#1f77b4", "authlib": "#ff7f0e", "floor": "#7f7f7f"}
SHORT = {"client_credentials": "issue", "bearer_validation": "validate", "code_flow": "code flow",
         "refresh": "refresh", "revocation": "revoke", "bearer_resource": "bearer"}
SHORT_OPS = [SHORT[op] for op in OPERATIONS]


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _grouped(ax: plt.Axes, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        xs = [i + (index - (len(series) - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, values, width, label=name, color=COLORS.get(name))
    ax.set_xticks(range(len(groups)), groups, rotation=20, ha="right")
    ax.legend(fontsize=8)


def _engine_chart(records: list[Record], out: Path) -> Path | None:
    found = {(r.operation, r.contender): r.value for r in records
             if r.kind == "inproc" and r.backend == "memory"}
    if not found:
        return None
    fig, ax = plt.subplots(figsize=(8, 4))
    series = {c: [found.get((op, c), 0.0) for op in OPERATIONS] for c in ("oauth2-core", "authlib")}
    _grouped(ax, SHORT_OPS, series)
    ax.set_yscale("log")
    ax.set_ylabel("operations per second (log)")
    ax.set_title("Engine alone, memory store, in process")
    return _save(fig, out / "engine-memory.png")


def _floor_chart(records: list[Record], out: Path) -> Path | None:
    ours = floor_ratios(records)
    if not ours:
        return None
    peer = {(r.backend, r.operation): r.value for r in floor_ratios(records, "authlib")}
    operations = list(FLOOR_TARGETS)
    fig, axes = plt.subplots(1, len(operations), figsize=(12, 4), sharey=False)
    for ax, operation in zip(axes, operations, strict=True):
        rows = [r for r in ours if r.operation == operation]
        groups = [LABELS[r.backend].split(" (")[0] for r in rows]
        series = {"oauth2-core": [r.value for r in rows],
                  "authlib": [peer.get((r.backend, operation), 0.0) for r in rows]}
        _grouped(ax, groups, series)
        ax.axhline(FLOOR_TARGETS[operation], color="red", linestyle="--", linewidth=1)
        ax.axhline(1.0, color="black", linewidth=0.5)
        ax.set_yscale("log")
        ax.set_title(f"{operation} (target <= {FLOOR_TARGETS[operation]:g})", fontsize=9)
        ax.set_ylabel("time per op / raw floor (log)")
    return _save(fig, out / "floor-ratios.png")


def _roundtrip_chart(records: list[Record], out: Path) -> Path | None:
    rows = [r for r in records if r.kind == "roundtrips"]
    if not rows:
        return None
    backends = [b for b in LABELS if any(r.backend == b for r in rows)]
    fig, axes = plt.subplots(1, len(backends), figsize=(3.2 * len(backends), 4), sharey=True)
    axes = axes if len(backends) > 1 else [axes]
    for ax, backend in zip(axes, backends, strict=True):
        found = {(r.operation, r.contender): r.value for r in rows if r.backend == backend}
        series = {c: [found.get((op, c), 0.0) for op in OPERATIONS]
                  for c in ("oauth2-core", "authlib", "floor")}
        _grouped(ax, SHORT_OPS, series)
        ax.set_title(LABELS[backend], fontsize=9)
    axes[0].set_ylabel("round trips per operation")
    return _save(fig, out / "round-trips.png")


def _http_chart(records: list[Record], out: Path) -> Path | None:
    rows = [r for r in records if r.kind == "http"]
    if not rows:
        return None
    groups = sorted({(r.backend, r.operation) for r in rows})
    found = {(r.backend, r.operation, r.contender): r for r in rows}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [f"{LABELS[b].split(' (')[0]}\n{SHORT.get(op, op)}" for b, op in groups]
    for ax, key, label in ((left, None, "requests per second"), (right, "p99_ms", "p99 (ms)")):
        series = {}
        for contender in ("oauth2-core", "authlib"):
            values = []
            for backend, op in groups:
                record = found.get((backend, op, contender))
                values.append(0.0 if record is None else
                              (record.value if key is None else record.extra.get(key, 0.0)))
            series[contender] = values
        _grouped(ax, names, series)
        ax.set_ylabel(label)
    left.set_title("HTTP: requests/s")
    right.set_title("HTTP: p99 latency")
    return _save(fig, out / "http.png")


def _growth_chart(records: list[Record], out: Path) -> Path | None:
    rows = [r for r in records if r.kind == "growth" and r.contender == "oauth2-core"]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 4))
    for backend in LABELS:
        points = sorted((r.extra["stored"], r.value) for r in rows if r.backend == backend)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                    label=LABELS[backend])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stored tokens")
    ax.set_ylabel("microseconds per validation")
    ax.set_title("Bearer validation as the store grows")
    ax.legend(fontsize=8)
    return _save(fig, out / "growth.png")


def render_charts(records: list[Record], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    charts = [
        _engine_chart(records, out), _floor_chart(records, out), _roundtrip_chart(records, out),
        _http_chart(records, out), _growth_chart(records, out),
    ]
    return [c for c in charts if c is not None]
