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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, overload

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.errors import (
    ApiError,
    AuthError,
    ClockSkewError,
    KillSwitchActive,
    MexcError,
    TradingDisabledError,
    TransportError,
)
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.adopt import Adopter
from mexc_futures.execution.alerts import Alert, LogAlert
from mexc_futures.execution.batch import place_batch
from mexc_futures.execution.common import ExecutionConfig, RiskRejected, StrategyEvent, TradingOff
from mexc_futures.execution.cond_journal import CondJournal
from mexc_futures.execution.cond_requests import risk_order
from mexc_futures.execution.conditional import ConditionalManager, TrackedConditional
from mexc_futures.execution.containment import Containment
from mexc_futures.execution.journal import (
    DuplicateIntent,
    Journal,
    KillLatched,
)
from mexc_futures.execution.killwatch import KillWatch
from mexc_futures.execution.orderops import OrderOps
from mexc_futures.execution.probe import Capabilities, run_probe
from mexc_futures.execution.reconcile import Reconciler
from mexc_futures.execution.requests import close_order, create_body, point_view
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import (
    CONDITIONAL_TYPES,
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    ConditionalIntent,
    Intent,
    PlaceBatch,
    PlaceOrder,
    PlaceTrailing,
    PlaceTrigger,
)
from mexc_futures.model.killswitch import (
    DISABLED_CODES,
    PERMISSION_CODES,
    KillSwitch,
    KillSwitchConfig,
)
from mexc_futures.model.orders import OrderEvent, OrderState, OrderTracker, TrackedOrder
from mexc_futures.model.risk import RiskGate, RiskLimits, RiskView
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")

ORDER_PATH = "/api/v1/private/order/"
SIGNATURE_REJECTED = 602
SERVER_CODES = frozenset({500, 501, 9999})


class ExecutionManager(OrderOps, KillWatch):
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

    # ------------------------------------------------------------------ probe (exec.probe)
    async def probe(self) -> Capabilities:
        """Capability probe; sets ``trading_off_reason`` when trading cannot work."""
        try:
            await run_probe(
                self.rest,
                self.config.symbols,
                caps=self.capabilities,
                view=self.view,
                specs=self.specs,
                balances=self.balances,
                max_skew_ms=self.config.max_skew_ms,
            )
        except AuthError as e:
            self._trading_off(f"key cannot read the account: {e}")
        except ApiError as e:
            self._venue_refused(e)
            self._trading_off(f"capability probe failed: {e}")
        except TransportError as e:
            self._trading_off(f"capability probe failed: {e}")
        return self.capabilities

    def _trading_off(self, reason: str) -> None:
        if not self.trading_off_reason:
            self.trading_off_reason = reason
            log.error("trading switched off: %s", reason)
            if self.journal is not None:
                self.journal.event("trading_off", None, reason, self.clock.time_ms())

    # ------------------------------------------------------------------ intents
    @overload
    async def submit(self, intent: ConditionalIntent) -> TrackedConditional: ...
    @overload
    async def submit(self, intent: PlaceBatch) -> list[TrackedOrder]: ...
    @overload
    async def submit(
        self, intent: PlaceOrder | CancelOrder | CancelAll | AmendOrder | ClosePosition
    ) -> TrackedOrder | None: ...
    async def submit(
        self, intent: Intent
    ) -> TrackedOrder | TrackedConditional | list[TrackedOrder] | None:
        """Carry out one intent (see the module docstring). Returns the order for order intents,
        the tracked row for conditional ones (``execution.conditional``), the orders of a batch
        (``execution.batch``)."""
        if isinstance(intent, CONDITIONAL_TYPES):
            return await self.conditionals.submit(intent)
        if isinstance(intent, PlaceBatch):
            return await place_batch(self, intent)
        if isinstance(intent, CancelOrder):
            return await self._cancel(intent)
        if isinstance(intent, CancelAll):
            if intent.all_orders:
                await self._cancel_all(intent.symbol)
            else:
                await self._cancel_owned(intent.symbol)
            return None
        checked = self._gate(intent)
        if isinstance(checked, AmendOrder):
            return await self._amend(checked)
        order, pending = self._place_start(checked)
        if pending is None:
            return order
        return await self._place_finish(order, pending)

    def submit_nowait(self, intent: PlaceOrder | ClosePosition) -> asyncio.Future[TrackedOrder]:
        """``submit`` whose gate, journal row, signature and lane write happen before this
        returns (gate and journal errors raise here); the future completes like ``submit``."""
        checked = self._gate(intent)
        assert isinstance(checked, PlaceOrder)  # nosec B101  # no amend here
        order, pending = self._place_start(checked)
        if pending is None:
            done: asyncio.Future[TrackedOrder] = asyncio.get_running_loop().create_future()
            done.set_result(order)
            return done
        return self._spawn(self._place_finish(order, pending))

    def _gate(self, intent: PlaceOrder | ClosePosition | AmendOrder) -> PlaceOrder | AmendOrder:
        """Trading allowed, close -> order, risk gate; raises when refused."""
        self._check_open_allowed()
        checked = close_order(intent, self.view) if isinstance(intent, ClosePosition) else intent
        point_view(self.view, self.tracker, checked)
        rejection = self.risk.check(checked, self.view)
        if rejection is not None:
            raise RiskRejected(rejection)
        return checked

    def gate(self, intent: PlaceOrder | ClosePosition | AmendOrder) -> PlaceOrder | AmendOrder:
        """The checks every placement passes (``execution.batch`` uses it per order)."""
        return self._gate(intent)

    def journal_or_raise(self) -> Journal:
        """The open journal (``RuntimeError`` before ``start``)."""
        return self._j

    def begin_create(self) -> None:
        """A create-like request is in flight: the kill acknowledgement waits for its answer."""
        self._creating += 1
        self._no_creates.clear()

    def end_create(self) -> None:
        """Its answer (or failure) is in."""
        self._creating -= 1
        if self._creating == 0:
            self._no_creates.set()

    def _orders_with_tp_sl(self) -> set[str]:
        """Venue ids of this run's orders placed with a TP/SL (``conditionals`` adopts them)."""
        found = (self.tracker.get(external_oid=oid) for oid in self._tp_sl_oids)
        return {o.order_id for o in found if o is not None and o.order_id}

    def _cond_allowed(self, reducing: bool) -> None:
        """Conditional intents: placements as orders; close-all and cancels need only a start."""
        if reducing:
            if not self.ready and self.journal is None:
                raise TradingOff("not started")
            return
        self._check_open_allowed()

    def _cond_risk(self, intent: ConditionalIntent) -> None:
        """The risk gate for the order an opening trigger or trailing order becomes."""
        order = risk_order(intent) if isinstance(intent, PlaceTrigger | PlaceTrailing) else None
        if order is not None:
            self._gate(order)

    def _send_gate(self, ep: Endpoint) -> None:
        """``RestCore.send_gate``: a create or amend that waited for a limiter slot is dropped,
        unsent, when the kill switch tripped meanwhile (here or, via the journal, elsewhere)."""
        if self.kill_switch.tripped:
            raise KillSwitchActive(
                f"{ep.name} not sent: kill switch tripped ({self.kill_switch.reason})"
            )

    def _check_open_allowed(self) -> None:
        if not self.ready:
            raise TradingOff("not started: journal reconciliation has not run")
        if self.kill_switch.tripped:
            raise KillSwitchActive(
                f"kill switch tripped ({self.kill_switch.reason}: {self.kill_switch.detail}); "
                "reset() by an operator re-enables trading"
            )
        if self.trading_off_reason:
            raise TradingOff(self.trading_off_reason)

    def _place_start(
        self, o: PlaceOrder
    ) -> tuple[TrackedOrder, Awaitable[w.CreateResult] | None]:
        """Journal the order, then start ``order/create`` (written now on an idle lane)."""
        j = self._j
        oid, seq = j.new_oid(o.client_key)
        try:
            j.record_intent(oid, seq, o, self.clock.time_ms())
        except KillLatched:
            self._check_external_kill()
            self._check_open_allowed()
            raise  # unreachable: the latch makes the check above raise
        except DuplicateIntent:
            existing = self.tracker.get(external_oid=oid)
            if existing is None:
                raise
            return existing, None  # the same intent again: never a second order
        order = self.tracker.add(
            TrackedOrder(
                external_oid=oid,
                symbol=o.symbol,
                side=int(o.side),
                kind=int(o.kind),
                vol=o.vol,
                price=o.price,
            )
        )
        self.reconciler.sent_at[oid] = self.clock.monotonic()
        if o.stop_loss_price is not None or o.take_profit_price is not None:
            self._tp_sl_oids.add(oid)
        body = create_body(o, oid, self.view)
        pending = self.rest.begin_create(body, request_timeout=self.config.create_timeout)
        self.begin_create()
        return order, pending

    async def _place_finish(
        self, order: TrackedOrder, pending: Awaitable[w.CreateResult]
    ) -> TrackedOrder:
        try:
            try:
                res = await pending
            finally:
                self.end_create()
        except KillSwitchActive:  # dropped by the send gate before it was written
            self.account.transition(order, OrderEvent.REJECT)
            raise
        except (ApiError, TransportError) as err:
            if err.fate_unknown:
                self.account.transition(order, OrderEvent.FATE_UNKNOWN)
                await self.resolve(order)
                return order
            if not isinstance(err, ApiError):
                raise
            order.error_code = err.code
            self.account.transition(order, OrderEvent.REJECT)
            self._venue_refused(err, order.symbol)
            raise
        self.tracker.bind(order, res.order_id)
        self.account.transition(order, OrderEvent.ACK)
        return order

    def _venue_refused(self, err: ApiError, symbol: str = "") -> None:
        spec = self.specs.get(symbol)
        if err.code == 1002 and spec is not None and spec.api_allowed is False:
            # fidelity row 17: apiAllowed=false is tried once; the venue's 1002 is its answer
            reason = (
                f"{symbol} does not accept API orders: contract/detail says apiAllowed=false and "
                f"the venue answered {err.code} to the one order tried. Trade it on the website "
                "or pick another contract; other symbols keep trading."
            )
            self.risk.switch_off(symbol, reason)
            self.capabilities.contracts[symbol] = reason
            log.error("trading switched off for %s: %s", symbol, reason)
            if self.journal is not None:
                self.journal.event("symbol_off", None, reason, self.clock.time_ms())
            return
        if isinstance(err, ClockSkewError):  # 513 even after re-measuring the offset (S21)
            reason = f"unrecoverable clock skew: {err}"
            if not self.trading_off_reason:
                self._spawn(self.alerts.send("clock skew", reason))
            self._trading_off(reason)
        elif err.code in DISABLED_CODES or isinstance(err, TradingDisabledError):
            self._trading_off(f"venue refused orders: {err}")
        elif err.code in PERMISSION_CODES:
            self._trading_off(f"API key lacks permission: {err}")
        elif err.code == SIGNATURE_REJECTED and self.capabilities.can_read:
            # fidelity row 9: signed GETs pass, a signed POST gets 602 -> the venue does not
            # allow trading through the API for this key/account (not a signing bug)
            self._trading_off(
                "API trading is disabled for this key or account: the venue accepts its signed "
                "reads but answers 602 to orders. Enable trading for the API key (or ask MEXC "
                f"whether futures API trading is open to the account). Venue said: {err}"
            )

    # ------------------------------------------------------------------ resolution (exec.reconcile)
    async def resolve(self, order: TrackedOrder) -> TrackedOrder:
        """Look ``order`` up by externalOid until the venue answers for it (bounded)."""
        return await self.reconciler.resolve(order)

    async def reconcile(self) -> None:
        """Resolve unknowns, then align open orders, fills and positions with REST."""
        await self.reconciler.reconcile()
        await self.conditionals.reconcile()

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

    # ------------------------------------------------------------------ kill switch (I8)
    def rest_outcome(self, ep: Endpoint, http_status: int, code: int, ok: bool) -> None:
        """``RestObserver``: feed the kill switch from every REST attempt."""
        now, wall = self.clock.monotonic(), self.clock.time_ms()
        bad = http_status != 200 or code in SERVER_CODES or code < 0  # < 0: undecodable (D12)
        tripped = self.kill_switch.record_outcome(now, not bad, wall_ms=wall)
        if http_status == 404 and ep.path.startswith(ORDER_PATH):
            tripped |= self.kill_switch.record_not_found(now, ep.name, wall_ms=wall)
        if http_status == 200 and code > 0:
            tripped |= self.kill_switch.record_code(now, code, ep.method, wall_ms=wall)
        if tripped:
            self._start_cleanup()

    async def trip(self, reason: str = "operator", detail: str = "") -> None:
        """Operator command: trip the kill switch and wait for the cleanup to verify."""
        self.kill_switch.trip(reason, detail, wall_ms=self.clock.time_ms())
        self._start_cleanup()
        assert self._cleanup is not None  # nosec B101  # set by _start_cleanup
        await asyncio.shield(self._cleanup)
        with contextlib.suppress(MexcError):
            await self.conditionals.refresh()  # ours are cancelled at the venue now

    def reset(self) -> None:
        """Operator reset: re-arm the kill switch (persisted)."""
        self.kill_switch.reset()
        self.trading_off_reason = ""
        self.external_kill = self._kill_acked = False
        self.rest.gate_closed.clear()
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        self._j.event("kill_reset", None, "operator reset", self.clock.time_ms())

    def _start_cleanup(self) -> None:
        self.rest.gate_closed.set()  # creates waiting for a limiter slot: drop them now
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        if self._cleanup is None or self._cleanup.done():
            self._cleanup = self._spawn(self.containment.contain(self._j, self._stopping))

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
