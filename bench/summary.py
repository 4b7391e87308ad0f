"""The markdown summary of one run: every figure, every ratio against its target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.operations import OPERATIONS
from bench.records import Record
from bench.services import LABELS
from bench.targets import Ratio, engine_ratios, floor_ratios, growth_ratios, http_ratios

__all__ = ["update_reference", "write_summary"]

_BLOCK_START = "<!-- results:start -->"
_BLOCK_END = "<!-- results:end -->"

COMMAND = "uv run nox -s bench"
CONTENDERS = ("oauth2-core", "authlib", "floor")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _ratio_rows(ratios: list[Ratio]) -> list[list[str]]:
    return [
        [LABELS.get(r.backend, r.backend), r.operation, f"{r.value:.2f}", r.target_text,
         r.verdict, r.note]
        for r in ratios
    ]


def _index(records: list[Record], kind: str) -> dict[tuple[str, str, str], Record]:
    return {(r.backend, r.operation, r.contender): r for r in records if r.kind == kind}


def _backends(records: list[Record], kind: str) -> list[str]:
    seen = {r.backend for r in records if r.kind == kind}
    return [b for b in LABELS if b in seen]


def _inproc_section(records: list[Record]) -> list[str]:
    found = _index(records, "inproc")
    trips = _index(records, "roundtrips")
    lines = ["## Per operation, in process", "",
             "Median time per operation (microseconds) over the rounds, operations per "
             "second in brackets; round trips per operation from the store's own view.", ""]
    for backend in _backends(records, "inproc"):
        rows = []
        for operation in OPERATIONS:
            row = [operation]
            for contender in CONTENDERS:
                record = found.get((backend, operation, contender))
                row.append("" if record is None else
                           f"{record.extra['us_per_op']:,.1f} ({record.value:,.0f}/s)")
            for contender in CONTENDERS:
                trip = trips.get((backend, operation, contender))
                row.append("" if trip is None else f"{trip.value:g}")
            rows.append(row)
        lines += [f"### {LABELS[backend]}", ""]
        lines += _table(["operation", "oauth2-core us", "Authlib us", "floor us",
                         "RT ours", "RT Authlib", "RT floor"], rows)
    return lines


def _roundtrip_details(records: list[Record]) -> list[str]:
    rows = []
    for record in records:
        if record.kind != "roundtrips":
            continue
        detail = ", ".join(f"{k.removeprefix('cmd:')} {v:g}" for k, v in record.extra.items())
        rows.append([LABELS[record.backend], record.operation, record.contender,
                     f"{record.value:g}", detail])
    if not rows:
        return []
    return ["## Round trips in detail", "",
            "SQLite: statements the SQLite library ran (trace callback). PostgreSQL: statements "
            "in the server log (`log_statement = 'all'` on the bench's sessions), beside "
            "psycopg cursor executions and pool checkouts. MariaDB: protocol commands PyMySQL "
            "sent (pings included). "
            "Redis: socket round trips, beside server commands from `INFO commandstats` "
            "(commands run inside Lua scripts included). MongoDB: commands seen by a pymongo "
            "`CommandListener`.", "",
            *_table(["store", "operation", "contender", "round trips", "breakdown per op"],
                    rows)]


def _http_method(first: dict[str, Any]) -> str:
    workers = f"{first['workers']} worker{'s' if first['workers'] != 1 else ''}"
    rounds = int(first.get("rounds", 1))
    each = first["seconds"] / rounds
    return (f"`wrk -t1 -c{first['connections']} -d{each:g}s --latency` from a separate process "
            f"over loopback, after a 2 s warm-up, {rounds} round{'s' if rounds != 1 else ''} per "
            "server alternating between the two (ABBA); both servers under uvicorn with "
            f"{workers} each, one under load at a time. Requests/s over all rounds, p50 and p99 "
            "of the median round.")


def _http_section(records: list[Record]) -> list[str]:
    rows = []
    for record in records:
        if record.kind != "http":
            continue
        extra = record.extra
        rows.append([LABELS[record.backend], record.operation, record.contender,
                     f"{record.value:,.0f}", f"{extra.get('p50_ms', 0):.1f}",
                     f"{extra.get('p99_ms', 0):.1f}", f"{extra.get('non_2xx', 0):.0f}"])
    if not rows:
        return []
    first = next(r for r in records if r.kind == "http").extra
    return ["## Over HTTP", "",
            _http_method(first), "",
            *_table(["store", "scenario", "server", "requests/s", "p50 ms", "p99 ms",
                     "non-2xx"], rows)]


def _growth_section(records: list[Record]) -> list[str]:
    lines: list[str] = []
    rows = [[LABELS[r.backend], f"{r.extra['stored']:,}", r.contender, f"{r.value:,.1f}",
             f"{r.extra['load_seconds']:.0f} s ({r.extra['load_path']})", r.extra.get("note", "")]
            for r in records if r.kind == "growth"]
    if rows:
        lines += ["## Growth", "", "Bearer validation through the engine, tokens picked at "
                  "random among those stored; beside it, one raw driver read of the same token "
                  "on the backend's own table, collection or key (the store's own growth).", "",
                  *_table(["store", "stored tokens", "measured", "us per op", "load time",
                           "note"], rows)]
    purge = [[LABELS[r.backend], f"{r.extra['expired_tokens']:,}", f"{r.value:.2f}",
              f"{r.extra['purged']:,}"] for r in records if r.kind == "purge"]
    if purge:
        lines += ["### Purge of expired tokens", "", "`purge_expired(now=..., batch_size=1000)`"
                  " over a store holding the expired tokens and the run's live ones.", "",
                  *_table(["store", "expired tokens", "seconds", "records purged"], purge)]
    sizes = [[LABELS[r.backend], f"{r.value:,.0f}", r.extra.get("method", ""),
              ", ".join(f"{k} {v:,.0f}" for k, v in r.extra.items()
                        if isinstance(v, int | float) and k != "tokens")]
             for r in records if r.kind == "size"]
    if sizes:
        lines += ["### Bytes per stored token", "",
                  *_table(["store", "bytes/token", "method", "also"], sizes)]
    return lines


def _header(facts: dict[str, str]) -> list[str]:
    return [
        f"Written by `{COMMAND}` ({facts.get('mode', '')} run, {facts.get('duration', '')}) on "
        f"{facts.get('when', '')}. Machine: {facts.get('cpu', '')}, {facts.get('nproc', '')} "
        f"cores, {facts.get('memory', '')} RAM, load {facts.get('load', '')} at start, Python "
        f"{facts.get('python', '')}, kernel {facts.get('kernel', '')}.", "",
        f"Servers: {facts.get('servers', '')}. Packages: {facts.get('packages', '')}.", "",
        "MongoDB figures come from SecantusDB, a MongoDB wire-protocol surrogate, not mongod.", "",
    ]


def _ratios(records: list[Record]) -> list[str]:
    lines: list[str] = []
    header = ["store", "operation", "ratio", "target", "verdict", "note"]
    engine = engine_ratios(records)
    if engine:
        lines += ["Engine alone (memory store, in process): oauth2-core ops/s over Authlib's, "
                  "the median of the per-round ratios.", "",
                  *_table(header, _ratio_rows(engine))]
    floors = floor_ratios(records)
    if floors:
        peer = {(r.backend, r.operation): r.value for r in floor_ratios(records, "authlib")}
        rows = _ratio_rows(floors)
        for row, ratio in zip(rows, floors, strict=True):
            authlib = peer.get((ratio.backend, ratio.operation))
            notes = [f"Authlib {authlib:.2f}" if authlib is not None else "", ratio.note]
            row[-1] = "; ".join(note for note in notes if note)
        lines += ["Over each real store: oauth2-core time per operation over the raw floor's, "
                  "the median of the per-round ratios.",
                  "", *_table(header, rows)]
    http = http_ratios(records)
    if http:
        lines += ["Over HTTP: oauth2-core requests/s over Authlib + Flask's, p99 not higher.", "",
                  *_table(header, _ratio_rows(http))]
    growth = growth_ratios(records)
    if growth:
        lines += ["Growth: validation time at the largest size over the smallest.", "",
                  *_table(header, _ratio_rows(growth))]
    errors = [r for r in records if r.kind == "error"]
    if errors:
        lines += ["Not measured:", "",
                  *[f"- {r.backend} / {r.operation} / {r.contender}: {_short(r.extra['error'])}"
                    for r in errors], ""]
    return lines


def _short(message: str, limit: int = 300) -> str:
    """A driver error can carry every failed document: the summary keeps its head."""
    return message if len(message) <= limit else message[:limit] + " [...]"


def write_summary(records: list[Record], facts: dict[str, str], charts: list[Path],
                  path: Path) -> Path:
    lines = ["# Benchmark results (generated)", "", *_header(facts),
             "## Ratios against the targets", "", *_ratios(records)]
    lines += _inproc_section(records)
    lines += _roundtrip_details(records)
    lines += _http_section(records)
    lines += _growth_section(records)
    if charts:
        lines += ["## Charts", "", *[f"![{c.stem}]({c.name})" for c in charts], ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def update_reference(records: list[Record], facts: dict[str, str], charts: list[Path],
                     guide: Path) -> None:
    """Replace the results block of docs/performance.md (between its markers) with this run's
    header, ratio tables and charts, so the guide and the summary never disagree."""
    text = guide.read_text()
    begin, end = text.index(_BLOCK_START), text.index(_BLOCK_END)
    block = ["### Reference run", "", *_header(facts), "#### Every ratio against its target", "",
             *_ratios(records), "#### Charts", "",
             *[f"![{c.stem}](performance/{c.name})\n" for c in charts],
             "Every figure of the run (per-operation times, round trips in detail, HTTP "
             "latencies, growth, purge and sizes) is in [the generated summary]"
             "(performance/summary.md)."]
    guide.write_text(text[:begin + len(_BLOCK_START)] + "\n" + "\n".join(block) + "\n"
                     + text[end:])
