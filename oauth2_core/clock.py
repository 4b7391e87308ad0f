"""Time, owned by the engine.

Storage never reads the wall clock: the engine passes ``now`` into every storage call, so a
fake clock on the engine side drives expiry everywhere (tests, clock-skew checks, replays).
Every instant the engine hands out is timezone-aware UTC truncated to whole milliseconds, the
coarsest precision any supported store keeps (BSON dates), so values round-trip exactly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "from_epoch_ms", "to_epoch_ms", "to_utc_ms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_utc_ms(moment: datetime) -> datetime:
    """Return ``moment`` as aware UTC, truncated to milliseconds.

    Naive datetimes are refused: guessing their zone is how expiry bugs are born.
    """
    # Every instant the engine hands out is already in this form: skip the conversion (on
    # CPython 3.11 ``datetime.replace`` alone costs more than a SQLite lookup's row decoding).
    if moment.tzinfo is UTC and not moment.microsecond % 1000:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the engine only deals in timezone-aware UTC instants")
    moment = moment.astimezone(UTC)
    return moment - timedelta(microseconds=moment.microsecond % 1000)


def to_epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the Unix epoch, for stores that keep instants as integers."""
    return (moment - _EPOCH) // _MS


def from_epoch_ms(value: int | str) -> datetime:
    """The aware UTC instant of ``to_epoch_ms``."""
    return _EPOCH + int(value) * _MS


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()`` returning an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC, at millisecond precision."""

    def now(self) -> datetime:
        # Whole milliseconds since the epoch, exactly: cheaper than truncating datetime.now().
        return _EPOCH + time.time_ns() // 1_000_000 * _MS


class FakeClock:
    """A clock that moves only when told to; thread-safe.

    >>> clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    >>> clock.advance(seconds=61)
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = to_utc_ms(start if start is not None else datetime.now(UTC))

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0) -> datetime:
        step = (delta or timedelta()) + timedelta(seconds=seconds)
        if step < timedelta():
            raise ValueError("a FakeClock only moves forward; use set() to jump back")
        with self._lock:
            self._now = to_utc_ms(self._now + step)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = to_utc_ms(moment)
