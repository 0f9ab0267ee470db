"""Execution manager: intents -> risk gate -> journal -> REST; pushes and reconciliation -> tracker.

Contract (reliability I1, I2, I8, S16–S24; spec §5.3–§5.7, §10, §11):

* ``async with ExecutionManager(rest, journal_path=..., risk=RiskLimits(...)) as ex`` opens the
  journal, restores the kill switch, runs the capability probe (clock offset from ``ping``;
  contract ``apiAllowed``/``state``; key permissions through a harmless read; position mode;
  leverage per symbol) and then **reconciles every non-terminal journaled order with the venue
  before any new order** can be submitted. A tripped kill switch found in the journal re-runs its
  cleanup (without a second alert).
* ``submit(PlaceOrder)``: kill switch and trading switch checked, risk gate, deterministic
  ``externalOid`` committed to the journal, then ``order/create``. A lost answer (5xx, timeout)
  makes the order ``UNKNOWN``; it is resolved by ``order/external/{symbol}/{externalOid}`` with
  bounded retries and a grace for read-after-write lag, and is never resubmitted under a new id.
* Venue refusals 1002/604/801/6001 and permission codes switch trading off with a reason
  (``trading_off_reason``); the kill switch counts them too (``model.killswitch``).
* ``on_account_event`` feeds private pushes to the tracker; ``reconcile()`` (periodic) pulls open
  orders, the fills of orders whose ``dealVol`` is ahead of the fills seen, and positions.
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
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from mexc_futures.alerts import Alert, LogAlert
from mexc_futures.errors import (
    ApiError,
    AuthError,
    ClockSkewError,
    KillSwitchActive,
    MexcError,
    OrderNotFoundError,
    TradingDisabledError,
    TransportError,
)
from mexc_futures.journal import DuplicateIntent, Journal
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    KillSwitchTripped,
    OrderUpdate,
    PositionSide,
    PositionUpdate,
)
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    Intent,
    OrderKind,
    PlaceOrder,
    TradeSide,
)
from mexc_futures.model.killswitch import (
    DISABLED_CODES,
    PERMISSION_CODES,
    KillSwitch,
    KillSwitchConfig,
)
from mexc_futures.model.orders import OrderEvent, OrderState, OrderTracker, TrackedOrder
from mexc_futures.model.risk import ONE_WAY, Rejection, RiskGate, RiskLimits, RiskView
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.transport.clock import SYSTEM_CLOCK, Clock
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")

ORDER_PATH = "/api/v1/private/order/"
NOT_FOUND_CODES = frozenset({2040, 5002})
SERVER_CODES = frozenset({500, 501, 9999})
StrategyEvent = OrderUpdate | Fill | KillSwitchTripped


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


@dataclass(slots=True)
class Capabilities:
    """What the probe found at start."""

    clock_offset_ms: int = 0
    rtt_ms: float = 0.0
    can_read: bool = False
    position_mode: int = ONE_WAY
    contracts: dict[str, str] = field(default_factory=dict)  # symbol -> "ok" or why not
    leverage: dict[tuple[str, int], int] = field(default_factory=dict)


def order_update(row: w.OrderData) -> OrderUpdate:
    """REST order row -> domain event (spec §5.5)."""
    return OrderUpdate(
        order_id=row.order_id,
        external_oid=row.external_oid,
        symbol=row.symbol,
        side=row.side,
        order_type=row.order_type,
        price=row.price,
        vol=row.vol,
        deal_vol=row.deal_vol,
        deal_avg_price=row.deal_avg_price,
        state=row.state,
        error_code=row.error_code,
        version=row.version,
        leverage=row.leverage,
        open_type=row.open_type,
        create_time=row.create_time,
        update_time=row.update_time,
    )


def fill_event(row: w.OrderDealData) -> Fill:
    """REST deal row -> domain fill (spec §5.5)."""
    taker = row.taker if row.taker is not None else bool(row.is_taker)
    return Fill(
        fill_id=row.id,
        order_id=row.order_id,
        symbol=row.symbol,
        side=row.side,
        vol=row.vol,
        price=row.price,
        fee=row.fee,
        fee_currency=row.fee_currency,
        profit=row.profit,
        is_taker=taker,
        time=row.timestamp,
        external_oid=row.external_oid,
    )


def position_update(row: w.PositionData) -> PositionUpdate:
    """REST position row -> domain event (spec §5.2)."""
    return PositionUpdate(
        position_id=int(row.position_id),
        symbol=row.symbol,
        position_type=PositionSide(row.position_type),
        open_type=row.open_type,
        state=row.state,
        hold_vol=row.hold_vol,
        hold_avg_price=row.hold_avg_price,
        open_avg_price=row.open_avg_price,
        liquidate_price=row.liquidate_price,
        realised=row.realised,
        leverage=row.leverage,
        im=row.im,
        frozen_vol=row.frozen_vol,
        close_vol=row.close_vol,
        update_time=row.update_time,
    )


class ExecutionManager:
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
        self.positions: dict[tuple[str, int], PositionUpdate] = {}
        self.balances: dict[str, BalanceUpdate] = {}
        self.trading_off_reason = ""
        self.session_id = session_id or secrets.token_hex(8)
        self.journal: Journal | None = None
        self.ready = False
        self.dropped_events = 0
        self._callbacks: list[Callable[[StrategyEvent], None]] = []
        self._queue: asyncio.Queue[StrategyEvent] = asyncio.Queue(self.config.event_queue)
        self._tasks: set[asyncio.Task[None]] = set()
        self._cleanup: asyncio.Task[None] | None = None
        self._sent_at: dict[str, float] = {}
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> ExecutionManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, *, periodic: bool = True) -> None:
        """Journal, kill-switch restore, probe, journal reconciliation, then ready."""
        self.journal = Journal(self.journal_path)
        self.journal.start_session(self.session_id, self.clock.time_ms())
        self.rest.observer = self
        rec = self.journal.load_kill()
        if rec is not None:
            self.kill_switch.restore(rec)
        for row in self.journal.orders():
            self.tracker.add(row.tracked())
        await self.probe()
        await self._reconcile_startup()
        if self.kill_switch.tripped:
            self._start_cleanup()
        if periodic:
            self._spawn(self._periodic())

    async def _reconcile_startup(self) -> None:
        """Journal reconciliation; ``ready`` (new orders allowed) only once it succeeded."""
        try:
            await self.reconcile()
        except MexcError as e:
            log.warning("start-up reconciliation failed, new orders stay blocked: %s", e)
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
            self.journal.close()
            self.journal = None

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def _j(self) -> Journal:
        if self.journal is None:
            raise RuntimeError("ExecutionManager is not started")
        return self.journal

    # ------------------------------------------------------------------ probe (§3.4, §4.1, §5.2)
    async def probe(self) -> Capabilities:
        """Capability probe; sets ``trading_off_reason`` when trading cannot work."""
        caps = self.capabilities
        try:
            caps.clock_offset_ms = await self.rest.sync_clock()
            caps.rtt_ms = self.rest.rtt_ms
            if abs(caps.clock_offset_ms) > self.config.max_skew_ms:
                log.warning("clock offset %d ms corrected from ping", caps.clock_offset_ms)
            for a in await self.rest.get_assets():
                self.balances[a.currency] = _balance(a)
            caps.can_read = True
            caps.position_mode = await self.rest.get_position_mode()
            self.view.position_mode = caps.position_mode
            for symbol in self.config.symbols:
                await self._probe_symbol(symbol)
        except AuthError as e:
            self._trading_off(f"key cannot read the account: {e}")
        except ApiError as e:
            self._venue_refused(e)
            self._trading_off(f"capability probe failed: {e}")
        except TransportError as e:
            self._trading_off(f"capability probe failed: {e}")
        return caps

    async def _probe_symbol(self, symbol: str) -> None:
        detail = await self.rest.get_contract(symbol)
        spec = ContractSpec.from_wire(msgspec.to_builtins(detail))
        self.specs[symbol] = spec
        why = "ok"
        if not spec.api_allowed:
            why = "apiAllowed=false: the venue refuses API orders (spec §11)"
        elif spec.state != 0:
            why = f"contract state {spec.state} (not enabled)"
        self.capabilities.contracts[symbol] = why
        for row in await self.rest.get_leverage(symbol):
            self.view.leverage[(symbol, row.position_type)] = row.leverage
            self.capabilities.leverage[(symbol, row.position_type)] = row.leverage
        fair = await self.rest.get_fair_price(symbol)
        self.view.reference_price[symbol] = Decimal(str(fair.fair_price))

    def _trading_off(self, reason: str) -> None:
        if not self.trading_off_reason:
            self.trading_off_reason = reason
            log.error("trading switched off: %s", reason)
            if self.journal is not None:
                self.journal.event("trading_off", None, reason, self.clock.time_ms())

    # ------------------------------------------------------------------ intents
    async def submit(self, intent: Intent) -> TrackedOrder | None:
        """Carry out one intent (see the module docstring). Returns the order for order intents."""
        if isinstance(intent, CancelOrder):
            return await self._cancel(intent)
        if isinstance(intent, CancelAll):
            await self._cancel_all(intent.symbol)
            return None
        self._check_open_allowed()
        if isinstance(intent, ClosePosition):
            intent = self._close_order(intent)
        self._build_view(intent.symbol)
        rejection = self.risk.check(intent, self.view)
        if rejection is not None:
            raise RiskRejected(rejection)
        if isinstance(intent, AmendOrder):
            return await self._amend(intent)
        assert isinstance(intent, PlaceOrder)
        return await self._place(intent)

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

    def _close_order(self, c: ClosePosition) -> PlaceOrder:
        held = self.view.positions.get((c.symbol, c.position_side), Decimal(0))
        side = TradeSide.CLOSE_LONG if c.position_side == 1 else TradeSide.CLOSE_SHORT
        return PlaceOrder(
            symbol=c.symbol,
            side=side,
            kind=OrderKind.MARKET,
            vol=c.vol if c.vol is not None else held,
            reduce_only=self.view.position_mode == ONE_WAY,
            label=c.label,
        )

    async def _place(self, o: PlaceOrder) -> TrackedOrder:
        j = self._j
        oid, seq = j.new_oid(o.client_key)
        now_ms = self.clock.time_ms()
        try:
            j.record_intent(oid, seq, o, now_ms)
        except DuplicateIntent:
            existing = self.tracker.get(external_oid=oid)
            if existing is None:
                raise
            return existing  # the same intent again: never a second order
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
        self._sent_at[oid] = self.clock.monotonic()
        is_open = o.side in (TradeSide.OPEN_LONG, TradeSide.OPEN_SHORT)
        leverage = o.leverage
        if is_open and leverage is None:
            leverage = self.view.leverage.get((o.symbol, 1 if o.side == 1 else 2))
        try:
            res = await self.rest.create_order(
                symbol=o.symbol,
                side=int(o.side),
                order_type=int(o.kind),
                vol=o.vol,
                open_type=int(o.margin_mode),
                price=o.price,
                leverage=leverage,
                external_oid=oid,
                position_id=o.position_id,
                reduce_only=True if o.reduce_only and self.view.position_mode == ONE_WAY else None,
                stop_loss_price=o.stop_loss_price,
                take_profit_price=o.take_profit_price,
                request_timeout=self.config.create_timeout,
            )
        except (ApiError, TransportError) as err:
            if err.fate_unknown:
                self._transition(order, OrderEvent.FATE_UNKNOWN)
                await self.resolve(order)
                return order
            if not isinstance(err, ApiError):
                raise
            order.error_code = err.code
            self._transition(order, OrderEvent.REJECT)
            self._venue_refused(err)
            raise
        self.tracker.bind(order, res.order_id)
        self._transition(order, OrderEvent.ACK)
        return order

    def _venue_refused(self, err: ApiError) -> None:
        if isinstance(err, ClockSkewError):  # 513 even after re-measuring the offset (S21)
            reason = f"unrecoverable clock skew: {err}"
            if not self.trading_off_reason:
                self._spawn(self.alerts.send("clock skew", reason))
            self._trading_off(reason)
        elif err.code in DISABLED_CODES or isinstance(err, TradingDisabledError):
            self._trading_off(f"venue refused orders: {err}")
        elif err.code in PERMISSION_CODES:
            self._trading_off(f"API key lacks permission: {err}")

    async def _amend(self, a: AmendOrder) -> TrackedOrder:
        order = self.tracker.get(order_id=a.order_id)
        if order is None:
            raise RiskRejected(Rejection("unknown_order", a.order_id))
        try:
            new_id = await self.rest.change_limit_order(a.order_id, a.price, a.vol)
        except (ApiError, TransportError) as err:
            if err.fate_unknown:
                self._transition(order, OrderEvent.FATE_UNKNOWN)
                await self.resolve(order)
                return order
            raise
        self.tracker.amend(order, new_id, a.price, a.vol)
        self._record(order)
        return order

    async def _cancel(self, c: CancelOrder) -> TrackedOrder | None:
        order = self.tracker.get(external_oid=c.external_oid, order_id=c.order_id)
        if order is not None and order.state.terminal:
            return order
        if order is not None:
            self._transition(order, OrderEvent.CANCEL_REQUEST)
        try:
            if c.order_id or (order is not None and order.order_id):
                oid = c.order_id or (order.order_id if order else None)
                assert oid is not None
                results = await self.rest.cancel_orders([oid])
            else:
                results = await self.rest.cancel_by_external(c.symbol, c.external_oid or "")
        except (ApiError, TransportError) as err:
            if order is None:
                raise
            self._transition(order, OrderEvent.FATE_UNKNOWN)
            if not err.fate_unknown and not isinstance(err, ApiError):
                raise
            await self.resolve(order)
            return order
        if order is not None:
            ok = bool(results) and results[0].error_code == 0
            self._transition(order, OrderEvent.CANCEL_ACK if ok else OrderEvent.FATE_UNKNOWN)
            if not ok:
                await self.resolve(order)
        return order

    async def _cancel_all(self, symbol: str | None) -> None:
        await self.rest.cancel_all(symbol)
        for order in self.tracker.live():
            if symbol is None or order.symbol == symbol:
                with contextlib.suppress(Exception):
                    order.apply(OrderEvent.CANCEL_REQUEST)
                    self._record(order)

    # ------------------------------------------------------------------ resolution (S16–S18)
    async def resolve(self, order: TrackedOrder) -> TrackedOrder:
        """Look ``order`` up by externalOid until the venue answers for it (bounded)."""
        delay = self.config.resolve_delay
        misses = 0
        for _ in range(self.config.resolve_attempts):
            try:
                if order.replaced_ids and order.order_id:  # amended: the oid names the old one
                    row = await self.rest.get_order(order.order_id)
                else:
                    row = await self.rest.get_order_by_external(order.symbol, order.external_oid)
            except ApiError as err:
                if not (isinstance(err, OrderNotFoundError) or err.code in NOT_FOUND_CODES):
                    if err.http_status == 200 and not err.fate_unknown:
                        raise
                else:
                    misses += 1
                    sent = self._sent_at.get(order.external_oid, -1e9)
                    elapsed = self.clock.monotonic() - sent
                    if misses >= 2 and elapsed >= self.config.not_found_grace:
                        self._transition(order, OrderEvent.NOT_FOUND)
                        return order
            except TransportError:
                pass
            else:
                self._apply_update(order_update(row))
                if order.state not in (OrderState.UNKNOWN, OrderState.PENDING_SUBMIT):
                    await self._catch_up_fills(order)
                    return order
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        log.warning("order %s still unresolved after lookups", order.external_oid)
        return order

    # ------------------------------------------------------------------ venue events
    def on_account_event(self, event: AccountEvent) -> None:
        """Feed one private push (``PrivateStream``) or REST-derived event."""
        if isinstance(event, OrderUpdate):
            self._apply_update(event)
        elif isinstance(event, Fill):
            self._apply_fill(event)
        elif isinstance(event, PositionUpdate):
            self._apply_position(event)
        elif isinstance(event, BalanceUpdate):
            self.balances[event.currency] = event

    def _apply_update(self, upd: OrderUpdate) -> None:
        order = self.tracker.get(external_oid=upd.external_oid or None, order_id=upd.order_id)
        if order is None:
            return
        before = (order.state, order.filled, order.version)
        self.tracker.on_update(upd)
        if (order.state, order.filled, order.version) != before:
            self._record(order)
            self._emit(upd)

    def _apply_fill(self, fill: Fill) -> None:
        if self.journal is not None and not self.journal.record_fill(fill, self.clock.time_ms()):
            return  # already seen (this session or before a restart)
        order, new = self.tracker.on_fill(fill)
        if order is not None and new:
            self._record(order)
        self._emit(fill)

    def _apply_position(self, p: PositionUpdate) -> None:
        key = (p.symbol, int(p.position_type))
        if p.state == 3 or p.hold_vol == 0:
            self.positions.pop(key, None)
        else:
            self.positions[key] = p
            if p.leverage:
                self.view.leverage[key] = p.leverage
        pnl = sum((x.realised for x in self.positions.values()), Decimal(0))
        if self.kill_switch.record_pnl(pnl, wall_ms=self.clock.time_ms()):
            self._start_cleanup()

    def _transition(self, order: TrackedOrder, event: OrderEvent) -> None:
        self.tracker.event(order, event)
        self._record(order)

    def _record(self, order: TrackedOrder) -> None:
        if self.journal is not None:
            self.journal.update_order(order, self.clock.time_ms())

    # ------------------------------------------------------------------ reconciliation (I2)
    async def reconcile(self) -> None:
        """Resolve unknowns, then align open orders, fills and positions with REST."""
        for order in self.tracker.unresolved():
            await self.resolve(order)
        open_rows = await self.rest.get_open_orders()
        seen: set[str] = set()
        for row in open_rows:
            seen.update((row.external_oid, row.order_id))
            self._apply_update(order_update(row))
        for order in self.tracker.live():
            if (
                order.external_oid in seen
                or order.order_id in seen
                or order.state
                in (
                    OrderState.UNKNOWN,
                    OrderState.PENDING_SUBMIT,
                )
            ):
                continue
            await self.resolve(order)  # left the book while we were not looking
        for order in list(self.tracker.by_oid.values()):
            await self._catch_up_fills(order)
        self.positions.clear()
        for p in await self.rest.get_positions():
            self._apply_position(position_update(p))

    async def _catch_up_fills(self, order: TrackedOrder) -> None:
        if order.order_id is None or order.fill_sum >= order.filled:
            return
        for row in await self.rest.get_deal_details(order.order_id):
            fill = fill_event(row)
            if not fill.external_oid:
                fill = msgspec.structs.replace(fill, external_oid=order.external_oid)
            self._apply_fill(fill)

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
                self.ready = True

    # ------------------------------------------------------------------ kill switch (I8)
    def rest_outcome(self, ep: Endpoint, http_status: int, code: int, ok: bool) -> None:
        """``RestObserver``: feed the kill switch from every REST attempt."""
        now, wall = self.clock.monotonic(), self.clock.time_ms()
        bad = http_status != 200 or code in SERVER_CODES
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
        assert self._cleanup is not None
        await asyncio.shield(self._cleanup)

    def reset(self) -> None:
        """Operator reset: re-arm the kill switch (persisted)."""
        self.kill_switch.reset()
        self.trading_off_reason = ""
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        self._j.event("kill_reset", None, "operator reset", self.clock.time_ms())

    def _start_cleanup(self) -> None:
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        if self._cleanup is None or self._cleanup.done():
            self._cleanup = self._spawn(self._contain())

    async def _contain(self) -> None:
        ks = self.kill_switch
        j = self._j
        if not ks.alerted:
            self._emit(KillSwitchTripped(reason=ks.reason, detail=ks.detail, ts=ks.tripped_at_ms))
            await self.alerts.send(f"kill switch tripped: {ks.reason}", ks.detail)
            ks.alerted = True
            j.save_kill(ks.snapshot(), self.clock.time_ms())
            j.event("kill_tripped", None, f"{ks.reason}: {ks.detail}", self.clock.time_ms())
        delay = self.config.cleanup_retry
        while not self._stopping.is_set():
            try:
                if await self._cancel_everything():
                    ks.mark_contained(True)
                    j.save_kill(ks.snapshot(), self.clock.time_ms())
                    j.event("kill_contained", None, "nothing open", self.clock.time_ms())
                    return
            except MexcError as e:
                log.warning("kill-switch cleanup round failed: %s", e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.cleanup_retry_cap)

    async def _cancel_everything(self) -> bool:
        flatten = self.kill_switch.config.flatten_on_trip
        await self.rest.cancel_all()
        await self.rest.cancel_all_plan_orders()
        await self.rest.cancel_all_stop_orders()
        if flatten and await self.rest.get_positions():
            await self.rest.close_all_positions()
        open_rows = await self.rest.get_open_orders()
        plans = await self.rest.get_plan_orders()
        stops = await self.rest.get_stop_orders()
        flat = not flatten or not await self.rest.get_positions()
        for row in open_rows:
            self._apply_update(order_update(row))
        if open_rows or plans or stops or not flat:
            return False
        for order in self.tracker.live():
            await self.resolve(order)
        return True

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

    def _build_view(self, symbol: str) -> None:
        """Refresh the risk view: counts for every symbol, volumes for ``symbol`` only."""
        v = self.view
        v.positions = {k: p.hold_vol for k, p in self.positions.items()}
        v.pending_open, v.pending_close, v.open_orders, v.order_vol = {}, {}, {}, {}
        counts = v.open_orders
        for o in self.tracker.live():
            counts[o.symbol] = counts.get(o.symbol, 0) + 1
            if o.symbol != symbol:
                continue
            key = (o.symbol, 1 if o.side in (1, 4) else 2)
            book = v.pending_open if o.side in (1, 3) else v.pending_close
            book[key] = book.get(key, Decimal(0)) + (o.vol - o.filled)
            if o.order_id:
                v.order_vol[o.order_id] = (o.symbol, o.side, o.vol, o.filled)


def _balance(a: w.AssetData) -> BalanceUpdate:
    return BalanceUpdate(
        currency=a.currency,
        available=a.available_balance,
        frozen=a.frozen_balance,
        position_margin=a.position_margin,
        equity=a.equity,
        unrealized=a.unrealized,
    )


__all__ = [
    "Capabilities",
    "ExecutionConfig",
    "ExecutionManager",
    "RiskRejected",
    "StrategyEvent",
    "TradingOff",
    "fill_event",
    "order_update",
    "position_update",
]
