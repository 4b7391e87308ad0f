"""The threads the app runs the engine's blocking calls in (``--threads``).

Storage drivers block, so every engine call leaves the event loop. A plain
``ThreadPoolExecutor`` behind ``loop.run_in_executor`` does that with one hand-off each way;
anyio's ``to_thread`` (Starlette's ``run_in_threadpool``) adds a capacity limiter, a cancel
scope and context-variable lookups per call, which under a bearer-validation load on Redis took
about a fifth of the worker's CPU (py-spy, issue 9). Requests beyond ``threads`` queue in the
executor, not on a storage connection (a SQL pool's ``pool_timeout``) or on one opened just
for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["EngineThreads"]

_T = TypeVar("_T")


class EngineThreads:
    """At most ``threads`` engine calls at once; the rest wait their turn in order."""

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, func: Callable[..., _T], *args: Any) -> _T:
        executor = self._executor
        if executor is None:
            executor = self._executor = ThreadPoolExecutor(
                max_workers=self.threads, thread_name_prefix="oauth2-engine"
            )
        return await asyncio.get_running_loop().run_in_executor(executor, func, *args)

    def shutdown(self) -> None:
        """Wait for the calls under way and let the threads go (a later call starts anew)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
