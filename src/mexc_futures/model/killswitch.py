"""Kill switch: a latched state machine (reliability I8, S20; spec §6.1 codes 602/1002/604, §11).

States (a table, like the order machine):

====================  =====================  ==========================================
state                 event                  next
====================  =====================  ==========================================
ARMED                 trip                   TRIPPED   (stop new orders, start cleanup)
TRIPPED               trip                   TRIPPED   (first reason kept; latched)
TRIPPED               contained              CONTAINED (REST verified: nothing open)
CONTAINED             trip                   CONTAINED (latched)
CONTAINED             uncontained            TRIPPED   (something open again: clean again)
TRIPPED / CONTAINED   reset (operator only)  ARMED
====================  =====================  ==========================================

Triggers, each counted in a sliding window over injected ``now`` (monotonic seconds):

* ``not_found_limit`` HTTP 404s on order endpoints within ``not_found_window`` — the brief's signal
  of an unannounced API change;
* ``disabled_limit`` trading-disabled answers (1002, 604, 801, 6001) within ``disabled_window``;
* ``signature_limit`` 602 "signature verification failed" answers to POSTs within the window;
* an error rate above ``error_rate`` over at least ``error_rate_min`` requests in ``error_window``
  (the caller decides what counts as an error: no answer, HTTP errors, server codes);
* a session loss (the caller passes realised PnL) beyond ``max_loss``;
* an operator command.

Permission codes (``PERMISSION_CODES``) do not trip it: they switch trading off with a reason
(the key is misconfigured; nothing needs cleaning up). The state is plain data
(``snapshot``/``restore``) so the journal persists it across restarts.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

import msgspec

DISABLED_CODES = frozenset({1002, 604, 801, 6001})
SIGNATURE_CODE = 602
PERMISSION_CODES = frozenset({401, 402, 406, 511, 701, 702, 703, 704})


class KillState(enum.Enum):
    """Kill-switch states; anything but ``ARMED`` blocks new orders."""

    ARMED = "armed"
    TRIPPED = "tripped"
    CONTAINED = "contained"


class KillEvent(enum.Enum):
    """Inputs of the kill-switch machine."""

    TRIP = "trip"
    CONTAINED = "contained"
    UNCONTAINED = "uncontained"
    RESET = "reset"


KILL_TRANSITIONS: dict[tuple[KillState, KillEvent], KillState] = {
    (KillState.ARMED, KillEvent.TRIP): KillState.TRIPPED,
    (KillState.TRIPPED, KillEvent.TRIP): KillState.TRIPPED,
    (KillState.TRIPPED, KillEvent.CONTAINED): KillState.CONTAINED,
    (KillState.TRIPPED, KillEvent.UNCONTAINED): KillState.TRIPPED,
    (KillState.TRIPPED, KillEvent.RESET): KillState.ARMED,
    (KillState.CONTAINED, KillEvent.TRIP): KillState.CONTAINED,
    (KillState.CONTAINED, KillEvent.CONTAINED): KillState.CONTAINED,
    (KillState.CONTAINED, KillEvent.UNCONTAINED): KillState.TRIPPED,
    (KillState.CONTAINED, KillEvent.RESET): KillState.ARMED,
    (KillState.ARMED, KillEvent.RESET): KillState.ARMED,
}


@dataclass(frozen=True, slots=True)
class KillSwitchConfig:
    """Thresholds (defaults documented in docs/execution.md)."""

    not_found_limit: int = 3
    not_found_window: float = 60.0
    disabled_limit: int = 2
    disabled_window: float = 300.0
    signature_limit: int = 2
    signature_window: float = 300.0
    error_rate: float = 0.5
    error_rate_min: int = 20
    error_window: float = 60.0
    max_loss: Decimal | None = None
    flatten_on_trip: bool = False


class KillRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Persistent form: what the journal stores (no secrets)."""

    state: str
    reason: str = ""
    detail: str = ""
    tripped_at_ms: int = 0
    alerted: bool = False


class KillSwitch:
    """Decides when to trip; remembers why. Sans-I/O: ``now`` is monotonic seconds, ``wall_ms``
    the venue-time of the trip for the record."""

    def __init__(self, config: KillSwitchConfig | None = None) -> None:
        self.config = config or KillSwitchConfig()
        self.state = KillState.ARMED
        self.reason = ""
        self.detail = ""
        self.tripped_at_ms = 0
        self.alerted = False
        self._not_found: deque[float] = deque()
        self._disabled: deque[float] = deque()
        self._signature: deque[float] = deque()
        self._outcomes: deque[tuple[float, bool]] = deque()

    # ------------------------------------------------------------------ state
    @property
    def tripped(self) -> bool:
        """True while new orders are blocked (TRIPPED or CONTAINED)."""
        return self.state is not KillState.ARMED

    def _move(self, event: KillEvent) -> None:
        self.state = KILL_TRANSITIONS[(self.state, event)]

    def trip(self, reason: str, detail: str = "", *, wall_ms: int = 0) -> bool:
        """Latch. Returns True only for the trip that moved ARMED -> TRIPPED (alert once)."""
        first = self.state is KillState.ARMED
        self._move(KillEvent.TRIP)
        if first:
            self.reason, self.detail, self.tripped_at_ms = reason, detail, wall_ms
            self.alerted = False
        return first

    def mark_contained(self, contained: bool) -> None:
        """Record the result of a REST verification after cleanup."""
        if self.tripped:
            self._move(KillEvent.CONTAINED if contained else KillEvent.UNCONTAINED)

    def reset(self) -> None:
        """Operator reset: back to ARMED, counters cleared."""
        self._move(KillEvent.RESET)
        self.reason = self.detail = ""
        self.tripped_at_ms = 0
        self.alerted = False
        for q in (self._not_found, self._disabled, self._signature):
            q.clear()
        self._outcomes.clear()

    def snapshot(self) -> KillRecord:
        """Persistent form of the state."""
        return KillRecord(
            state=self.state.value,
            reason=self.reason,
            detail=self.detail,
            tripped_at_ms=self.tripped_at_ms,
            alerted=self.alerted,
        )

    def restore(self, rec: KillRecord) -> None:
        """Load a persisted state (a restart never un-trips)."""
        self.state = KillState(rec.state)
        self.reason, self.detail = rec.reason, rec.detail
        self.tripped_at_ms, self.alerted = rec.tripped_at_ms, rec.alerted

    # ------------------------------------------------------------------ triggers
    @staticmethod
    def _count(q: deque[float], now: float, window: float) -> int:
        q.append(now)
        while q and q[0] < now - window:
            q.popleft()
        return len(q)

    def record_outcome(self, now: float, ok: bool, *, wall_ms: int = 0) -> bool:
        """Count one REST request for the error-rate trigger; True if this tripped."""
        c = self.config
        self._outcomes.append((now, ok))
        while self._outcomes and self._outcomes[0][0] < now - c.error_window:
            self._outcomes.popleft()
        n = len(self._outcomes)
        bad = sum(1 for _, good in self._outcomes if not good)
        if n >= c.error_rate_min and bad / n > c.error_rate:
            return self.trip("error_rate", f"{bad}/{n} requests failed", wall_ms=wall_ms)
        return False

    def record_not_found(self, now: float, endpoint: str, *, wall_ms: int = 0) -> bool:
        """An HTTP 404 on an order endpoint; True if this tripped."""
        c = self.config
        if self._count(self._not_found, now, c.not_found_window) >= c.not_found_limit:
            detail = f"{len(self._not_found)} HTTP 404 on order endpoints, last {endpoint}"
            return self.trip("order_endpoint_404", detail, wall_ms=wall_ms)
        return False

    def record_code(self, now: float, code: int, method: str, *, wall_ms: int = 0) -> bool:
        """A business error code; True if this tripped."""
        c = self.config
        if code in DISABLED_CODES:
            hits = self._count(self._disabled, now, c.disabled_window)
            if hits >= c.disabled_limit:
                return self.trip("trading_disabled", f"code {code}, {hits}x", wall_ms=wall_ms)
            return False
        if code != SIGNATURE_CODE or method != "POST":
            return False
        if self._count(self._signature, now, c.signature_window) >= c.signature_limit:
            return self.trip("signature_rejected", "602 on POST", wall_ms=wall_ms)
        return False

    def record_pnl(self, pnl: Decimal, *, wall_ms: int = 0) -> bool:
        """Session profit and loss (negative = loss); True if it crossed ``max_loss``."""
        limit = self.config.max_loss
        if limit is not None and -pnl >= limit:
            return self.trip("loss_limit", f"loss {-pnl} >= {limit}", wall_ms=wall_ms)
        return False


__all__ = [
    "DISABLED_CODES",
    "KILL_TRANSITIONS",
    "PERMISSION_CODES",
    "SIGNATURE_CODE",
    "KillEvent",
    "KillRecord",
    "KillState",
    "KillSwitch",
    "KillSwitchConfig",
]
