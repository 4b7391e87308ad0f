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
"""

from __future__ import annotations

import threading
import weakref

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

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

    def close_all(self) -> None:
        """Give every thread's connection back to the pool."""
        with self._lock:
            clients = list(self._open)
            self._open.clear()
        for client in clients:
            client.close()
