"""Bounded streams: every XADD trims (design §2.5; cryptofeed's unbounded writer is the failure
this prevents, redis#9465). Pure.

A ``Retention`` is an age (``MINID ~ now - max_age_ms``: time-based, what market data needs: 120 s
at 5 k msgs/s is ~0.5 GB, measured §2.4) and/or a length (``MAXLEN ~ n``). At least one bound is
required: ``Retention()`` with neither raises, so no code path can write an unbounded stream.
Trimming is approximate (``~``): Redis trims whole radix-tree nodes, which is cheap; a stream may
exceed the bound by up to one node (100 entries by default) until the next XADD.
"""

from __future__ import annotations

from dataclasses import dataclass

MD_MAX_AGE_MS = 120_000  # market data: two minutes (design §2.5)
CTL_MAXLEN = 10_000      # control and request streams: small, by count


@dataclass(frozen=True)
class Retention:
    """How long a stream keeps entries; see the module docstring."""

    max_age_ms: int | None = None
    maxlen: int | None = None

    def __post_init__(self) -> None:
        if self.max_age_ms is None and self.maxlen is None:
            raise ValueError("a bus stream needs a bound: max_age_ms and/or maxlen (never "
                             "unbounded)")
        if (self.max_age_ms is not None and self.max_age_ms <= 0) or (
                self.maxlen is not None and self.maxlen <= 0):
            raise ValueError("retention bounds must be positive")

    def xadd_kwargs(self, now_ms: int) -> dict[str, object]:
        """redis-py ``xadd`` keyword arguments for a write at ``now_ms`` (MINID wins when both:
        Redis takes one strategy per call; the length bound is then applied by ``trim_kwargs``)."""
        if self.max_age_ms is not None:
            return {"minid": f"{max(0, now_ms - self.max_age_ms)}-0", "approximate": True}
        return {"maxlen": self.maxlen, "approximate": True}

    def trim_kwargs(self) -> dict[str, object] | None:
        """An extra ``XTRIM`` by length when both bounds are set (run once per flush)."""
        if self.max_age_ms is not None and self.maxlen is not None:
            return {"maxlen": self.maxlen, "approximate": True}
        return None


MARKET_DATA = Retention(max_age_ms=MD_MAX_AGE_MS)
CONTROL = Retention(maxlen=CTL_MAXLEN)
