"""The engine's way out: intents to the executor (``StrategyEngine`` mixes it in).

* ``emit`` queues intents on a bounded queue (``intent_queue``); a full queue rejects the intent
  and reports ``intent_queue_full`` — market data is never delayed by a slow executor.
* One worker (``_intent_worker``) awaits ``executor.submit`` for each intent in turn; it records
  tick-to-submit (``now - origin``: ``stats.max_tick_to_submit_s``, ``tick_to_submit_ms``),
  calls ``on_submit`` and holds ``submitting_origin`` while ``submit`` runs. The venue ids of the
  orders it placed are kept for the shutdown settle (``_submitted``).
* ``halt`` (kill switch, or ``KillSwitchActive`` from the executor): queued and future intents
  other than cancels are dropped and counted (``stats.intents_blocked``); cancels still flow,
  since they only reduce risk.

Queues in: ``strategy.inbox``; the wiring: ``strategy.engine``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from mexc_futures.clock import Clock
from mexc_futures.errors import KillSwitchActive
from mexc_futures.model.intents import (
    CancelAll,
    CancelConditional,
    CancelOrder,
    CloseAll,
    Intent,
)
from mexc_futures.strategy.health import EngineStats


class Executor(Protocol):
    """Where intents go: ``ExecutionManager`` satisfies it."""

    async def submit(self, intent: Intent) -> object:
        """Execute one intent; raise on failure."""
        ...


def _is_cancel(intent: Intent) -> bool:
    """Intents that only remove orders or exposure: still sent once the engine halted."""
    return isinstance(intent, CancelOrder | CancelAll | CancelConditional | CloseAll)


def default_is_kill_error(exc: BaseException) -> bool:
    """The executor refused because the kill switch is tripped: the engine halts."""
    return isinstance(exc, KillSwitchActive)


class IntentOutbox:
    """See the module docstring; state lives on the engine."""

    executor: Executor
    clock: Clock
    stats: EngineStats
    halted: bool
    submitting_origin: float | None
    tick_to_submit_ms: deque[float]
    _intents: asyncio.Queue[tuple[Intent, float]]
    _on_submit: Callable[[Intent, float], None] | None
    _is_kill_error: Callable[[BaseException], bool]
    _submitted: set[str]

    if TYPE_CHECKING:

        @property
        def pending_intents(self) -> int: ...

        def _report(self, kind: str, detail: str, value: float, trace: str = "") -> None: ...

    def emit(self, intents: Iterable[Intent], *, origin: float | None = None) -> None:
        """Queue intents for the executor (dropping non-cancels when halted).

        ``origin``: monotonic arrival time of the event that caused them (default: now).
        """
        born = self.clock.monotonic() if origin is None else origin
        for intent in intents:
            self.stats.intents_emitted += 1
            if self.halted and not _is_cancel(intent):
                self.stats.intents_blocked += 1
                continue
            try:
                self._intents.put_nowait((intent, born))
            except asyncio.QueueFull:
                self.stats.intents_rejected += 1
                self._report(
                    "intent_queue_full",
                    f"{self.pending_intents} intents waiting for the executor; "
                    f"{type(intent).__name__} rejected",
                    1,
                )

    def halt(self, reason: str) -> None:
        """Stop intent flow (kill switch): drop queued non-cancel intents; cancels still go."""
        if self.halted:
            return
        self.halted = True
        kept: list[tuple[Intent, float]] = []
        while not self._intents.empty():
            item = self._intents.get_nowait()
            self._intents.task_done()
            if _is_cancel(item[0]):
                kept.append(item)
            else:
                self.stats.intents_blocked += 1
        for item in kept:
            self._intents.put_nowait(item)
        self._report("halted", reason, 1)

    async def _intent_worker(self) -> None:
        while True:
            intent, origin = await self._intents.get()
            try:
                await self._send(intent, origin)
            finally:
                self.submitting_origin = None
                self._intents.task_done()

    async def _send(self, intent: Intent, origin: float) -> None:
        if self.halted and not _is_cancel(intent):
            self.stats.intents_blocked += 1
            return
        waited = self.clock.monotonic() - origin
        self.stats.max_tick_to_submit_s = max(self.stats.max_tick_to_submit_s, waited)
        self.tick_to_submit_ms.append(waited * 1000)
        if self._on_submit is not None:
            self._on_submit(intent, waited)
        self.submitting_origin = origin
        try:
            result = await self.executor.submit(intent)
            self.stats.intents_sent += 1
            for one in result if isinstance(result, list) else (result,):  # a batch: a list
                order_id = getattr(one, "order_id", None)
                if isinstance(order_id, str) and order_id:
                    self._submitted.add(order_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.stats.intents_failed += 1
            self._report("intent_failed", f"{type(intent).__name__}: {exc}", 1)
            if self._is_kill_error(exc):
                self.halt(f"executor refused: {exc}")
