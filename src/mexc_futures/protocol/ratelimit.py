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

**Jitter is bounded by answers, not guessed.** The venue counts a request when it *arrives*, which
the client never sees; the margin covers ordinary jitter, but a loaded machine (or an emulator at
``speed`` 20, where 0.05 s of clock is 2.5 ms of real time) can deliver a burst late and the next
window's requests early, and earn a 510 from a single well-behaved client (reliability S19). What
the client does know: a request arrived before its answer came back. So the shell marks each slot
``sending`` and ``answered``, and right before sending asks ``hold``: the request must go no
sooner than ``window`` after the latest *answer* among the requests ``capacity`` or more places
before it (``None``: one of them is still in flight, wait for its answer). Then no window of
arrivals can hold more than ``capacity`` requests, whatever the jitter: of ``capacity + 1``
requests in one window, the earliest-sent was answered — so arrived — a full window before the
latest-sent left. Part of every answer's latency is not a late arrival but the path and the
service: the fastest answer of a request that was *alone* from its send to its answer (nothing
else of this limiter in flight, so no queue of our own making; the clock sync's pings are such)
is taken off the answer times (``latency_floor``, which only ever goes down). So a steady
latency costs nothing and only the jitter above it does (``benchmarks/bench_limiter.py``); an
idle bucket pays nothing. Until a solo request has been answered the floor is 0 (the strict
bound). ``answer_hold=False`` turns the hold off (``marketdata.config.market_data_limiter``
says why market data does).

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


_UNSENT: float = -math.inf  # ``_Slot.bound`` of a reserved slot not yet sent
_STALE = 600.0  # clock seconds after which an unanswered slot no longer holds anything back


@dataclass(slots=True)
class _Slot:
    """One reserved send slot: its time and the latest time the venue can have counted it
    (``_UNSENT`` before ``sending``, ``inf`` while in flight, the answer time once answered)."""

    at: float
    bound: float = _UNSENT
    sent_at: float = 0.0
    solo: bool = False  # nothing else of this limiter was in flight from its send to its answer


@dataclass(slots=True)
class _BucketState:
    capacity: int
    window: float
    sent: deque[_Slot] = field(default_factory=deque)
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
        answer_hold: bool = True,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        if backoff_factor < 1 or max_multiplier < 1:
            raise ValueError("backoff_factor and max_multiplier must be >= 1")
        self.headroom = headroom
        self.margin = margin
        self.backoff_factor = backoff_factor
        self.max_multiplier = max_multiplier
        #: hold sends a window after the answers a capacity before them (module docstring);
        #: False schedules by slots and ``margin`` only (cheaper by one round trip per saturated
        #: window, not safe against arrival jitter)
        self.answer_hold = answer_hold
        #: the fastest answer of a request sent alone (no self-made queue): that much of any
        #: answer's latency is the path and the service, not a late arrival (``hold``)
        self.latency_floor = math.inf
        self._flying: list[_Slot] = []  # in flight now, over every bucket
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
            slot = max(slot, st.sent[-1].at)
        if len(st.sent) >= st.capacity:
            slot = max(slot, st.sent[-st.capacity].at + st.window * st.multiplier)
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
            slot = max(slot, sent[-1].at)  # keep the log sorted
        if len(sent) >= cap:
            slot = max(slot, sent[-cap].at + window)
        sent.append(_Slot(slot))
        # forget slots beyond the last ``cap`` whose window has passed: they can constrain
        # nothing any more (a younger one may still be released, so age decides, not count)
        while len(sent) > cap and _expired(sent[0], window, now):
            sent.popleft()
        return slot

    def _find(self, st: _BucketState, slot: float, *, state: str) -> int:
        """Index of the newest slot at ``slot`` in ``state`` (unsent / flying), or -1."""
        sent = st.sent
        for i in range(len(sent) - 1, -1, -1):  # ``now + wait`` may differ from it by an ulp
            e = sent[i]
            if abs(e.at - slot) <= 1e-9 and _state_of(e) == state:
                return i
            if e.at < slot - 1e-9:
                break
        return -1

    def sending(self, bucket: BucketLike, slot: float, now: float | None = None) -> None:
        """The request reserved at ``slot`` is being written now (it is in flight)."""
        st = self._states.get(bucket.name)
        if st is not None and (i := self._find(st, slot, state="unsent")) >= 0:
            e = st.sent[i]
            e.bound, e.sent_at, e.solo = math.inf, slot if now is None else now, not self._flying
            for other in self._flying:
                other.solo = False  # shares the path and the venue with this one now
            self._flying.append(e)

    def answered(self, bucket: BucketLike, slot: float, now: float) -> None:
        """The request sent at ``slot`` has its answer (any answer, or gave up waiting): the
        venue counted it, if at all, before ``now``."""
        st = self._states.get(bucket.name)
        if st is not None and (i := self._find(st, slot, state="flying")) >= 0:
            e = st.sent[i]
            e.bound = now
            self._flying = [f for f in self._flying if f is not e]
            if e.solo:
                self.latency_floor = min(self.latency_floor, max(0.0, now - e.sent_at))

    def hold(self, bucket: BucketLike, slot: float, now: float) -> float | None:
        """Seconds the request reserved at ``slot`` must still wait before it is written, so
        that it leaves a full window after the answers of the requests ``capacity`` or more
        places before it; ``None`` while one of those is not answered yet (ask again after an
        answer). 0.0 for a slot the limiter does not track (released, forgotten)."""
        st = self._states.get(bucket.name)
        if st is None or not self.answer_hold:
            return 0.0
        i = self._find(st, slot, state="unsent")
        if i < st.capacity:
            return 0.0
        latest = -math.inf
        window = st.window * st.multiplier
        for k in range(i - st.capacity + 1):
            e = st.sent[k]
            if _expired(e, window, now):
                continue
            if e.bound == _UNSENT or e.bound == math.inf:
                return None
            latest = max(latest, e.bound)
        floor = 0.0 if self.latency_floor == math.inf else self.latency_floor
        return max(0.0, latest - floor + window - now)

    def release(self, bucket: BucketLike, slot: float, now: float) -> bool:
        """Hand back a reserved slot that will not be used (D5: the caller gave up before it).

        Only a slot still in the future is removed (one that has passed may have been used);
        True when it was. Slots reserved after it keep their times, so the schedule stays safe.
        """
        st = self._states.get(bucket.name)
        if st is None or slot <= now:
            return False
        i = self._find(st, slot, state="unsent")
        if i < 0:
            return False
        del st.sent[i]
        st.released += 1
        return True

    def pending(self, bucket_name: str, now: float) -> int:
        """Reserved slots of a bucket still in the future (callers waiting to send)."""
        st = self._states.get(bucket_name)
        return 0 if st is None else sum(1 for e in st.sent if e.at > now)

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


def _state_of(e: _Slot) -> str:
    if e.bound == _UNSENT:
        return "unsent"
    return "flying" if e.bound == math.inf else "answered"


def _expired(e: _Slot, window: float, now: float) -> bool:
    """Can this slot no longer constrain a send at ``now`` or later? Unsent: its slot's window
    has passed (the caller gave up or a user of ``acquire`` does not report sends); answered: its
    answer's window has passed; in flight: only when stale (a request is answered or times out
    long before ``_STALE``)."""
    if e.bound == _UNSENT:
        return e.at + window <= now
    if e.bound == math.inf:
        return e.at + window + _STALE <= now
    return e.bound + window <= now


__all__ = ["BucketLike", "RateLimiter"]
