"""Private ``redis-server`` processes for tests: a single node or a Redis Cluster.

Started from the ``redis-server`` binary on free loopback ports in a directory of the
caller's choosing, stopped (and restartable on the same data directory) on demand. Never
touches any other server.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

__all__ = ["LocalCluster", "LocalRedis", "redis_server_binary", "start_cluster", "start_redis"]

_START_TIMEOUT = 10.0


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def _port_pair_free(port: int) -> bool:
    # A cluster node also listens on port + 10000 (the cluster bus).
    for candidate in (port, port + 10000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


def free_port(*, with_bus: bool = False) -> int:
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if not with_bus or (port < 55535 and _port_pair_free(port)):
            return port
    raise RuntimeError("no free loopback port found")


def _wait(check: object, what: str, timeout: float = _START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (RedisError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


@dataclass
class LocalRedis:
    """One private ``redis-server``; ``stop()`` then ``start()`` keeps its data directory."""

    directory: Path
    port: int
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.port, socket_timeout=2, decode_responses=True)

    def start(self) -> LocalRedis:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "no",
            "--logfile", str(self.directory / "redis.log"),
            *self.extra_args,
        ]
        self.process = subprocess.Popen(args)  # noqa: S603 (fixed binary, our arguments)
        client = self.client()
        try:
            _wait(client.ping, f"redis-server on port {self.port}")
        finally:
            client.close()
        return self

    def stop(self, *, crash: bool = False) -> None:
        """Stop the server (``crash=True``: SIGKILL, no shutdown save); wait until it exits."""
        if self.process is None:
            return
        if crash:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def start_redis(directory: Path, *, extra_args: tuple[str, ...] = ()) -> LocalRedis:
    return LocalRedis(directory=directory, port=free_port(), extra_args=extra_args).start()


def _cluster_state(client: Redis) -> str:
    # redis-py parses the reply into a dict
    info = client.execute_command("CLUSTER INFO")  # type: ignore[no-untyped-call]
    return str(info.get("cluster_state") if isinstance(info, dict) else info)


@dataclass
class LocalCluster:
    """A Redis Cluster of private masters, no replicas."""

    nodes: list[LocalRedis]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        return f"redis+cluster://{hosts}"

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(directory: Path, *, masters: int = 3) -> LocalCluster:
    nodes: list[LocalRedis] = []
    try:
        for index in range(masters):
            port = free_port(with_bus=True)
            node = LocalRedis(
                directory=directory / f"node-{index}",
                port=port,
                extra_args=(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", f"nodes-{port}.conf",
                    "--cluster-node-timeout", "2000",
                ),
            )
            nodes.append(node.start())
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed")
        subprocess.run(  # noqa: S603 (fixed binary, our arguments)
            [cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in nodes),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=30,
        )
        for node in nodes:
            client = node.client()
            try:
                _wait(lambda c=client: _cluster_state(c) == "ok",
                      f"cluster state ok on port {node.port}")
            finally:
                client.close()
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return LocalCluster(nodes)


def main(argv: list[str] | None = None) -> int:
    """``python -m oauth2_core_redis.local_servers cluster|single DIR``: start private
    servers, print the URL on one line, and stop them on SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m oauth2_core_redis.local_servers")
    parser.add_argument("kind", choices=["cluster", "single"])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    servers: LocalCluster | LocalRedis
    if args.kind == "cluster":
        servers = start_cluster(args.directory)
    else:
        servers = start_redis(args.directory)
    print(servers.url, flush=True)
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        # A launcher may forward the same signal twice; the first one is enough.
        signal.signal(number, lambda *_: stopping.set())
    stopping.wait()
    servers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
