"""Start and stop a SecantusDB server (a MongoDB wire-protocol server) for tests.

SecantusDB is launched in a child process through its Python API rather than its
``secantusd-py`` command, because the command ignores ``[storage] ttl_sweep_seconds`` from its
config file (0.7.0b3), and tests want a TTL sweep faster than mongod's 60 s. The child binds
port 0 and reports the port it got on stdout, so no free-port race is possible.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator

__all__ = ["secantus_server"]

_STARTUP_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0

# Runs in the child: bind, print the port, serve until SIGTERM.
_LAUNCHER = """
import signal, sys
from secantus.server import SecantusDBServer

server = SecantusDBServer(
    host="127.0.0.1", port=0, storage_path=":memory:", replica_set_name=REPLSET,
    enable_test_commands=TEST_COMMANDS, ttl_sweep_seconds=TTL_SWEEP,
)
server.start()

def _stop(signum, frame):
    server.stop()
    sys.exit(0)

signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)
print(server.address[1], flush=True)
server.wait()
"""


@contextlib.contextmanager
def secantus_server(
    database: str = "oauth2",
    *,
    ttl_sweep_seconds: float = 60.0,
    replica_set: bool = True,
    enable_test_commands: bool = False,
) -> Iterator[str]:
    """Run an ephemeral SecantusDB on a free loopback port; yield its URL.

    The URL is ``mongodb://127.0.0.1:PORT/DATABASE?directConnection=true``. The data lives in a
    temporary directory that disappears with the server. ``ttl_sweep_seconds`` is the TTL
    monitor's period (mongod's default is 60 s). With ``replica_set`` the server advertises
    itself as a one-node replica set, which majority writes and retryable writes expect.
    ``enable_test_commands`` allows ``configureFailPoint`` (fault injection), off as on mongod.
    """
    code = (
        _LAUNCHER.replace("REPLSET", repr("secantus" if replica_set else None))
        .replace("TTL_SWEEP", repr(float(ttl_sweep_seconds)))
        .replace("TEST_COMMANDS", repr(bool(enable_test_commands)))
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        port = _read_port(process)
        yield f"mongodb://127.0.0.1:{port}/{database}?directConnection=true"
    finally:
        _stop(process)


def _read_port(process: subprocess.Popen[bytes]) -> int:
    if process.stdout is None:
        raise RuntimeError("SecantusDB child process has no stdout pipe")
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = process.stdout.readline().strip()
                if line.isdigit():
                    return int(line)
                break
            if process.poll() is not None:
                break
    code = process.poll()
    raise RuntimeError(
        f"SecantusDB did not start within {_STARTUP_TIMEOUT:.0f} s (exit code {code})"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
