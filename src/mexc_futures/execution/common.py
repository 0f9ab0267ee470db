"""Execution configuration, the manager's errors and the strategy event type.

``ExecutionConfig`` holds the timing and behaviour knobs (defaults documented in
docs/execution.md); ``RiskRejected`` / ``TradingOff`` are what ``ExecutionManager.submit`` raises
besides ``KillSwitchActive`` and venue errors; ``StrategyEvent`` is what strategies receive.
"""

from __future__ import annotations

from dataclasses import dataclass

from mexc_futures.errors import MexcError
from mexc_futures.model.events import Fill, KillSwitchTripped, OrderUpdate
from mexc_futures.model.risk import Rejection

StrategyEvent = OrderUpdate | Fill | KillSwitchTripped

#: Order lookups answering "no such order" (spec §6).
NOT_FOUND_CODES = frozenset({2040, 5002})


class RiskRejected(MexcError):
    """The risk gate refused an intent; ``rejection.rule`` names the rule."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(f"risk gate: {rejection.rule}: {rejection.detail}")
        self.rejection = rejection


class TradingOff(MexcError):
    """Trading is switched off (the venue refused it, or the probe found it impossible)."""


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    """Timing and behaviour knobs (defaults in docs/execution.md)."""

    symbols: tuple[str, ...] = ()
    reconcile_interval: float = 5.0
    resolve_attempts: int = 6
    resolve_delay: float = 0.2
    not_found_grace: float = 1.0
    cleanup_retry: float = 0.5
    cleanup_retry_cap: float = 5.0
    create_timeout: float | None = None
    max_skew_ms: int = 5_000
    event_queue: int = 10_000
    #: how often a running manager reads the journal's kill-switch latch (D1: the bound on how
    #: long another process's ``mexc-futures kill`` takes to stop this one)
    kill_watch_interval: float = 0.2
    #: after seeing the latch, how long to wait for creates already sent before acknowledging
    kill_ack_wait: float = 5.0
    #: open orders this journal did not place: ``watch`` (visible in ``foreign_orders``, never
    #: touched) or ``cancel`` (an account dedicated to this process; D2, ux finding 2)
    foreign_orders: str = "watch"
    #: how long a journaled create resolved "never accepted" at start-up is looked up again on
    #: each pass (a request written just before a crash can reach the venue late)
    late_create_window: float = 60.0


__all__ = [
    "NOT_FOUND_CODES",
    "ExecutionConfig",
    "RiskRejected",
    "StrategyEvent",
    "TradingOff",
]
