"""Intent dispatch and placement of the execution manager (``ExecutionManager`` mixes it in).

* ``submit(intent)`` routes one intent: conditional ones to ``execution.conditional``, batches to
  ``execution.batch``, chase-limit orders to ``execution.chase``, cancels and amends to
  ``execution.orderops``; a ``PlaceOrder`` or ``ClosePosition`` passes the gate and is placed
  here.
* The gate (``_gate``): trading allowed (started and reconciled, kill switch armed, trading not
  switched off), a close turned into its order, the risk gate (``model.risk``).
* Placement: the deterministic ``externalOid`` is committed to the journal **before**
  ``order/create`` is sent (reliability I1); a journal refusal because another process latched the
  kill switch (D1) raises ``KillSwitchActive``; the same ``client_key`` again returns the order
  already journaled, never a second one. A lost answer (5xx, timeout, undecodable 2xx) makes the
  order ``UNKNOWN`` and it is resolved by its ``externalOid`` (``execution.reconcile``), never
  resent under a new id (spec §5.3, §10).
* ``submit_nowait`` does the synchronous front half (gate, journal, signature and, on an idle
  order-lane connection, the socket write) before it returns.
* ``begin_create``/``end_create`` count create-like requests in flight: the kill acknowledgement
  (``execution.killwatch``) waits for their answers; ``_send_gate`` drops a create that waited for
  a limiter slot once the kill switch tripped (``RestCore.send_gate``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, overload

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, KillSwitchActive, TransportError
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.batch import place_batch
from mexc_futures.execution.chase import ChaseManager, TrackedChase
from mexc_futures.execution.common import ExecutionConfig, RiskRejected, TradingOff
from mexc_futures.execution.cond_requests import risk_order
from mexc_futures.execution.conditional import ConditionalManager, TrackedConditional
from mexc_futures.execution.journal import DuplicateIntent, Journal, KillLatched
from mexc_futures.execution.reconcile import Reconciler
from mexc_futures.execution.requests import close_order, create_body, point_view
from mexc_futures.model.intents import (
    CONDITIONAL_TYPES,
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    ConditionalIntent,
    Intent,
    PlaceBatch,
    PlaceChase,
    PlaceOrder,
    PlaceTrailing,
    PlaceTrigger,
)
from mexc_futures.model.killswitch import KillSwitch
from mexc_futures.model.orders import OrderEvent, OrderTracker, TrackedOrder
from mexc_futures.model.risk import RiskGate, RiskView
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")


class Placement:
    """See the module docstring; state lives on the manager."""

    rest: RestClient
    clock: Clock
    config: ExecutionConfig
    tracker: OrderTracker
    view: RiskView
    risk: RiskGate
    account: AccountBook
    reconciler: Reconciler
    conditionals: ConditionalManager
    chases: ChaseManager
    kill_switch: KillSwitch
    journal: Journal | None
    ready: bool
    trading_off_reason: str
    _creating: int
    _no_creates: asyncio.Event
    _tp_sl_oids: set[str]

    if TYPE_CHECKING:

        @property
        def _j(self) -> Journal: ...

        def _spawn(self, coro: Any) -> asyncio.Task[Any]: ...

        def _venue_refused(self, err: ApiError, symbol: str = "") -> None: ...

        def _check_external_kill(self) -> bool: ...

        async def resolve(self, order: TrackedOrder) -> TrackedOrder: ...

        async def _amend(self, a: AmendOrder) -> TrackedOrder: ...

        async def _cancel(self, c: CancelOrder) -> TrackedOrder | None: ...

        async def _cancel_owned(self, symbol: str | None) -> None: ...

        async def _cancel_all(self, symbol: str | None) -> None: ...

    @overload
    async def submit(self, intent: ConditionalIntent) -> TrackedConditional: ...
    @overload
    async def submit(self, intent: PlaceBatch) -> list[TrackedOrder]: ...
    @overload
    async def submit(self, intent: PlaceChase) -> TrackedChase: ...
    @overload
    async def submit(
        self, intent: PlaceOrder | CancelOrder | CancelAll | AmendOrder | ClosePosition
    ) -> TrackedOrder | None: ...
    async def submit(
        self, intent: Intent
    ) -> TrackedOrder | TrackedConditional | TrackedChase | list[TrackedOrder] | None:
        """Carry out one intent (see the module docstring). Returns the order for order intents,
        the tracked row for conditional ones (``execution.conditional``), the orders of a batch
        (``execution.batch``)."""
        if isinstance(intent, CONDITIONAL_TYPES):
            return await self.conditionals.submit(intent)
        if isinstance(intent, PlaceBatch):
            return await place_batch(self, intent)
        if isinstance(intent, PlaceChase):
            return await self.chases.submit(intent)
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
