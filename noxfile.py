"""The one test command: ``uv run nox``.

Sessions run inside the uv workspace environment that ``uv run`` has already synced (no
per-session virtualenvs), so every session sees the same locked dependencies.
``uv run nox -s bench`` runs the benchmarks; it is not part of the default run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "conformance",
    "sqlalchemy",
    "redis",
    "mongo",
    "app",
    "integrations",
    "browser",
    "docs",
    "bench_machinery",
]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYTEST = ("pytest", "-q", "-p", "no:cacheprovider")


def _pytest(session: nox.Session, *paths: str) -> None:
    existing = [p for p in paths if (ROOT / p).exists()]
    if not existing:
        session.error(f"no tests at {', '.join(paths)}")
    session.run(*PYTEST, *existing, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """The engine's own tests (tests/engine)."""
    _pytest(session, "tests/engine")


def _verdict(session: nox.Session, backend: str, url: str | None = None, label: str = "") -> None:
    """The CLI's verdict at profile full: the same check bodies as the pytest class."""
    results = ROOT / ".results" / f"conformance-{label or backend}"
    target = ("--url", url) if url else ()
    session.run(
        "oauth2-conformance", "run", "--backend", backend, *target, "--profile", "full",
        "--results-dir", str(results),
    )


@nox.session
def conformance(session: nox.Session) -> None:
    """The suite's own tests, then the CLI verdict for the memory backend."""
    _pytest(session, "conformance_tests/tests")
    _verdict(session, "memory")


@nox.session
def sqlalchemy(session: nox.Session) -> None:
    """SQLite, PostgreSQL and MariaDB (pytest), then the CLI verdict on each."""
    _pytest(session, "backends/sqlalchemy/tests")
    _verdict(session, "sqlalchemy", label="sqlite")
    for label, url in (
        ("postgresql", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        ("mariadb", "mariadb+pymysql://root@127.0.0.1:3306/test"),
    ):
        env_url = os.environ.get(f"OAUTH2_TEST_{label.upper()}_URL")
        _verdict(session, "sqlalchemy", env_url or url, label=label)


@nox.session
def redis(session: nox.Session) -> None:
    """Single node and a three-master cluster (pytest), then the CLI verdict on both."""
    _pytest(session, "backends/redis/tests")
    _verdict(session, "redis", os.environ.get("OAUTH2_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    with tempfile.TemporaryDirectory() as workdir:
        cluster = subprocess.Popen(
            [sys.executable, "-m", "oauth2_core_redis.local_servers", "cluster", workdir],
            stdout=subprocess.PIPE, text=True,
        )
        try:
            url = cluster.stdout.readline().strip() if cluster.stdout else ""
            if not url:
                session.error("the local Redis Cluster did not start")
            _verdict(session, "redis", url, label="redis-cluster")
        finally:
            cluster.terminate()
            cluster.wait(timeout=30)


@nox.session
def mongo(session: nox.Session) -> None:
    """SecantusDB started by the fixtures (and mongod when OAUTH2_TEST_MONGODB_URL is set)."""
    _pytest(session, "backends/mongo/tests")
    _verdict(session, "mongo")


@nox.session
def app(session: nox.Session) -> None:
    """The HTTP app and command line, end to end over real HTTP."""
    _pytest(session, "tests/app")


@nox.session
def integrations(session: nox.Session) -> None:
    """Flask, Django and Starlette/FastAPI adapters."""
    _pytest(session, "tests/integrations")


@nox.session
def browser(session: nox.Session) -> None:
    """The consent page in headless Chromium."""
    _pytest(session, "tests/browser")


@nox.session
def docs(session: nox.Session) -> None:
    session.run("python", "-m", "oauth2_conformance.docgen", "--check")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / ".results" / "site"))


@nox.session
def bench_machinery(session: nox.Session) -> None:
    """The bench's own code (parsing, ratios, summary): behaviour, never timings."""
    _pytest(session, "bench/tests")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: results under bench/results, summary and charts under docs/performance."""
    env = {"OAUTH2_BENCH_QUICK": os.environ.get("OAUTH2_BENCH_QUICK", "")}
    session.run("python", "-m", "bench", *session.posargs, env=env)
