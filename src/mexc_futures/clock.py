"""The one module that reads the system clock (architecture principle 5).

Everything else receives a ``Clock`` (or plain ``now`` values). Tests use
``mexc_futures.testing.clock.ManualClock``; the emulator uses ``ScaledClock`` so that a 24 h
connection lifetime or a funding cycle passes in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Wall time in ms (for ``Request-Time`` and venue timestamps) and monotonic seconds."""

    def time_ms(self) -> int:
        """Unix time in milliseconds."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds, for deadlines and intervals."""
        ...


class SystemClock:
    """The real clock."""

    def time_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        return time.monotonic()


class ScaledClock:
    """A clock that runs ``speed`` times faster than real time, starting from real time now.

    ``speed=3600`` makes one real second count as one venue hour. Used by the emulator (``--speed``)
    and by fault tests that need long venue timeouts to pass quickly.
    """

    def __init__(self, speed: float = 1.0, *, start_ms: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._real0 = time.monotonic()
        self._start_ms = time.time_ns() // 1_000_000 if start_ms is None else start_ms

    def time_ms(self) -> int:
        return self._start_ms + int((time.monotonic() - self._real0) * 1000 * self.speed)

    def monotonic(self) -> float:
        return (time.monotonic() - self._real0) * self.speed


class VenueClock:
    """The venue's clock as seen from here: ``time_ms`` is ``venue_ms()`` (the local clock
    corrected by the measured offset, ``RestCore.venue_time_ms``); ``monotonic`` is the local
    one. One source for REST ``Request-Time`` and the WebSocket login's ``reqTime`` (ux finding
    8). ``speed`` is forwarded when the local clock has one."""

    def __init__(self, local: Clock, venue_ms: Callable[[], int]) -> None:
        self.local = local
        self._venue_ms = venue_ms
        if hasattr(local, "speed"):
            self.speed = float(local.speed)

    def time_ms(self) -> int:
        return self._venue_ms()

    def monotonic(self) -> float:
        return self.local.monotonic()


SYSTEM_CLOCK = SystemClock()

__all__ = ["SYSTEM_CLOCK", "Clock", "ScaledClock", "SystemClock", "VenueClock"]
