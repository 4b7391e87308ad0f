"""The threads the app runs the engine's blocking calls in (``--threads``).

Storage drivers block, so every engine call leaves the event loop. anyio's ``to_thread``
(Starlette's ``run_in_threadpool``) adds a capacity limiter, a cancel scope and context-variable
lookups per call, which under a bearer-validation load on Redis took about a fifth of the
worker's CPU (py-spy, issue 9); ``loop.run_in_executor`` still builds a
``concurrent.futures.Future`` (a condition variable) and chains it to an asyncio future with
callbacks both ways. Here a call is one queue entry and one ``call_soon_threadsafe`` back.
Requests beyond ``threads`` queue here, in order, not on a storage connection (a SQL pool's
``pool_timeout``) or on one opened just for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["EngineThreads"]

_T = TypeVar("_T")
_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class EngineThreads:
    """At most ``threads`` engine calls at once; the rest wait their turn in order."""

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def run(self, func: Callable[..., _T], *args: Any) -> _T:
        if not self._workers:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._calls.put((loop, future, func, args))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._workers:
                return
            workers = [
                threading.Thread(
                    target=_work, args=(self._calls,), daemon=True, name=f"oauth2-engine_{index}"
                )
                for index in range(self.threads)
            ]
            for worker in workers:
                worker.start()
            self._workers = workers

    def shutdown(self) -> None:
        """Wait for the calls under way and let the threads go (a later call starts anew)."""
        with self._lock:
            workers, self._workers = self._workers, []
            for _ in workers:
                self._calls.put(None)
        for worker in workers:
            worker.join()


def _work(calls: queue.SimpleQueue[_Call | None]) -> None:
    while True:
        call = calls.get()
        if call is None:
            return
        _run(*call)
        del call  # nothing of a finished call stays alive while the thread waits


def _run(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    func: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    try:
        result = func(*args)
    except BaseException as exc:  # raised again in the awaiting request, as it would inline
        _hand_back(loop, _fail, future, exc)
    else:
        _hand_back(loop, _settle, future, result)


def _hand_back(loop: asyncio.AbstractEventLoop, setter: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
        loop.call_soon_threadsafe(setter, *args)


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():  # the request went away meanwhile
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)
