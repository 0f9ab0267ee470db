"""What the strategy engine is tuned by, counts and reports: ``EngineConfig`` (queue bounds and
time budgets), ``EngineStats`` (counters the dashboard shows) and ``HealthReport`` (a slow strategy,
a lag, a backlog, a full intent queue; see ``strategy.engine`` for when each is raised).

Why a module of its own: these are the engine's observable contract — the CLI, the dashboard and
the paper session read them — while ``strategy.engine`` is the wiring that fills them. A reader
of the numbers needs this page only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import msgspec

from mexc_futures.strategy.guard import HandlerFailure

log = logging.getLogger("mexc_futures.strategy.engine")


class HealthReport(msgspec.Struct, frozen=True):
    """Something the operator should know about the engine (see module docstring for kinds)."""

    kind: str
    detail: str
    value: float = 0.0
    trace: str = ""  # a full traceback (the first handler_error only)


@dataclass(frozen=True)
class EngineConfig:
    """Queue bounds and budgets. Times in seconds of the injected clock."""

    market_queue: int = 2048
    account_queue: int = 1024
    intent_queue: int = 256
    handler_budget: float = 0.005
    lag_budget: float = 0.5
    backlog_warn: int = 512
    report_cooldown: float = 1.0
    stop_timeout: float = 5.0
    settle_quiet: float = 0.2
    max_handler_errors: int | None = None  # stop the run after this many (None: never)


@dataclass
class EngineStats:
    """Counters, readable at any time (the dashboard shows them)."""

    market_in: int = 0
    account_in: int = 0
    handled: int = 0
    conflated: int = 0
    dropped: int = 0
    duplicates: int = 0
    max_backlog: int = 0
    max_handler_s: float = 0.0
    slow_calls: int = 0
    intents_emitted: int = 0
    intents_sent: int = 0
    intents_failed: int = 0
    intents_blocked: int = 0
    intents_rejected: int = 0
    handler_errors: int = 0
    bad_intents: int = 0
    first_failure: HandlerFailure | None = None
    max_tick_to_submit_s: float = 0.0
    reports: dict[str, int] = field(default_factory=dict)


def log_report(report: HealthReport) -> None:
    """The default ``on_report``: one WARNING line on ``mexc_futures.strategy.engine``."""
    log.warning("strategy engine: %s: %s", report.kind, report.detail)


__all__ = ["EngineConfig", "EngineStats", "HealthReport", "log_report"]
