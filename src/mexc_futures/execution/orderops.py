"""Amends, cancels and ownership of the execution manager (``ExecutionManager`` mixes it in).

* ``_amend``: ``change_limit_order``; a lost answer is resolved by what the venue has now
  (``_resolve_amend``: the replacement is adopted through ``execution.adopt``; reliability D2).
* ``_cancel`` (one order), ``_cancel_owned`` (``CancelAll``: this run's live orders by id, never
  orders placed elsewhere; ux finding 2), ``_cancel_all`` (``CancelAll(all_orders=True)``: the
  venue's symbol-wide cancel).
* Ownership: an order is this run's when its externalOid carries ``oid_prefix`` (or it is an
  amend replacement adopted for one of ours); ``foreign_orders`` lists the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from mexc_futures.errors import ApiError, TransportError
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.adopt import Adopter
from mexc_futures.execution.common import ExecutionConfig, RiskRejected
from mexc_futures.execution.journal import oid_prefix
from mexc_futures.execution.reconcile import Reconciler
from mexc_futures.model.events import OrderUpdate
from mexc_futures.model.intents import AmendOrder, CancelOrder
from mexc_futures.model.orders import OrderEvent, OrderTracker, TrackedOrder
from mexc_futures.model.risk import Rejection
from mexc_futures.protocol.convert import order_update
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")


class OrderOps:
    """See the module docstring; state lives on the manager."""

    rest: RestClient
    tracker: OrderTracker
    account: AccountBook
    adopter: Adopter
    reconciler: Reconciler
    config: ExecutionConfig
    session_id: str

    if TYPE_CHECKING:

        def begin_create(self) -> None: ...

        def end_create(self) -> None: ...

        async def resolve(self, order: TrackedOrder) -> TrackedOrder: ...

    async def settle(self, order: TrackedOrder, wait_s: float = 3.0) -> TrackedOrder:
        """Wait (≤ ``wait_s``) until ``order`` is final, looking it up by venue id, and fetch
        its fills: state, filled volume and average price are then the venue's (ux finding 6;
        meant for market / IOC / FOK orders, which end at once). Returns ``order``."""
        if order.order_id is None or order.state.terminal:
            return order
        deadline = asyncio.get_running_loop().time() + wait_s
        delay = 0.05
        oid = order.order_id
        while True:
            try:
                row = order_update(await self.rest.get_order(oid))
            except (ApiError, TransportError) as e:
                log.info("settle %s: lookup failed (%s)", order.external_oid, e)
            else:
                self.account.apply_update(row)
            late = asyncio.get_running_loop().time() + delay > deadline
            if _final(order) or late:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        if order.filled > order.fill_sum:
            with contextlib.suppress(ApiError, TransportError):
                await self.reconciler.catch_up_fills(order)
        return order

    async def _amend(self, a: AmendOrder) -> TrackedOrder:
        order = self.tracker.get(order_id=a.order_id)
        if order is None:
            raise RiskRejected(Rejection("unknown_order", a.order_id))
        self.begin_create()  # an amend places a replacement: the kill ack waits for it too
        try:
            try:
                new_id = await self.rest.change_limit_order(a.order_id, a.price, a.vol)
            finally:
                self.end_create()
        except (ApiError, TransportError) as err:
            if err.fate_unknown:
                self.account.transition(order, OrderEvent.FATE_UNKNOWN)
                await self._resolve_amend(order, a)
                return order
            raise
        self.tracker.amend(order, new_id, a.price, a.vol)
        self.account.record(order)
        return order

    async def _resolve_amend(self, order: TrackedOrder, a: AmendOrder) -> None:
        """A lost amend answer (D2): resolve by what the venue has now. The replacement (an
        untracked open order shaped like the amend) is adopted; an original still open means
        the amend did not happen; an original that ended without a visible replacement is
        applied as it is, and the expectation stays for reconciliation to adopt it later."""
        self.adopter.expect_amend(order, a.order_id, a.price, a.vol)
        delay = self.config.resolve_delay
        original: OrderUpdate | None = None
        for _ in range(self.config.resolve_attempts):
            try:
                rows = [order_update(r) for r in await self.rest.get_open_orders()]
                found = self.adopter.replacement_for(order, rows)
                if found is not None:
                    self.adopter.adopt_replacement(order, found)
                    return
                original = order_update(await self.rest.get_order(a.order_id))
            except (ApiError, TransportError) as e:
                log.warning("amend of %s: lookup failed (%s), retrying", order.external_oid, e)
            else:
                if original.state in (1, 2):  # not amended (refused, or not applied yet)
                    self.account.apply_update(original)
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        if original is not None:
            self.account.apply_update(original)
        log.warning(
            "amend of %s: no replacement seen yet; reconciliation adopts it if it appears",
            order.external_oid,
        )

    async def _cancel(self, c: CancelOrder) -> TrackedOrder | None:
        order = self.tracker.get(external_oid=c.external_oid, order_id=c.order_id)
        if order is not None and order.state.terminal:
            return order
        if order is not None:
            self.account.transition(order, OrderEvent.CANCEL_REQUEST)
        try:
            if c.order_id or (order is not None and order.order_id):
                oid = c.order_id or (order.order_id if order else None)
                assert oid is not None  # nosec B101  # one of the two is set
                results = await self.rest.cancel_orders([oid])
            else:
                results = await self.rest.cancel_by_external(c.symbol, c.external_oid or "")
        except (ApiError, TransportError) as err:
            if order is None:
                raise
            self.account.transition(order, OrderEvent.FATE_UNKNOWN)
            if not err.fate_unknown and not isinstance(err, ApiError):
                raise
            await self.resolve(order)
            return order
        if order is not None:
            ok = bool(results) and results[0].error_code == 0
            self.account.transition(order, OrderEvent.CANCEL_ACK if ok else OrderEvent.FATE_UNKNOWN)
            if not ok:
                await self.resolve(order)
        return order

    async def _cancel_foreign(self, row: OrderUpdate) -> None:
        """``foreign_orders='cancel'``: cancel an open order this journal does not know."""
        try:
            await self.rest.cancel_orders([row.order_id])
        except (ApiError, TransportError) as e:
            log.warning("cancelling foreign order %s failed: %s", row.order_id, e)

    @property
    def foreign_orders(self) -> dict[str, OrderUpdate]:
        """Open orders on the account that this journal did not place (visible, not owned)."""
        return self.adopter.foreign

    @property
    def oid_prefix(self) -> str:
        """The externalOid prefix of this run's orders (``journal.oid_prefix``)."""
        return oid_prefix(self.session_id)

    def owns(self, order: TrackedOrder) -> bool:
        """Whether ``order`` is this run's: placed by it, or an amend replacement it adopted."""
        return order.external_oid.startswith(self.oid_prefix) or (
            order.external_oid in self.adopter.owned
        )

    def owns_update(self, upd: OrderUpdate) -> bool:
        """``owns`` for a venue row/push (the strategy view's ownership predicate)."""
        order = self.tracker.get(external_oid=upd.external_oid or None, order_id=upd.order_id)
        if order is not None:
            return self.owns(order)
        return upd.external_oid.startswith(self.oid_prefix)

    async def venue_open_orders(self) -> list[OrderUpdate]:
        """Every open order on the account, as the venue lists it now (REST)."""
        return [order_update(r) for r in await self.rest.get_open_orders()]

    async def _cancel_owned(self, symbol: str | None) -> None:
        """``CancelAll``: cancel this run's live orders (of ``symbol``) by id — never orders
        placed elsewhere (ux finding 2). Items the venue refuses are looked up."""
        mine = [
            o
            for o in self.tracker.live()
            if (symbol is None or o.symbol == symbol) and self.owns(o)
        ]
        by_id = [o for o in mine if o.order_id]
        for o in mine:
            self.account.transition(o, OrderEvent.CANCEL_REQUEST)
        for o in mine:
            if not o.order_id:  # not acknowledged yet: by externalOid
                await self._cancel(CancelOrder(symbol=o.symbol, external_oid=o.external_oid))
        for i in range(0, len(by_id), 50):
            chunk = by_id[i : i + 50]
            try:
                results = await self.rest.cancel_orders([o.order_id or "" for o in chunk])
            except (ApiError, TransportError) as err:
                log.warning("cancel of %d orders failed (%s): looking them up", len(chunk), err)
                for o in chunk:
                    self.account.transition(o, OrderEvent.FATE_UNKNOWN)
                    await self.resolve(o)
                continue
            ok = {r.order_id for r in results if r.error_code == 0}
            for o in chunk:
                if o.order_id in ok:
                    self.account.transition(o, OrderEvent.CANCEL_ACK)
                else:
                    self.account.transition(o, OrderEvent.FATE_UNKNOWN)
                    await self.resolve(o)

    async def _cancel_all(self, symbol: str | None) -> None:
        await self.rest.cancel_all(symbol)
        for order in self.tracker.live():
            if (symbol is None or order.symbol == symbol) and self.tracker.event(
                order, OrderEvent.CANCEL_REQUEST
            ):
                self.account.record(order)


def _final(order: TrackedOrder) -> bool:
    return order.state.terminal


__all__ = ["OrderOps"]
