"""Resolving unknown outcomes and aligning the tracker with REST (reliability I2, S16–S18, S24).

* ``resolve(order)`` looks an order up by ``externalOid`` (or by venue id once an amend replaced
  it) until the venue answers for it: bounded attempts with doubling delays. "Not found" only
  counts as never-accepted after two misses **and** ``not_found_grace`` since the request left
  (read-after-write lag); a transport failure or 5xx is just another attempt. An order is never
  resubmitted here.
* ``reconcile()`` resolves every unresolved order, applies the open-order rows (rows no tracked
  order claims go to ``on_untracked``: ``exec.adopt``), resolves live orders that left the book
  unseen, catches up fills whose ``dealVol`` ran ahead of the fills
  seen, and replaces the positions with the venue's.

The manager owns the state; this module reads and writes it only through ``OrderSink``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol

import msgspec

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, OrderNotFoundError, TransportError
from mexc_futures.execution.common import NOT_FOUND_CODES, ExecutionConfig
from mexc_futures.model.events import Fill, OrderUpdate, PositionUpdate
from mexc_futures.model.orders import OrderEvent, OrderState, OrderTracker, TrackedOrder
from mexc_futures.protocol.convert import fill as fill_event
from mexc_futures.protocol.convert import order_update, position_update
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")
_UNRESOLVED = (OrderState.UNKNOWN, OrderState.PENDING_SUBMIT)
_FINAL_CODES = (3, 4, 5)  # venue states filled, cancelled, invalid (spec §10)


class OrderSink(Protocol):
    """What reconciliation needs of the manager (``ExecutionManager`` implements it)."""

    def apply_update(self, upd: OrderUpdate) -> None: ...

    def apply_fill(self, fill: Fill) -> None: ...

    def replace_positions(self, rows: list[PositionUpdate]) -> None: ...

    def transition(self, order: TrackedOrder, event: OrderEvent) -> None: ...


class Reconciler:
    """See the module docstring. ``sent_at`` maps externalOid -> monotonic send time."""

    def __init__(
        self,
        rest: RestClient,
        tracker: OrderTracker,
        sink: OrderSink,
        *,
        config: ExecutionConfig,
        clock: Clock,
    ) -> None:
        self.rest = rest
        self.tracker = tracker
        self.sink = sink
        self.config = config
        self.clock = clock
        self.sent_at: dict[str, float] = {}
        #: Orders restored from the journal unresolved (an earlier process may have written
        #: them just before dying): a "not found" verdict on one is re-checked until then.
        self.restored: set[str] = set()
        self._recheck: dict[str, tuple[TrackedOrder, float]] = {}
        #: Open rows no tracked order claims (``exec.adopt.Adopter.sweep``; D2).
        self.on_untracked: Callable[[list[OrderUpdate]], Awaitable[None]] | None = None

    async def resolve(self, order: TrackedOrder) -> TrackedOrder:
        """Look ``order`` up until the venue answers for it (bounded)."""
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
                    sent = self.sent_at.get(order.external_oid, -1e9)
                    elapsed = self.clock.monotonic() - sent
                    if misses >= 2 and elapsed >= self.config.not_found_grace:
                        self.sink.transition(order, OrderEvent.NOT_FOUND)
                        if order.external_oid in self.restored:
                            until = self.clock.monotonic() + self.config.late_create_window
                            self._recheck[order.external_oid] = (order, until)
                        return order
            except TransportError:
                pass
            else:
                upd = order_update(row)
                if upd.state in _FINAL_CODES and upd.order_id:
                    # fills before the terminal state: a crash between the two then leaves a
                    # live row that the restart resolves again, never a final one without fills
                    await self._fetch_fills(order, upd.order_id, upd.deal_vol)
                self.sink.apply_update(upd)
                if order.state not in _UNRESOLVED:
                    await self.catch_up_fills(order)
                    return order
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        log.warning("order %s still unresolved after lookups", order.external_oid)
        return order

    async def reconcile(self) -> None:
        """Resolve unknowns, then align open orders, fills and positions with REST."""
        for order in self.tracker.unresolved():
            await self.resolve(order)
        await self._recheck_late_creates()
        seen: set[str] = set()
        untracked: list[OrderUpdate] = []
        for row in await self.rest.get_open_orders():
            seen.update((row.external_oid, row.order_id))
            upd = order_update(row)
            if self.tracker.get(external_oid=upd.external_oid or None, order_id=upd.order_id):
                self.sink.apply_update(upd)
            else:
                untracked.append(upd)
        for order in self.tracker.live():
            if order.external_oid in seen or order.order_id in seen or order.state in _UNRESOLVED:
                continue
            await self.resolve(order)  # left the book while we were not looking
        if self.on_untracked is not None:
            await self.on_untracked(untracked)  # adopted, watched or cancelled: never ignored
        for order in list(self.tracker.by_oid.values()):
            await self.catch_up_fills(order)
        self.sink.replace_positions([position_update(p) for p in await self.rest.get_positions()])

    def recheck(self, order: TrackedOrder, seconds: float) -> None:
        """Look ``order`` (resolved "never accepted") up again for ``seconds``."""
        self._recheck[order.external_oid] = (order, self.clock.monotonic() + seconds)

    async def _recheck_late_creates(self) -> None:
        """A create written by a process that died can reach the venue after the restart
        concluded "never accepted" (seen in the crash campaign: 1.3 s late). Such orders are
        looked up again on each pass for ``late_create_window`` seconds; one that appears
        (open, or already filled) is tracked with its fills."""
        now = self.clock.monotonic()
        for oid, (order, until) in list(self._recheck.items()):
            if now > until or order.state is not OrderState.INVALID:
                del self._recheck[oid]
                continue
            try:
                row = await self.rest.get_order_by_external(order.symbol, oid)
            except (ApiError, TransportError):
                continue  # still not there (or no answer): next pass
            del self._recheck[oid]
            upd = order_update(row)
            log.warning(
                "order %s, resolved 'never accepted' after a restart, reached the venue late "
                "(state %d): tracking it",
                oid,
                upd.state,
            )
            if upd.order_id:
                await self._fetch_fills(order, upd.order_id, upd.deal_vol)
            self.sink.apply_update(upd)

    async def catch_up_fills(self, order: TrackedOrder) -> None:
        """Fetch the fills of ``order`` when its ``dealVol`` is ahead of the fills applied."""
        if order.order_id is not None:
            await self._fetch_fills(order, order.order_id, order.filled)

    async def _fetch_fills(self, order: TrackedOrder, order_id: str, deal_vol: Decimal) -> None:
        if order.fill_sum >= deal_vol:
            return
        for row in await self.rest.get_deal_details(order_id):
            f = fill_event(row)
            if not f.external_oid:
                f = msgspec.structs.replace(f, external_oid=order.external_oid)
            self.sink.apply_fill(f)


__all__ = ["OrderSink", "Reconciler"]
