"""Backoff: doubling to a cap, jitter bounds, reset after a healthy period."""

from __future__ import annotations

import random

import pytest

from mexc_futures.protocol.backoff import Backoff


class Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_doubles_to_the_cap_without_jitter() -> None:
    b = Backoff(Fixed(0.0), base=1.0, cap=8.0)
    assert [b.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_stays_in_bounds_and_varies() -> None:
    b = Backoff(random.Random(3), base=1.0, cap=16.0, jitter=0.5)
    delays = []
    for _ in range(50):
        b.failures = 3
        d = b.next_delay()
        assert 4.0 <= d <= 8.0
        delays.append(d)
    assert len(set(delays)) > 40


def test_resets_only_after_a_healthy_period() -> None:
    b = Backoff(Fixed(0.0), base=1.0, cap=30.0, reset_after=60.0)
    b.next_delay()
    b.next_delay()
    b.connected(now=100.0)
    assert not b.healthy(now=159.0)
    assert b.failures == 2
    assert b.healthy(now=160.0)
    assert b.failures == 0
    assert b.next_delay() == 1.0
    assert not b.healthy(now=1000.0)  # a failure clears the "up since" mark


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        Backoff(Fixed(0.0), base=2.0, cap=1.0)
