"""The venue's clock as the REST client knows it (spec §3.4; ``RestCore`` mixes it in).

* ``sync_clock`` pings ``/api/v1/contract/ping`` a few times (each after the ping bucket has
  room, so the sample is fresh) and keeps the sample with the smallest round trip: offset =
  server time - local midpoint.
* ``venue_time_ms`` is local ms + that offset: the one source for REST ``Request-Time`` and the
  WebSocket login (ux finding 8). When two syncs show the venue's clock running clearly faster
  than ours (> 5 %: an emulator started with ``--speed``) the last sample is extrapolated at that
  rate; a local clock that jumps or drifts is a fault to report (S21), not a rate to follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mexc_futures.clock import Clock, VenueClock
from mexc_futures.protocol.endpoints import endpoint
from mexc_futures.protocol.ratelimit import RateLimiter

log = logging.getLogger("mexc_futures.rest")


class RestClockSync:
    """See the module docstring; state lives on the client."""

    clock: Clock
    limiter: RateLimiter
    time_scale: float
    offset_ms: int
    rtt_ms: float
    clock_syncs: int
    _sample: tuple[float, float] | None
    _first_sample: tuple[float, float] | None
    _rate: float

    if TYPE_CHECKING:

        async def call(
            self,
            name: str,
            *,
            path: Mapping[str, object] | None = None,
            params: Mapping[str, object] | None = None,
            body: object = None,
            request_timeout: float | None = None,
        ) -> Any: ...

    def request_time(self) -> str:
        """``Request-Time`` header value: the venue's time (spec §3.4, ``venue_time_ms``)."""
        return str(self.venue_time_ms())

    def venue_time_ms(self) -> int:
        """The venue's clock now: local ms + the offset measured by ``sync_clock`` (spec §3.4);
        the one source for REST ``Request-Time`` and the WebSocket login (ux finding 8). When
        two syncs show the venue's clock running clearly faster than ours (> 5 %: an emulator
        started with ``--speed``), the last sample is extrapolated at that rate, so a
        WebSocket re-login long after the last sync is still inside the venue's window. A real
        venue's clock runs at ours: then no rate is applied (noise would only hurt)."""
        now = self.clock.time_ms()
        if self._rate == 1.0 or self._sample is None:
            return now + self.offset_ms
        local0, venue0 = self._sample
        return round(venue0 + (now - local0) * self._rate)

    @property
    def venue_clock(self) -> VenueClock:
        """A ``Clock`` whose ``time_ms`` is ``venue_time_ms`` (give it to ``PrivateStream``)."""
        return VenueClock(self.clock, self.venue_time_ms)

    async def _ping_slot(self) -> None:
        """Sleep until the ping bucket has room (the slot is not taken)."""
        wait = self.limiter.peek(endpoint("ping").bucket, self.clock.monotonic())
        if wait > 0:
            await asyncio.sleep(wait / self.time_scale)

    def _learn_rate(self, local_ms: float, venue_ms: float) -> None:
        """Keep this sample; the venue clock's rate from the first one (longest baseline)."""
        self._sample = (local_ms, venue_ms)
        first = self._first_sample
        if first is None:
            self._first_sample = self._sample
        elif local_ms - first[0] >= 200:
            rate = (venue_ms - first[1]) / (local_ms - first[0])
            # only a venue clock clearly *faster* than ours (an emulator's --speed): a local
            # clock that jumps or drifts is a fault to report (S21), not a rate to follow
            self._rate = rate if 1.05 < rate <= 100_000 else 1.0

    async def sync_clock(self, samples: int = 3) -> int:
        """Measure the server clock offset (RTT-corrected, best of ``samples``); returns ms."""
        best: tuple[float, float, float] | None = None
        for _ in range(samples):
            await self._ping_slot()  # wait for the bucket first: the sample is then fresh
            m0, t0 = self.clock.monotonic(), self.clock.time_ms()
            server = await self.call("ping")
            rtt_ms = (self.clock.monotonic() - m0) * 1000
            offset = int(server) - (t0 + rtt_ms / 2)
            if best is None or rtt_ms < best[0]:
                best = (rtt_ms, offset, t0 + rtt_ms / 2)
        assert best is not None
        self.rtt_ms, self.offset_ms = best[0], round(best[1])
        self._learn_rate(best[2], best[2] + best[1])
        self.clock_syncs += 1
        log.info("clock offset %d ms (rtt %.1f ms)", self.offset_ms, self.rtt_ms)
        return self.offset_ms
