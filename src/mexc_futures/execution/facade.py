"""Execution manager (facade): intents -> risk gate -> journal -> REST; pushes -> tracker.

Contract (reliability I1, I2, I8, S16–S24; spec §5.3–§5.7, §10, §11):

* ``async with ExecutionManager(rest, journal_path=..., risk=RiskLimits(...)) as ex`` opens the
  journal, restores the kill switch, runs the capability probe (``probe``), opens the order
  lane, and then **reconciles every non-terminal journaled order with the venue before any new
  order** can be submitted (``reconcile``). A tripped kill switch found in the journal re-runs
  its cleanup (``containment``) without a second alert.
* ``submit(PlaceOrder)``: kill switch and trading switch checked, risk gate, deterministic
  ``externalOid`` committed to the journal, then ``order/create``. A lost answer (5xx, timeout)
  makes the order ``UNKNOWN``; it is resolved by ``order/external/{symbol}/{externalOid}`` with
  bounded retries and a grace for read-after-write lag, and is never resubmitted under a new id.
* ``submit_nowait(PlaceOrder)`` is the same with a synchronous front half: gate, journal,
  signature and (on an idle order-lane connection) the socket write happen before it returns; the
  returned future completes like ``submit``.
* Venue refusals 1002/604/801/6001 and permission codes switch trading off with a reason
  (``trading_off_reason``); the kill switch counts them too (``model.killswitch``).
* ``on_account_event`` feeds private pushes to the account book (``execution.account``: tracked
  orders, positions, balances; views ``positions`` / ``balances``); ``reconcile()`` (periodic)
  pulls open orders, the fills of orders whose ``dealVol`` is ahead of the fills seen, and
  positions.
* Kill switch trip: no new orders; cancel all orders, plan orders and stop orders, optionally
  flatten positions, and verify through REST that nothing is open, retrying until confirmed;
  exactly one alert; the state is persisted and survives restarts until ``reset()``.
* Strategy side: ``on(callback)`` and ``events()`` deliver ``OrderUpdate`` / ``Fill`` /
  ``KillSwitchTripped`` (queue bounded; overflow counted).

This module owns the manager's state, its lifecycle (start-up restore and reconciliation, the
periodic reconcile, stop) and its views. The behaviour lives in mixins, one room each:
``execution.placement`` (intent dispatch, the gate, journal-then-create), ``execution.switches``
(probe, venue refusals, the kill switch's feed and operator trip/reset), ``execution.orderops``
(amends, cancels, ownership) and ``execution.killwatch`` (a kill latched by another process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.errors import MexcError
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.adopt import Adopter
from mexc_futures.execution.alerts import Alert, LogAlert
from mexc_futures.execution.chase import ChaseManager
from mexc_futures.execution.common import ExecutionConfig, RiskRejected, StrategyEvent, TradingOff
from mexc_futures.execution.cond_journal import CondJournal
from mexc_futures.execution.conditional import ConditionalManager
from mexc_futures.execution.containment import Containment
from mexc_futures.execution.journal import Journal
from mexc_futures.execution.killwatch import KillWatch
from mexc_futures.execution.orderops import OrderOps
from mexc_futures.execution.placement import Placement
from mexc_futures.execution.probe import Capabilities
from mexc_futures.execution.reconcile import Reconciler
from mexc_futures.execution.switches import TradingSwitches
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.killswitch import KillSwitch, KillSwitchConfig
from mexc_futures.model.orders import OrderEvent, OrderState, OrderTracker, TrackedOrder
from mexc_futures.model.risk import RiskGate, RiskLimits, RiskView
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")


class ExecutionManager(Placement, TradingSwitches, OrderOps, KillWatch):
    """See the module docstring."""

    def __init__(
        self,
        rest: RestClient,
        *,
        journal_path: str | Path,
        risk: RiskLimits | None = None,
        clock: Clock = SYSTEM_CLOCK,
        alerts: Alert | None = None,
        kill_config: KillSwitchConfig | None = None,
        config: ExecutionConfig | None = None,
        session_id: str | None = None,
        label: str = "",
    ) -> None:
        self.rest = rest
        self.journal_path = Path(journal_path)
        self.clock = clock
        self.alerts = alerts or LogAlert()
        self.config = config or ExecutionConfig()
        self.kill_switch = KillSwitch(kill_config)
        self.tracker = OrderTracker()
        self.specs: dict[str, ContractSpec] = {}
        self.risk = RiskGate(risk or RiskLimits(), self.specs)
        self.view = RiskView()
        self.capabilities = Capabilities()
        self.trading_off_reason = ""
        self.session_id = session_id or secrets.token_hex(8)
        #: What this process is, for ``mexc-futures kill``'s report (e.g. ``run market_maker``).
        self.label = label or f"{Path(sys.argv[0]).name} (pid {os.getpid()})"
        #: The kill switch was latched by another process writing the same journal (D1).
        self.external_kill = False
        self._creating = 0  # order/create and amend requests whose answer is not in yet
        self._kill_acked = False
        self._no_creates = asyncio.Event()  # set while ``_creating`` is 0
        self._no_creates.set()
        self.journal: Journal | None = None
        self.ready = False
        self.dropped_events = 0
        #: Orders, positions and balances as the venue reported them (``execution.account``).
        self.account = AccountBook(
            self.tracker,
            self.view,
            self.kill_switch,
            clock=clock,
            journal=lambda: self.journal,
            emit=self._emit,
            on_trip=self._start_cleanup,
        )
        self.reconciler = Reconciler(
            rest, self.tracker, self.account, config=self.config, clock=clock
        )
        self.adopter = Adopter(
            self.tracker,
            clock=clock,
            journal=lambda: self.journal,
            apply_update=self.account.apply_update,
            cancel=self._cancel_foreign,
            policy=self.config.foreign_orders,
        )
        self.reconciler.on_untracked = self.adopter.sweep
        self.containment = Containment(
            rest,
            self.kill_switch,
            self.tracker,
            alerts=self.alerts,
            config=self.config,
            clock=clock,
            emit=self._emit,
            apply_update=self.account.apply_update,
            resolve=self.resolve,
        )
        #: Triggers, TP/SL, trailing, reverse, close-all (``execution.conditional``).
        self.conditionals = ConditionalManager(
            rest,
            clock=clock,
            config=self.config,
            check_allowed=self._cond_allowed,
            check_risk=self._cond_risk,
            in_flight=lambda n: self.begin_create() if n > 0 else self.end_create(),
            owned_order_ids=self._orders_with_tp_sl,
        )
        self._tp_sl_oids: set[str] = set()  # orders placed with an attached TP/SL
        #: Chase-limit orders (``execution.chase``): journaled, moved to the best price.
        self.chases = ChaseManager(self, self.submit)
        self._callbacks: list[Callable[[StrategyEvent], None]] = []
        self._queue: asyncio.Queue[StrategyEvent] = asyncio.Queue(self.config.event_queue)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cleanup: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> ExecutionManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, *, periodic: bool = True) -> None:
        """Journal, kill-switch restore, probe, order lane, journal reconciliation, then ready."""
        self.journal = Journal(self.journal_path)
        self.journal.start_session(self.session_id, self.clock.time_ms())
        self.journal.register_running(
            self.session_id, os.getpid(), self.label, self.clock.time_ms()
        )
        self.rest.observer = self
        self.rest.send_gate = self._send_gate
        rec = self.journal.load_kill()
        if rec is not None:
            self.kill_switch.restore(rec)
        started = self.clock.monotonic()
        for row in self.journal.orders():
            self.tracker.add(row.tracked())
            # an earlier process may have written it just before dying: "not found" counts only
            # after the read-after-write grace from now
            self.reconciler.sent_at.setdefault(row.external_oid, started)
            if row.state in (OrderState.PENDING_SUBMIT, OrderState.UNKNOWN):
                self.reconciler.restored.add(row.external_oid)
        self.conditionals.load(CondJournal(self.journal))
        self.chases.load()
        # resolved "never accepted" by an earlier process moments ago: the create may still land
        window_ms = int(self.config.late_create_window * 1000)
        for row in self.journal.not_found_since(self.clock.time_ms() - window_ms):
            if self.tracker.get(external_oid=row.external_oid) is None:
                order = self.tracker.add(row.tracked())
                self.reconciler.recheck(order, self.config.late_create_window)
        # terminal orders whose fills a crash kept from the journal (D8): fetched by reconcile
        for row in self.journal.short_of_fills():
            if self.tracker.get(external_oid=row.external_oid) is None:
                log.warning(
                    "order %s is %s with %s filled but %s in journaled fills: fetching its fills",
                    row.external_oid,
                    row.state.value,
                    row.filled,
                    row.fill_sum,
                )
                self.tracker.add(row.tracked())
        await self.probe()
        await self.rest.warm_lane()
        await self._reconcile_startup()
        if self.kill_switch.tripped:
            self._start_cleanup()
        if periodic:
            self._spawn(self._periodic())
            self._spawn(self._watch_kill())

    async def _reconcile_startup(self) -> None:
        """Journal reconciliation; ``ready`` (new orders allowed) only once it succeeded."""
        try:
            await self.reconcile()
        except MexcError as e:
            log.warning("start-up reconciliation failed, new orders stay blocked: %s", e)
            return
        self._set_ready()

    def _set_ready(self) -> None:
        """New orders are allowed only once no journaled order is unresolved (D4)."""
        left = self.tracker.unresolved()
        cond = self.conditionals.unresolved()
        if cond:
            log.warning(
                "%d journaled trigger/stop/trailing request(s) unresolved (%s); new orders stay "
                "blocked until the venue answers for them",
                len(cond),
                ", ".join(f"{c.kind} {c.key}" for c in cond[:3]),
            )
            return
        if left:
            log.warning(
                "%d journaled order(s) still unresolved (%s); new orders stay blocked until the "
                "venue answers for them",
                len(left),
                ", ".join(o.external_oid for o in left[:3]),
            )
            return
        self.ready = True

    async def stop(self) -> None:
        """Cancel owned tasks and close the journal."""
        self._stopping.set()
        await self.chases.aclose()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        if self.journal is not None:
            self.journal.end_running(self.session_id, self.clock.time_ms())
            self.journal.close()
            self.journal = None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def _j(self) -> Journal:
        if self.journal is None:
            raise RuntimeError("ExecutionManager is not started")
        return self.journal

    # ------------------------------------------------------------------ resolution (exec.reconcile)
    async def resolve(self, order: TrackedOrder) -> TrackedOrder:
        """Look ``order`` up by externalOid until the venue answers for it (bounded)."""
        return await self.reconciler.resolve(order)

    async def reconcile(self) -> None:
        """Resolve unknowns, then align open orders, fills and positions with REST."""
        await self.reconciler.reconcile()
        await self.conditionals.reconcile()
        self.chases.sync_all()

    async def _periodic(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.reconcile_interval)
            if self._stopping.is_set():
                return
            try:
                await self.reconcile()
            except MexcError as e:
                log.warning("reconciliation failed: %s", e)
            else:
                if not self.ready:
                    self._set_ready()

    # ------------------------------------------------------------------ venue events (exec.account)
    @property
    def positions(self) -> dict[tuple[str, int], PositionUpdate]:
        """Open positions by ``(symbol, position_type)`` (the account book's)."""
        return self.account.positions

    @property
    def balances(self) -> dict[str, BalanceUpdate]:
        """Newest balance per currency (the account book's)."""
        return self.account.balances

    def on_account_event(self, event: AccountEvent) -> None:
        """Feed one private push (``PrivateStream``) or REST-derived event."""
        self.account.on_account_event(event)

    def apply_update(self, upd: OrderUpdate) -> None:
        """Apply an order row/push to a tracked order; journal and emit when it changed."""
        self.account.apply_update(upd)

    def apply_fill(self, fill: Fill) -> None:
        """Apply a fill once (journal-deduplicated across restarts) and emit it."""
        self.account.apply_fill(fill)

    def replace_positions(self, rows: list[PositionUpdate]) -> None:
        """Replace every position with the venue's rows (reconciliation)."""
        self.account.replace_positions(rows)

    def transition(self, order: TrackedOrder, event: OrderEvent) -> None:
        """Apply a local event to ``order`` and journal the result."""
        self.account.transition(order, event)

    # ------------------------------------------------------------------ views and strategy side
    @property
    def open_orders(self) -> list[TrackedOrder]:
        """Orders not yet terminal."""
        return self.tracker.live()

    def order(self, external_oid: str) -> TrackedOrder | None:
        """A tracked order by externalOid."""
        return self.tracker.get(external_oid=external_oid)

    def on(self, callback: Callable[[StrategyEvent], None]) -> None:
        """Call ``callback`` for every OrderUpdate / Fill / KillSwitchTripped."""
        self._callbacks.append(callback)

    async def events(self) -> AsyncIterator[StrategyEvent]:
        """Async iterator over strategy events."""
        while True:
            yield await self._queue.get()

    def _emit(self, event: StrategyEvent) -> None:
        for cb in self._callbacks:
            cb(event)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped_events += 1


__all__ = [
    "Capabilities",
    "ExecutionConfig",
    "ExecutionManager",
    "RiskRejected",
    "StrategyEvent",
    "TradingOff",
]
