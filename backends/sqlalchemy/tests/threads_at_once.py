"""Threads released together, for tests of what one process's threads do at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(
    count: int, work: Callable[[int], object], *, hold: bool = False
) -> list[BaseException]:
    """Run ``work(0)`` .. ``work(count - 1)`` in ``count`` threads released by one barrier;
    return what they raised. With ``hold``, each thread also waits after its work until every
    other one is done, so all are alive (holding what they opened) at the same moment."""
    meeting = threading.Barrier(count, timeout=30)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            meeting.wait()
            work(index)
            if hold:
                meeting.wait()
        except BaseException as exc:  # collected, asserted by the caller
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def while_alive(count: int, work: Callable[[], object], action: Callable[[], object]) -> None:
    """Run ``work()`` in ``count`` threads, then ``action()`` here while every one of them is
    still alive (holding what it opened); the threads end once ``action`` returns."""
    done = threading.Barrier(count + 1, timeout=10)
    acted = threading.Event()

    def run() -> None:
        try:
            work()
        finally:
            done.wait()
            acted.wait(timeout=10)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    done.wait()
    try:
        action()
    finally:
        acted.set()
        for thread in threads:
            thread.join()
