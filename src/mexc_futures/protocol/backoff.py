"""Jittered exponential backoff for reconnects (reliability I6: no hot loop, jitter).

Delays start at ``base`` seconds and double up to ``cap``; each delay is drawn with "full
jitter" from ``[delay * (1 - jitter), delay]``. After the connection stayed healthy for
``reset_after`` seconds, ``healthy(now)`` resets the sequence. The random source is injected
(``random.Random`` or anything with ``random() -> float``); time is passed in as ``now``.
"""

from __future__ import annotations

from typing import Protocol


class RandomSource(Protocol):
    """Anything with ``random() -> float`` in ``[0, 1)`` (``random.Random`` fits)."""

    def random(self) -> float:
        """A float in ``[0, 1)``."""
        ...


class Backoff:
    """Delay sequence for consecutive failures; see the module docstring."""

    def __init__(
        self,
        rng: RandomSource,
        *,
        base: float = 1.0,
        cap: float = 30.0,
        jitter: float = 0.5,
        reset_after: float = 60.0,
    ) -> None:
        if base <= 0 or cap < base or not 0 <= jitter <= 1:
            raise ValueError("need 0 < base <= cap and 0 <= jitter <= 1")
        self._rng = rng
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self.reset_after = reset_after
        self.failures = 0
        self._up_since: float | None = None

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; counts one more failure."""
        ceiling = min(self.cap, self.base * 2.0 ** min(self.failures, 62))
        self.failures += 1
        self._up_since = None
        return ceiling * (1.0 - self.jitter * self._rng.random())

    def connected(self, now: float) -> None:
        """A connection came up at ``now``; the count resets once it stayed up long enough."""
        self._up_since = now

    def healthy(self, now: float) -> bool:
        """Reset the failure count if connected for ``reset_after`` seconds; True if reset."""
        if self._up_since is not None and now - self._up_since >= self.reset_after:
            self.failures = 0
            return True
        return False


__all__ = ["Backoff", "RandomSource"]
