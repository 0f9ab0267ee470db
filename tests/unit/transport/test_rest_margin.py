"""The default limiter's jitter margin is real time, whatever the clock's speed (S19 flaked at
speed 20 under load: a 0.05 clock-second margin was 2.5 ms of real jitter)."""

from __future__ import annotations

from mexc_futures.config import Environment
from mexc_futures.testing.clock import ManualClock
from mexc_futures.transport.rest import RestClient

ENV = Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                  is_live=False)


class _Fast(ManualClock):
    speed = 20.0


def test_default_margin_is_real_time_on_a_scaled_clock() -> None:
    assert RestClient(ENV, clock=_Fast()).limiter.margin == 0.05 * 20
    assert RestClient(ENV, clock=ManualClock()).limiter.margin == 0.05
    assert RestClient(ENV, clock=ManualClock(), time_scale=10).limiter.margin == 0.5
