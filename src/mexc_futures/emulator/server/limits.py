"""Connection and request limits the emulator enforces (spec §9, §7.2, §17; reliability S7-S9).

Two sans-I/O pieces, both driven by *venue* time (``now`` in venue seconds from the emulator's
scaled clock, so ``speed=600`` turns the 60 s ping rule into 0.1 s of real time):

* ``WsLimits`` — the per-connection WebSocket rules: the 60 s ping rule by default, the spot
  documentation's rules opt-in (``WsLimits.spot_rules()``; fidelity audit rows 5, 6).
  ``WsLimitState`` tracks one connection against them and reports the earliest deadline the
  I/O shell has to wake up for.
* ``RestLimiter`` — token buckets per (api key or client IP, endpoint bucket) answering
  code 510 "Requests are too frequent, please try again later" (spec §9.1).

Choices where the spec is [UNCONFIRMED] (see docs/emulator-server.md): the 31st subscription gets
``rs.error`` and is refused (the connection stays up); a message-rate breach closes with WS code
1008; the first-subscription rule also counts a successful ``login``/``personal.filter`` (a
private-only connection is not "empty"); the ping rule sends the ``rs.error`` text of §7.2 and then
drops the TCP connection without a close frame (live: code 1006); max lifetime closes with 1001.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

RATE_LIMIT_CODE = 510
RATE_LIMIT_MESSAGE = "Requests are too frequent, please try again later"
IDLE_ERROR_TEXT = "more than 60 seconds no response, close the channel"


@dataclass(frozen=True, slots=True)
class WsLimits:
    """Per-connection WebSocket limits; ``None`` disables a rule. Durations are venue seconds.

    Default: only the 60 s ping rule, the one rule confirmed on the futures venue (fidelity audit
    rows 5 and 6: 150+ subscriptions on one socket in three independent live reports, a
    connection with no subscription closed at 60 s, not 30 s; no message-rate or lifetime close
    observed). The spot documentation's rules (30 subscriptions, 100 messages/s, a first
    subscription within 30 s, a 24 h lifetime) are opt-in: ``WsLimits.spot_rules()``, or set one.
    """

    max_subscriptions: int | None = None
    max_messages: int | None = None
    message_window_s: float = 1.0
    first_subscription_s: float | None = None
    ping_timeout_s: float | None = 60.0
    max_lifetime_s: float | None = None
    idle_error_frame: bool = True
    unsub_ack: bool = False

    @classmethod
    def off(cls, *, unsub_ack: bool = False) -> WsLimits:
        """Every limit disabled (for benchmarks and long-lived manual sessions)."""
        return cls(None, None, 1.0, None, None, None, False, unsub_ack)

    @classmethod
    def spot_rules(cls) -> WsLimits:
        """The spot documentation's rules on top of the ping rule (spec §17's former default):
        30 subscriptions, 100 messages per second, a subscription within 30 s, 24 h lifetime."""
        return cls(30, 100, 1.0, 30.0, 60.0, 24 * 3600.0)


class Breach(Enum):
    """Why a connection must end; the shell maps each to a close action."""

    RATE = "rate"  # > max_messages in one window -> close 1008
    NO_SUBSCRIPTION = "no_subscription"  # nothing subscribed in time -> close 1000
    PING_TIMEOUT = "ping_timeout"  # no ping -> optional rs.error, then TCP drop (1006)
    LIFETIME = "lifetime"  # max lifetime -> close 1001


CLOSE_CODES: dict[Breach, int] = {
    Breach.RATE: 1008,
    Breach.NO_SUBSCRIPTION: 1000,
    Breach.PING_TIMEOUT: 1006,
    Breach.LIFETIME: 1001,
}


@dataclass(slots=True)
class WsLimitState:
    """One connection's standing against ``WsLimits`` (times are venue seconds)."""

    limits: WsLimits
    opened_s: float
    last_ping_s: float = 0.0
    subscribed: bool = False
    _recent: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.last_ping_s = self.opened_s

    def on_message(self, now_s: float) -> Breach | None:
        """Count one client message; return ``Breach.RATE`` when the window overflows."""
        cap = self.limits.max_messages
        if cap is None:
            return None
        recent = self._recent
        recent.append(now_s)
        floor = now_s - self.limits.message_window_s
        while recent and recent[0] <= floor:
            recent.popleft()
        return Breach.RATE if len(recent) > cap else None

    def on_ping(self, now_s: float) -> None:
        self.last_ping_s = now_s

    def on_subscribed(self) -> None:
        self.subscribed = True

    def can_add_subscription(self, current: int) -> bool:
        cap = self.limits.max_subscriptions
        return cap is None or current < cap

    def deadlines(self) -> list[tuple[float, Breach]]:
        """Every pending timed rule as (venue second, breach)."""
        lim = self.limits
        out: list[tuple[float, Breach]] = []
        if lim.first_subscription_s is not None and not self.subscribed:
            out.append((self.opened_s + lim.first_subscription_s, Breach.NO_SUBSCRIPTION))
        if lim.ping_timeout_s is not None:
            out.append((self.last_ping_s + lim.ping_timeout_s, Breach.PING_TIMEOUT))
        if lim.max_lifetime_s is not None:
            out.append((self.opened_s + lim.max_lifetime_s, Breach.LIFETIME))
        return out

    def next_deadline(self) -> float | None:
        pending = self.deadlines()
        return min(t for t, _ in pending) if pending else None

    def expired(self, now_s: float) -> Breach | None:
        """The first timed rule that has run out at ``now_s``, if any."""
        due = [(t, b) for t, b in self.deadlines() if t <= now_s]
        return min(due, key=lambda tb: tb[0])[1] if due else None


class BucketLike(Protocol):
    """What the limiter needs of ``protocol.endpoints.RateBucket`` (spec §9.1)."""

    @property
    def name(self) -> str: ...

    @property
    def capacity(self) -> int: ...

    @property
    def per_seconds(self) -> float: ...


@dataclass(slots=True)
class _Tokens:
    tokens: float
    stamp: float


class RestLimiter:
    """Token buckets per (caller, bucket name): ``capacity`` tokens refilled over ``per_seconds``.

    ``caller`` is the API key for signed calls and the client IP for public ones (scope is
    [UNCONFIRMED], spec §14.10; ``create`` and ``submit`` share a bucket only if the endpoint
    table gives them the same bucket name). ``enabled=False`` admits everything.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._state: dict[tuple[str, str], _Tokens] = {}
        self.rejected = 0

    def allow(self, caller: str, bucket: BucketLike, now_s: float) -> bool:
        """Take one token; ``False`` means answer code 510 (and the call does not run)."""
        if not self.enabled:
            return True
        key = (caller, bucket.name)
        cap = float(bucket.capacity)
        st = self._state.get(key)
        if st is None:
            st = self._state[key] = _Tokens(cap, now_s)
        rate = cap / bucket.per_seconds
        st.tokens = min(cap, st.tokens + max(0.0, now_s - st.stamp) * rate)
        st.stamp = now_s
        if st.tokens >= 1.0:
            st.tokens -= 1.0
            return True
        self.rejected += 1
        return False

    def reset(self) -> None:
        self._state.clear()


__all__ = [
    "CLOSE_CODES",
    "IDLE_ERROR_TEXT",
    "RATE_LIMIT_CODE",
    "RATE_LIMIT_MESSAGE",
    "Breach",
    "RestLimiter",
    "WsLimitState",
    "WsLimits",
]
