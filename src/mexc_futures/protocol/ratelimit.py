"""Client-side REST rate limiting, so the client never earns a 510 (spec §9.1, reliability S19/I5).

The venue counts "N requests per W seconds" per endpoint bucket. This limiter keeps, per bucket
name, the send times it has handed out and schedules the next request so that **no sliding window
of ``W + margin`` seconds holds more than ``floor(N * headroom)`` requests**. A sequence that obeys
a sliding window also obeys a token bucket of the same size, so the schedule is safe whichever
counter the server uses.

Sans-I/O: the caller passes ``now`` (monotonic seconds) and sleeps for the returned wait itself.
``acquire`` / ``reserve`` *reserve* the slot, so concurrent callers are queued one behind the
other; a caller that gives up before its slot (cancelled, timed out) hands it back with
``release``, otherwise abandoned reservations push every later request out (reliability D5).

After a 510 the bucket's window is multiplied by ``backoff_factor`` (up to ``max_multiplier``) and
no new slot is handed out for one stretched window; after a quiet stretch of successes the
multiplier halves back towards 1.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol


class BucketLike(Protocol):
    """What the limiter needs of ``protocol.endpoints.RateBucket``."""

    @property
    def name(self) -> str: ...

    @property
    def capacity(self) -> int: ...

    @property
    def per_seconds(self) -> float: ...


@dataclass(slots=True)
class _BucketState:
    capacity: int
    window: float
    sent: deque[float] = field(default_factory=deque)
    multiplier: float = 1.0
    blocked_until: float = 0.0
    last_limited: float = -math.inf
    limited_count: int = 0
    released: int = 0  # slots handed back by callers that gave up


class RateLimiter:
    """Per-bucket scheduler (spec §9.1). One instance per API key / IP.

    ``headroom`` (0 < h <= 1) scales the venue capacity down (default 0.9, at least 1 request);
    ``margin`` seconds are added to every window to absorb network jitter.
    """

    def __init__(
        self,
        *,
        headroom: float = 0.9,
        margin: float = 0.05,
        backoff_factor: float = 2.0,
        max_multiplier: float = 16.0,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        if backoff_factor < 1 or max_multiplier < 1:
            raise ValueError("backoff_factor and max_multiplier must be >= 1")
        self.headroom = headroom
        self.margin = margin
        self.backoff_factor = backoff_factor
        self.max_multiplier = max_multiplier
        self._states: dict[str, _BucketState] = {}

    def _state(self, bucket: BucketLike) -> _BucketState:
        st = self._states.get(bucket.name)
        if st is None:
            cap = max(1, math.floor(bucket.capacity * self.headroom))
            st = _BucketState(capacity=cap, window=float(bucket.per_seconds) + self.margin)
            self._states[bucket.name] = st
        return st

    def peek(self, bucket: BucketLike, now: float) -> float:
        """Seconds until ``bucket`` would have a send slot, without reserving it."""
        st = self._state(bucket)
        slot = max(now, st.blocked_until)
        if st.sent:
            slot = max(slot, st.sent[-1])
        if len(st.sent) >= st.capacity:
            slot = max(slot, st.sent[-st.capacity] + st.window * st.multiplier)
        return slot - now

    def acquire(self, bucket: BucketLike, now: float) -> float:
        """Reserve the next send slot of ``bucket``; return the seconds to wait before sending.

        A caller that gives up before its slot (cancelled, timed out) must hand it back with
        ``release``; ``reserve`` returns the slot itself for that.
        """
        return self._reserve(bucket, now) - now

    def reserve(self, bucket: BucketLike, now: float) -> float:
        """Reserve the next send slot of ``bucket``; return its time (send at or after it).

        Goes through ``acquire``, so a subclass that overrides only ``acquire`` (e.g. to switch
        client-side limiting off) is honoured.
        """
        return now + self.acquire(bucket, now)

    def _reserve(self, bucket: BucketLike, now: float) -> float:
        st = self._state(bucket)
        window = st.window * st.multiplier
        sent = st.sent
        cap = st.capacity
        slot = max(now, st.blocked_until)
        if sent:
            slot = max(slot, sent[-1])  # keep the log sorted
        if len(sent) >= cap:
            slot = max(slot, sent[-cap] + window)
        sent.append(slot)
        # forget slots beyond the last ``cap`` whose window has passed: they can constrain
        # nothing any more (a younger one may still be released, so age decides, not count)
        while len(sent) > cap and sent[0] + window <= now:
            sent.popleft()
        return slot

    def release(self, bucket: BucketLike, slot: float, now: float) -> bool:
        """Hand back a reserved slot that will not be used (D5: the caller gave up before it).

        Only a slot still in the future is removed (one that has passed may have been used);
        True when it was. Slots reserved after it keep their times, so the schedule stays safe.
        """
        st = self._states.get(bucket.name)
        if st is None or slot <= now:
            return False
        sent = st.sent
        for i in range(len(sent) - 1, -1, -1):  # ``now + wait`` may differ from it by an ulp
            if abs(sent[i] - slot) <= 1e-9:
                del sent[i]
                st.released += 1
                return True
        return False

    def pending(self, bucket_name: str, now: float) -> int:
        """Reserved slots of a bucket still in the future (callers waiting to send)."""
        st = self._states.get(bucket_name)
        return 0 if st is None else sum(1 for t in st.sent if t > now)

    def on_rate_limited(self, bucket: BucketLike, now: float) -> float:
        """Record a 510 from the venue; returns the new multiplier (window stretch)."""
        st = self._state(bucket)
        st.multiplier = min(self.max_multiplier, st.multiplier * self.backoff_factor)
        st.blocked_until = max(st.blocked_until, now + st.window * st.multiplier)
        st.last_limited = now
        st.limited_count += 1
        return st.multiplier

    def on_success(self, bucket: BucketLike, now: float) -> None:
        """Record a served request; relaxes the multiplier after two clean stretched windows."""
        st = self._states.get(bucket.name)
        if st is None or st.multiplier == 1.0:
            return
        if now - st.last_limited >= 2 * st.window * st.multiplier:
            st.multiplier = max(1.0, st.multiplier / self.backoff_factor)
            st.last_limited = now

    def multiplier(self, bucket_name: str) -> float:
        """Current window multiplier of a bucket (1.0 when never limited)."""
        st = self._states.get(bucket_name)
        return 1.0 if st is None else st.multiplier

    def limited_count(self, bucket_name: str) -> int:
        """How many 510s this bucket has seen."""
        st = self._states.get(bucket_name)
        return 0 if st is None else st.limited_count


__all__ = ["BucketLike", "RateLimiter"]
