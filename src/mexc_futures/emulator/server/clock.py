"""The emulator's clock: scaled venue time, manual jumps and the clock-offset fault.

* ``monotonic()`` -- venue seconds (``speed`` × real, plus jumps); drives WS limits and REST
  buckets, so ``speed=600`` makes a 60 s rule pass in 0.1 s.
* ``time_ms()`` -- the server's wall clock in ms: scaled time + jumps + the ``ClockOffset``
  fault (reliability S21). Used for auth windows and every timestamp the server emits. Clients
  signing against an emulator with ``speed != 1`` must use this clock (``Emulator.clock``) or the
  offset measured from ``/api/v1/contract/ping``.
* ``venue_ms()`` -- ``time_ms()`` made non-decreasing, fed to ``venue.advance``.

It implements ``mexc_futures.clock.Clock``.
"""

from __future__ import annotations

from mexc_futures.clock import Clock, ScaledClock
from mexc_futures.emulator.server.faults import Faults


class EmulatorClock:
    """Scaled clock with ``advance(ms)`` jumps and the fault registry's offset."""

    def __init__(self, speed: float, faults: Faults, *, start_ms: int | None = None,
                 base: Clock | None = None) -> None:
        # ``base``: another time source (a lockstep backtest's loop clock), used as it is
        self._base: Clock = base if base is not None else ScaledClock(speed, start_ms=start_ms)
        self.speed = speed
        self._faults = faults
        self._jump_ms = 0
        self._last_ms = 0

    def monotonic(self) -> float:
        return self._base.monotonic() + self._jump_ms / 1000.0

    def time_ms(self) -> int:
        return self._base.time_ms() + self._jump_ms + self._faults.clock_offset_ms

    def venue_ms(self) -> int:
        now = max(self._last_ms, self.time_ms())
        self._last_ms = now
        return now

    def advance(self, ms: int) -> None:
        """Jump venue time forward by ``ms`` (>= 0): timers, funding and limits see it."""
        if ms < 0:
            raise ValueError("time does not go backwards")
        self._jump_ms += ms


__all__ = ["EmulatorClock"]
