"""One connection per thread for the request path's commands on a single Redis server.

redis-py takes a connection from its pool and gives it back around every command: a process id
check (a ``getpid`` system call) on each side, the pool's lock, two observability counters and
a poll of the socket. On a token lookup that was 6 to 12 us of a 62 us ``GET`` over loopback,
and in the HTTP app three of the worker's system calls per request. So each thread keeps a
client of its own over the storage's pool (``single_connection_client``): one connection taken
from the pool once and kept, released back to it when the thread ends (the client's
``__del__``) or the storage closes.

What the pool checks at checkout is kept, before each command: a connection with anything to
read (the server closed it, a restart, a reply left over from an interrupted command) is
disconnected, and the command reconnects it. The driver's retry policy is the connection's,
so a script is still never replayed after a lost reply.

The lookups' ``GET`` (``fetch``) and the scripts' ``EVALSHA`` (``run_script``) go to the
connection directly, under that same retry policy: ``Redis.execute_command`` wraps each
command in two clock reads, OpenTelemetry duration and error records, a closure, a lock that
only this thread could take and an ``HIMPORT`` argument check, about 5 us of a bearer
validation's 20 us over its floor (issue 9). Those per-command metrics of redis-py's are not
recorded for these commands.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from redis import Redis
from redis.commands.core import Script
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

__all__ = ["ThreadClients"]


class ThreadClients:
    def __init__(self, client: Redis) -> None:
        self._pool = client.connection_pool
        self._local = threading.local()
        self._open: weakref.WeakSet[Redis] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> Redis:
        """This thread's client, its connection ready for a command."""
        held: Redis | None = getattr(self._local, "client", None)
        if held is None:
            held = Redis(connection_pool=self._pool, single_connection_client=True)
            self._local.client = held
            with self._lock:
                self._open.add(held)
            return held
        connection = held.connection
        if connection is None:  # closed by close_all: this thread starts again
            self._local.client = None
            return self.get()
        if connection.is_connected:
            try:
                stale = connection.can_read()
            except RedisConnectionError:  # end of stream: the server closed it
                stale = True
            if stale:
                connection.disconnect()
        return held

    def fetch(self, key: str) -> Any:
        """``GET key`` on this thread's connection."""
        return _command(self._connection(), "GET", key)

    def run_script(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """``EVALSHA`` of ``script`` on this thread's connection, loading it where the server
        lacks it (a restart, ``SCRIPT FLUSH``) as ``Script.__call__`` does: a script the
        server did not know did not run, so sending it again replays nothing."""
        connection = self._connection()

        def evalsha() -> Any:
            return _command(connection, "EVALSHA", script.sha, len(keys), *keys, *args)

        try:
            return evalsha()
        except NoScriptError:
            script.sha = _command(connection, "SCRIPT", "LOAD", script.script)
            return evalsha()

    def _connection(self) -> AbstractConnection:
        return self.get().connection  # type: ignore[return-value]

    def close_all(self) -> None:
        """Give every thread's connection back to the pool."""
        with self._lock:
            clients = list(self._open)
            self._open.clear()
        for client in clients:
            client.close()


def _command(connection: AbstractConnection, *args: Any) -> Any:
    """One command and its reply, under the connection's retry policy (a URL's client retries
    nothing: a lost script reply must not be replayed)."""

    def once() -> Any:
        connection.send_command(*args)
        return connection.read_response()

    return connection.retry.call_with_retry(once, lambda _error: connection.disconnect())
