"""Strategy engine: market data -> strategy -> execution, never blocking one another (brief §6.1).

Data flow::

    market events --feed_market()--> [books: one slot per symbol (conflated)] --+
                                     [others: bounded deque, oldest dropped]  --+--> dispatcher
    account events --feed_account()-> [bounded queue, back-pressure, first]  --+      |
                                                                                      v
                                                         strategy handler (timed, sync)
                                                                                      |
    executor.submit() <--- intent worker <--- [bounded intent queue] <---------------+

Contract:

* Queues: ``strategy.inbox`` (conflation, bounds, dispatch order); the intent queue and its
  worker: ``strategy.outbox``; tunables, counters and reports: ``strategy.health``; this module
  is the wiring.
* ``feed_market`` never blocks and never awaits: a market-data reader calls it inline. A
  ``BookUpdate`` replaces the pending one of its symbol (the strategy sees the newest version; the
  count of skipped versions is ``stats.conflated``). Other market events go to a deque of
  ``market_queue`` items; when full the oldest is dropped and counted (``stats.dropped``).
* Account events are never dropped or conflated; ``feed_account`` awaits when its queue is full
  (back-pressure on the private stream only). They are folded into the ``AccountState`` (and fanned
  to ``account_sinks``) on arrival, so the view is fresh even while the strategy lags; duplicates
  (the same fill twice) are not delivered to the strategy.
* Account events are dispatched before market events. Within a kind, order is kept.
* Shutdown settles: after ``on_stop`` the engine waits (≤ ``stop_timeout``) until its intents
  are sent, no order of the strategy is open, every order it placed has ended with all its fills
  seen, and (with an account stream) the streams fell silent for ``settle_quiet`` seconds.
* Intents go to a bounded queue drained by one worker that awaits ``executor.submit``; a slow REST
  call delays later intents, never market data. A full intent queue rejects the intent and
  reports ``intent_queue_full``.
* A ``KillSwitchTripped`` event (or ``KillSwitchActive`` raised by the executor) halts the engine:
  queued and future intents other than ``CancelOrder`` / ``CancelAll`` are dropped and counted
  (``stats.intents_blocked``); cancels still flow, since they only reduce risk.
* Tick-to-order: every intent carries the monotonic time its triggering event entered the engine
  (``feed_market`` / ``feed_account``; for a conflated book, the newest version's arrival; for
  ``on_timer`` / ``on_start`` / ``on_stop``, the call's start). When the intent worker hands an
  intent to ``executor.submit`` it records ``now - origin`` (tick-to-order as far as the engine
  sees it) in ``stats.max_tick_to_submit_s`` and ``tick_to_submit_ms`` (the newest samples),
  and calls ``on_submit(intent, seconds)``. While ``submit`` runs, ``submitting_origin`` holds
  that origin (one worker, so it names exactly the intent in flight).
* A strategy's mistakes are located and counted (``strategy.guard``): a handler that raises
  reports ``handler_error`` naming the file and line (the first one with its full traceback in
  ``HealthReport.trace`` and ``stats.first_failure``); a value that is not an intent is refused
  (``bad_intent``, naming the handler and the value) and never reaches the executor. With
  ``max_handler_errors`` set, that many handler errors stop the run (``strategy_failed``).
* A slow strategy is reported, not hidden: a handler call over ``handler_budget`` seconds reports
  ``slow_handler``; an event that waited more than ``lag_budget`` seconds in the queue reports
  ``lag``; a backlog over ``backlog_warn`` reports ``backlog``. Reports go to ``on_report`` at most
  once per ``report_cooldown`` seconds per kind, and are always counted in ``stats.reports``.

Only the injected ``Clock`` is read for time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

import msgspec

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.model.events import (
    AccountEvent,
    BookResync,
    BookUpdate,
    Event,
    KillSwitchTripped,
    MarketEvent,
)
from mexc_futures.model.intents import Intent
from mexc_futures.strategy.account import AccountState
from mexc_futures.strategy.api import (
    DepthReader,
    Strategy,
    StrategyView,
    TopOfBook,
    dispatch,
    handler_name,
)
from mexc_futures.strategy.guard import (
    HandlerFailure,
    check_intents,
    describe_exception,
    display_name,
)
from mexc_futures.strategy.health import EngineConfig, EngineStats, HealthReport, log_report
from mexc_futures.strategy.inbox import EventInbox
from mexc_futures.strategy.outbox import Executor, IntentOutbox, default_is_kill_error

if TYPE_CHECKING:
    from mexc_futures.execution.conditional import TrackedConditional
    from mexc_futures.model.instrument import ContractSpec


class StrategyEngine(IntentOutbox):
    """Runs one strategy against a market source, an account source and an executor."""

    def __init__(
        self,
        strategy: Strategy,
        executor: Executor,
        *,
        clock: Clock = SYSTEM_CLOCK,
        config: EngineConfig | None = None,
        specs: Mapping[str, ContractSpec] | None = None,
        depth: DepthReader | None = None,
        account: AccountState | None = None,
        account_sinks: Sequence[Callable[[AccountEvent], object]] = (),
        on_report: Callable[[HealthReport], None] | None = None,
        is_kill_error: Callable[[BaseException], bool] | None = None,
        on_submit: Callable[[Intent, float], None] | None = None,
        conditionals: Callable[[str | None], Sequence[TrackedConditional]] | None = None,
    ) -> None:
        self.strategy = strategy
        self.executor = executor
        self.clock = clock
        self.config = config or EngineConfig()
        self.account = account or AccountState()
        self.stats = EngineStats()
        self.halted = False
        self.tops: dict[str, TopOfBook] = {}
        self.view = StrategyView(
            now_ms=clock.time_ms,
            account=self.account,
            tops=self.tops,
            specs=specs,
            depth=depth,
            halted=lambda: self.halted,
            conditionals=conditionals,
        )
        self._sinks = tuple(account_sinks)
        self._on_report = on_report or log_report
        self._is_kill_error = is_kill_error or default_is_kill_error
        self._on_submit = on_submit
        self._inbox = EventInbox(self.config.market_queue)
        self._acct_space = asyncio.Event()
        self._wake = asyncio.Event()
        self._intents: asyncio.Queue[tuple[Intent, float]] = asyncio.Queue(self.config.intent_queue)
        self._origin: float | None = None
        self.submitting_origin: float | None = None
        self.tick_to_submit_ms: deque[float] = deque(maxlen=256)
        self._last_report: dict[str, float] = {}
        self._timer_due = False
        self._stop = asyncio.Event()
        self._started = False
        self._stopping = False
        self._settled = asyncio.Event()
        self._submitted: set[str] = set()  # venue ids of orders the executor placed for us

    # ------------------------------------------------------------------ ingest (producers)

    def feed_market(self, event: MarketEvent) -> None:
        """Accept one market event without blocking (conflate books, bound the rest).

        Ignored once the engine is stopping (the strategy is done with market data).
        """
        if self._stopping:
            return
        self.stats.market_in += 1
        now = self.clock.monotonic()
        if isinstance(event, BookUpdate):
            self.tops[event.symbol] = TopOfBook(
                event.symbol, event.best_bid, event.best_ask, event.version
            )
            if self._inbox.put_book(event, now):
                self.stats.conflated += 1
        else:
            if isinstance(event, BookResync):
                top = self.tops.get(event.symbol)
                if top is not None:
                    self.tops[event.symbol] = msgspec.structs.replace(top, synced=False)
            if self._inbox.put_market(event, now):
                self.stats.dropped += 1
                self._report("dropped", "market queue full: oldest event dropped", 1)
        self._note_backlog()
        self._wake.set()

    async def feed_account(self, event: AccountEvent, *, sink: bool = True) -> None:
        """Accept one account event; awaits while the account queue is full (never drops).

        ``sink=False`` skips ``account_sinks`` (for events that came *from* the sink, such as
        the execution manager's own order updates and kill-switch events).
        """
        while len(self._inbox.account) >= self.config.account_queue and not self._stopping:
            self._acct_space.clear()
            await self._acct_space.wait()
        self.stats.account_in += 1
        if sink:
            for target in self._sinks:
                target(event)
        if not self.account.apply(event):
            self.stats.duplicates += 1
            return
        if isinstance(event, KillSwitchTripped):
            self.halt(f"kill switch: {event.reason}")
        if self._stopping:  # shutting down: keep the view exact, the strategy is done
            self._check_settled()
            return
        self._inbox.put_account(event, self.clock.monotonic())
        self._note_backlog()
        self._wake.set()

    def request_timer(self) -> None:
        """Mark ``on_timer`` due (called by the timer task; tests call it directly)."""
        self._timer_due = True
        self._wake.set()

    @property
    def backlog(self) -> int:
        """Events waiting for the strategy."""
        return len(self._inbox)

    @property
    def pending_intents(self) -> int:
        """Intents waiting for the executor."""
        return self._intents.qsize()

    # ------------------------------------------------------------------ dispatch (consumer)

    def _next(self) -> tuple[Event, float, float] | None:
        """The next event with its first and newest arrival times (equal unless conflated)."""
        if self._inbox.account:
            self._acct_space.set()  # a blocked feed_account re-checks after this pop
        return self._inbox.pop()

    def process_pending(self, limit: int | None = None) -> int:
        """Deliver queued events to the strategy synchronously; return how many were handled."""
        n = 0
        if self._timer_due:
            self._timer_due = False
            self._call("on_timer", lambda: self.strategy.on_timer(self.clock.time_ms(), self.view))
        while limit is None or n < limit:
            item = self._next()
            if item is None:
                break
            event, t_in, t_newest = item
            age = self.clock.monotonic() - t_in
            if age > self.config.lag_budget:
                self._report("lag", f"{type(event).__name__} waited {age * 1000:.0f} ms", age)
            self._origin = t_newest
            try:
                self._call(handler_name(event), partial(dispatch, self.strategy, event, self.view))
            finally:
                self._origin = None
            n += 1
        return n

    def _call(self, name: str, fn: Callable[[], object]) -> None:
        t0 = self.clock.monotonic()
        origin = t0 if self._origin is None else self._origin
        try:
            out = fn()
        except Exception as exc:
            self._failed(describe_exception(name, exc))
            out = None
        spent = self.clock.monotonic() - t0
        self.stats.handled += 1
        self.stats.max_handler_s = max(self.stats.max_handler_s, spent)
        if spent > self.config.handler_budget:
            self.stats.slow_calls += 1
            budget_ms = self.config.handler_budget * 1000
            self._report(
                "slow_handler",
                f"{self.strategy.name}.{name} took {spent * 1000:.1f} ms "
                f"(budget {budget_ms:.1f} ms); backlog {self.backlog}",
                spent,
            )
        intents, refused = check_intents(display_name(self.strategy), name, out)
        for text in refused:
            self.stats.bad_intents += 1
            self._report("bad_intent", text, 1)
        self.emit(intents, origin=origin)

    def _failed(self, failure: HandlerFailure) -> None:
        self.stats.handler_errors += 1
        first = self.stats.first_failure is None
        if first:
            self.stats.first_failure = failure
        self._report(
            "handler_error",
            failure.line(display_name(self.strategy)),
            1,
            failure.trace if first else "",
        )
        limit = self.config.max_handler_errors
        if limit is not None and self.stats.handler_errors == limit:
            self._report(
                "strategy_failed",
                f"{limit} handler errors: stopping {display_name(self.strategy)}",
                limit,
            )
            self.stop()

    # ------------------------------------------------------------------ tasks

    async def _dispatch_loop(self) -> None:
        while True:
            if self.process_pending(limit=1) == 0 and not self._timer_due:
                self._wake.clear()
                await self._wake.wait()
            else:
                await asyncio.sleep(0)  # let producers run between events

    async def _pump_market(self, source: AsyncIterable[MarketEvent]) -> None:
        async for event in source:
            self.feed_market(event)

    async def _pump_account(self, source: AsyncIterable[AccountEvent], sink: bool) -> None:
        async for event in source:
            await self.feed_account(event, sink=sink)

    async def _timer(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.request_timer()

    def stop(self) -> None:
        """Ask ``run`` to finish (calls ``on_stop`` and flushes its cancels first)."""
        self._stop.set()

    async def run(
        self,
        market: AsyncIterable[MarketEvent] | None = None,
        account: AsyncIterable[AccountEvent] | None = None,
        *,
        feedback: AsyncIterable[AccountEvent] | None = None,
        duration: float | None = None,
    ) -> None:
        """Run until ``stop()`` (or ``duration`` seconds): on_start, event loop, on_stop, flush.

        ``account`` events (private pushes) go to the sinks and the strategy; ``feedback`` events
        (the executor's own ``events()``) only to the strategy.
        """
        if self._started:
            raise RuntimeError("a StrategyEngine runs once")
        self._started = True
        async with asyncio.TaskGroup() as tg:
            worker = tg.create_task(self._intent_worker())
            loops = [tg.create_task(self._dispatch_loop())]
            if market is not None:
                loops.append(tg.create_task(self._pump_market(market)))
            account_pumps = [
                tg.create_task(self._pump_account(src, sink))
                for src, sink in ((account, True), (feedback, False))
                if src is not None
            ]
            interval = self.strategy.timer_interval
            if interval:
                loops.append(tg.create_task(self._timer(interval)))
            self._call("on_start", lambda: self.strategy.on_start(self.view))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), duration)
            for task in loops:
                task.cancel()
            self._stopping = True
            self._acct_space.set()
            self._call("on_stop", lambda: self.strategy.on_stop(self.view))
            try:
                async with asyncio.timeout(self.config.stop_timeout):
                    await self._intents.join()
                    self._check_settled()
                    if account is not None:
                        await self._settled.wait()
                        await self._quiet()
            except TimeoutError:
                self._report(
                    "stop_timeout",
                    f"{self.pending_intents} intents not sent, "
                    f"{len(self._open_own())} orders still open",
                    1,
                )
            for task in [*account_pumps, worker]:
                task.cancel()

    def _open_own(self) -> list[object]:
        return [o for s in self.strategy.symbols for o in self.account.open_orders(s)]

    def _check_settled(self) -> None:
        """Settled: none of our orders is open, and every order we placed ended with all its
        fills seen (a market order can end before its pushes arrive)."""
        if not self._open_own() and all(self.account.settled(o) for o in self._submitted):
            self._settled.set()

    async def _quiet(self) -> None:
        """Wait until the account streams fall silent for ``settle_quiet`` seconds (position
        and balance pushes trail the order and fill pushes)."""
        while True:
            seen = self.stats.account_in
            await asyncio.sleep(self.config.settle_quiet)
            if self.stats.account_in == seen:
                return

    # ------------------------------------------------------------------ reporting

    def _note_backlog(self) -> None:
        depth = self.backlog
        if depth > self.stats.max_backlog:
            self.stats.max_backlog = depth
        if depth > self.config.backlog_warn:
            self._report("backlog", f"{depth} events waiting for {self.strategy.name}", depth)

    def _report(self, kind: str, detail: str, value: float, trace: str = "") -> None:
        self.stats.reports[kind] = self.stats.reports.get(kind, 0) + 1
        now = self.clock.monotonic()
        last = self._last_report.get(kind)
        if last is not None and now - last < self.config.report_cooldown and not trace:
            return
        self._last_report[kind] = now
        self._on_report(HealthReport(kind, detail, value, trace))



__all__ = ["EngineConfig", "EngineStats", "Executor", "HealthReport", "StrategyEngine"]
