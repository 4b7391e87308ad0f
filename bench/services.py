"""The stores of one bench run: URLs for our backends, and the services behind them.

PostgreSQL and MariaDB are the machine's servers, in databases of the bench's own
(``oauth2_bench``, ``oauth2_bench_growth``), dropped and created anew by each run. Redis is a
private ``redis-server`` (the machine's binary and persistence settings: no RDB, no AOF) on a
free loopback port, so its command counters hold only our traffic; growth uses its db 1.
MongoDB is SecantusDB, a wire-protocol surrogate, on a free port.
Environment overrides: ``OAUTH2_BENCH_<BACKEND>_URL``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BACKENDS", "Backend", "bench_services"]

BACKENDS = ("memory", "sqlite", "postgresql", "mariadb", "redis", "mongodb")
DATABASE = "oauth2_bench"
GROWTH_DATABASE = "oauth2_bench_growth"

LABELS = {
    "memory": "memory (in-process)",
    "sqlite": "SQLite (WAL)",
    "postgresql": "PostgreSQL",
    "mariadb": "MariaDB",
    "redis": "Redis",
    "mongodb": "MongoDB (SecantusDB surrogate)",
}


@dataclass(frozen=True)
class Backend:
    name: str
    url: str  # what ``open_storage`` receives
    # A second, empty namespace on the same server for the growth section (10^6 tokens).
    growth_url: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def for_growth(self) -> Backend:
        return Backend(self.name, self.growth_url or self.url)


def _postgres(database: str) -> str:
    """A new, empty database (dropped first: each run starts from nothing)."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test",
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def _mariadb(database: str) -> str:
    import pymysql  # noqa: PLC0415

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")
            cursor.execute(f"CREATE DATABASE {database}")
    finally:
        conn.close()
    return f"mysql+pymysql://root@127.0.0.1:3306/{database}"


@contextlib.contextmanager
def bench_services(names: tuple[str, ...]) -> Iterator[dict[str, Backend]]:
    """Start or prepare what ``names`` need; yield one ``Backend`` per name that answers."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="oauth2-bench-")))
        found: dict[str, Backend] = {}
        for name in names:
            override = os.environ.get(f"OAUTH2_BENCH_{name.upper()}_URL")
            try:
                urls = (override, override) if override else _start(name, workdir, stack)
            except Exception as exc:  # a missing service skips its backend
                print(f"[bench] {name}: not available ({type(exc).__name__}: {exc})")
                continue
            found[name] = Backend(name, *urls)
        yield found


def _start(name: str, workdir: Path, stack: contextlib.ExitStack) -> tuple[str, str]:
    """(URL for the per-operation sections, URL of an empty namespace for growth)."""
    if name == "memory":
        return "memory://", "memory://"
    if name == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", f"sqlite:///{workdir / 'growth.db'}"
    if name == "postgresql":
        return _postgres(DATABASE), _postgres(GROWTH_DATABASE)
    if name == "mariadb":
        return _mariadb(DATABASE), _mariadb(GROWTH_DATABASE)
    if name == "redis":
        from oauth2_core_redis.local_servers import start_redis  # noqa: PLC0415

        server = start_redis(workdir / "redis")
        stack.callback(server.stop)
        return server.url, server.url.rsplit("/", 1)[0] + "/1"
    if name == "mongodb":
        from oauth2_core_mongo.testing import secantus_server  # noqa: PLC0415

        url = stack.enter_context(secantus_server(DATABASE))
        return url, url.replace(f"/{DATABASE}?", f"/{GROWTH_DATABASE}?")
    raise ValueError(f"unknown backend {name!r}")
