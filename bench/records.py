"""Result records: one JSON object per line under ``bench/results/``."""

from __future__ import annotations

import json
import platform
import re
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Record", "ResultLog", "machine_facts"]


@dataclass(frozen=True)
class Record:
    """One measured figure. ``kind`` says which section produced it."""

    kind: str  # "inproc" | "roundtrips" | "http" | "growth" | "size" | "purge"
    backend: str
    operation: str
    contender: str  # "oauth2-core" | "authlib" | "floor"
    value: float
    unit: str
    extra: dict[str, Any] = field(default_factory=dict)


class ResultLog:
    """Appends records to a JSON lines file and keeps them in memory for the summary."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.records: list[Record] = []
        self._file = path.open("w", encoding="utf-8")

    def add(self, record: Record) -> None:
        self.records.append(record)
        self._file.write(json.dumps(asdict(record), sort_keys=True) + "\n")
        self._file.flush()

    def find(self, kind: str, **match: str) -> list[Record]:
        return [
            r for r in self.records
            if r.kind == kind and all(getattr(r, k) == v for k, v in match.items())
        ]

    def close(self) -> None:
        self._file.close()


def _run(*argv: str) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
        return (result.stdout or result.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


PACKAGES = ("authlib", "SQLAlchemy", "psycopg", "PyMySQL", "redis", "pymongo", "secantusdb",
            "uvicorn", "starlette", "flask")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def _servers() -> str:
    import sqlite3  # noqa: PLC0415

    found = [f"SQLite {sqlite3.sqlite_version}"]
    probes = (
        ("PostgreSQL", r"^(\S+)", ("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test",
                                   "-Atc", "SHOW server_version")),
        ("MariaDB", r"^([\d.]+)", ("mysql", "-h127.0.0.1", "-uroot", "-N", "-e",
                                   "SELECT VERSION()")),
        ("Redis", r"v=(\S+)", ("redis-server", "--version")),
        ("wrk", r"wrk (\S+)", ("wrk", "--version")),
    )
    for label, pattern, argv in probes:
        match = re.search(pattern, _run(*argv))
        if match:
            found.append(f"{label} {match[1]}")
    return ", ".join(found)


def machine_facts() -> dict[str, str]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = _run("free", "-h").splitlines()
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "nproc": _run("nproc"),
        "memory": memory[1].split()[1] if len(memory) > 1 else "",
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "packages": _versions(),
        "servers": _servers(),
    }
