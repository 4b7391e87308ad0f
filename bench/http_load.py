"""HTTP figures: ``oauth2-core serve`` against Authlib + Flask, both under uvicorn.

Fair set-up: the same server software (uvicorn; Flask through uvicorn's WSGI interface, which
runs the WSGI app in a thread pool as Starlette runs our engine calls), the same worker count,
the same store, and one server under load at a time. Load comes from ``wrk`` in a separate
process over loopback, for a bounded time: client-credentials issuance (``POST /token``) and a
bearer-protected resource (``GET /userinfo``). Both servers stay up and the load alternates
between them in rounds (ABBA order), so that a slow spell of this shared machine falls on
both contenders rather than on whichever happened to run during it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from oauth2_core_redis.local_servers import free_port

from bench.http_peer import STORE_ENV
from bench.plan import Plan
from bench.records import Record, ResultLog
from bench.services import Backend
from bench.workload import WORKLOAD, basic_auth

__all__ = ["HTTP_BACKENDS", "ensure_wrk", "parse_wrk", "run_http"]

HTTP_BACKENDS = ("sqlite", "postgresql", "redis")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


@contextlib.contextmanager
def _server(argv: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield _until_ready(base, process, log)
        finally:
            _stop(process)


def _until_ready(base: str, process: subprocess.Popen[bytes], log: Any) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/userinfo", timeout=1).status_code == 401:
                return base
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"server did not start: {log.read()[-2000:]!r}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wrk(url: str, script: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", handle.name,
             url], capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout
    finally:
        Path(handle.name).unlink()
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float]:
    """Requests/s, p50/p99 in ms, non-2xx and socket errors from ``wrk --latency`` output."""
    figures = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match:
            figures[f"p{pct}_ms"] = float(match[1]) * _UNITS[match[2]] * 1000
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    figures["non_2xx"] = float(errors[1]) if errors else 0.0
    sockets = re.search(r"Socket errors: (.*)", out)
    figures["socket_errors"] = 0.0 if not sockets else float(
        sum(int(n) for n in re.findall(r"\d+", sockets[1]))
    )
    figures["requests"] = float(re.search(r"(\d+) requests in", out)[1])
    return figures


def _scripts(secret: str, bearer: str) -> dict[str, tuple[str, str]]:
    token = (
        'wrk.method = "POST"\n'
        f'wrk.body = "{WORKLOAD.client_credentials_body}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Authorization"] = "{basic_auth(WORKLOAD.client_id, secret)}"\n'
    )
    resource = f'wrk.headers["Authorization"] = "Bearer {bearer}"\n'
    return {"client_credentials": ("/token", token), "bearer_resource": ("/userinfo", resource)}


def _bearer(base: str, secret: str) -> str:
    response = httpx.post(
        base + "/token", content=WORKLOAD.client_credentials_body,
        headers={"Authorization": basic_auth(WORKLOAD.client_id, secret),
                 "Content-Type": "application/x-www-form-urlencoded"}, timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _prepare(backend: Backend) -> str:
    """Register the bench client in both apps' tables; return our client's secret."""
    from bench.http_peer import open_peer_store  # noqa: PLC0415
    from bench.ours import open_ours  # noqa: PLC0415
    from bench.peers.authlib_records import PeerClient  # noqa: PLC0415

    storage, secret = open_ours(backend.url)
    storage.close()
    store = open_peer_store(backend.url, create=True)
    if backend.name == "redis":
        store.close()  # clears earlier authlib:* keys
    store.put_client(PeerClient(
        WORKLOAD.client_id, WORKLOAD.client_secret, (WORKLOAD.redirect_uri,), WORKLOAD.scope,
        ("client_credentials",),
    ))
    return secret


def _contenders(backend: Backend, plan: Plan, secret: str) -> dict[str, tuple[list[str], str]]:
    workers = str(plan.http_workers)
    return {
        "oauth2-core": (
            [sys.executable, "-m", "oauth2_core.cli", "serve", "--storage", backend.url,
             "--host", "127.0.0.1", "--workers", workers, "--log-level", "warning"],
            secret,
        ),
        "authlib": (
            [sys.executable, "-m", "uvicorn", "bench.http_peer:create_app", "--factory",
             "--interface", "wsgi", "--workers", workers, "--host", "127.0.0.1",
             "--log-level", "warning", "--no-server-header"],
            WORKLOAD.client_secret,
        ),
    }


def combine(rounds: list[dict[str, float]], seconds: float) -> dict[str, float]:
    """One figure from a contender's rounds: requests/s over all of them, the median round's
    p50 and p99, errors summed."""
    figures = {
        "requests_per_second": sum(r["requests"] for r in rounds) / (seconds * len(rounds)),
        "requests": sum(r["requests"] for r in rounds),
        "non_2xx": sum(r["non_2xx"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
    }
    for key in ("p50_ms", "p99_ms"):
        values = [r[key] for r in rounds if key in r]
        if values:
            figures[key] = statistics.median(values)
    return figures


def _measure_backend(plan: Plan, name: str, backend: Backend, log: ResultLog) -> None:
    secret = _prepare(backend)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTH2_")}
    env |= {STORE_ENV: backend.url, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with contextlib.ExitStack() as stack:
        scripts: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
        for contender, (argv, client_secret) in _contenders(backend, plan, secret).items():
            port = free_port()
            base = stack.enter_context(_server([*argv, "--port", str(port)], port, env))
            scripts[contender] = (base, _scripts(client_secret, _bearer(base, client_secret)))
        for scenario in ("client_credentials", "bearer_resource"):
            results: dict[str, list[dict[str, float]]] = {name: [] for name in scripts}
            for base, by_scenario in scripts.values():  # warm-up
                path, script = by_scenario[scenario]
                _wrk(base + path, script, 2, plan.http_connections)
            order = list(scripts)
            for index in range(plan.http_rounds):
                # ABBA: each contender goes first as often as the other.
                for contender in order if index % 2 == 0 else reversed(order):
                    base, by_scenario = scripts[contender]
                    path, script = by_scenario[scenario]
                    results[contender].append(
                        _wrk(base + path, script, plan.http_round_seconds, plan.http_connections)
                    )
            for contender, rounds in results.items():
                figures = combine(rounds, plan.http_round_seconds)
                rps = figures.pop("requests_per_second")
                log.add(Record("http", name, scenario, contender, rps, "requests/s",
                               {**figures, "workers": plan.http_workers,
                                "connections": plan.http_connections,
                                "seconds": plan.http_round_seconds * plan.http_rounds,
                                "rounds": plan.http_rounds}))
                print(f"[bench] http {name:<10} {scenario:<18} {contender:<11} "
                      f"{rps:8.0f} req/s  p50 {figures.get('p50_ms', 0):.1f} ms  "
                      f"p99 {figures.get('p99_ms', 0):.1f} ms  "
                      f"non-2xx {figures['non_2xx']:.0f}")


def ensure_wrk() -> bool:
    """Install wrk from Debian when it is missing and we may; True when it is there.

    Called before the machine facts are read, so the run's record names the wrk it used.
    """
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("[bench] http: installing wrk from Debian (apt-get install -y wrk)")
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, check=False, capture_output=True).returncode != 0:
            # A fresh machine may have no package lists yet.
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run(install, check=False, capture_output=True)
    return shutil.which("wrk") is not None


def run_http(plan: Plan, backends: dict[str, Backend], log: ResultLog) -> None:
    if not ensure_wrk():
        print("[bench] http: wrk not installed (apt-get install -y wrk); skipped")
        return
    for name in HTTP_BACKENDS:
        backend = backends.get(name)
        if backend is None:
            continue
        try:
            _measure_backend(plan, name, backend, log)
        except Exception as exc:  # reported, the run goes on
            print(f"[bench] http {name}: {exc!r}")
