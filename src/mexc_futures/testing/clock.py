"""A manual clock for deterministic tests: time moves only when the test says so."""

from __future__ import annotations


class ManualClock:
    """Implements ``mexc_futures.clock.Clock``; ``advance`` moves both time bases."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._ms = start_ms
        self._mono = 0.0

    def time_ms(self) -> int:
        return self._ms

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (must be >= 0)."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._mono += seconds
        self._ms += round(seconds * 1000)

    def set_wall_ms(self, ms: int) -> None:
        """Jump the wall clock only (clock skew tests); monotonic time is untouched."""
        self._ms = ms


__all__ = ["ManualClock"]
