"""Batch placement (issue #15; spec §5.3 ``order/submit_batch``): up to 50 orders, one journal
transaction, one outcome per order.

Every order passes the risk gate (against the view including the orders before it in the batch),
then all of them are committed to the journal in **one** transaction with their deterministic
``externalOid`` — a crash leaves either all or none journaled — and only then is the batch sent.
The venue answers one ``{orderId, errorCode}`` per order, in order: each order is acknowledged or
rejected on its own. A lost answer makes every order of the batch ``UNKNOWN``; each is then
resolved by its ``externalOid`` like a single order, never resent. An order whose
``client_key`` was journaled before is not sent again (its tracked order is returned).
"""

from __future__ import annotations

from typing import Protocol

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, TransportError
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.journal import Journal
from mexc_futures.execution.reconcile import Reconciler
from mexc_futures.execution.requests import create_body
from mexc_futures.model.intents import AmendOrder, ClosePosition, PlaceBatch, PlaceOrder
from mexc_futures.model.orders import OrderEvent, OrderTracker, TrackedOrder
from mexc_futures.model.risk import RiskView
from mexc_futures.transport.rest import BATCH_MAX, CreateOrderBody, RestClient


class BatchHost(Protocol):
    """What ``place_batch`` uses of the ``ExecutionManager``."""

    rest: RestClient
    clock: Clock
    tracker: OrderTracker
    view: RiskView
    account: AccountBook
    reconciler: Reconciler

    def gate(self, intent: PlaceOrder | ClosePosition | AmendOrder) -> PlaceOrder | AmendOrder:
        """Trading allowed and the risk gate (raises when refused)."""
        ...

    def journal_or_raise(self) -> Journal:
        """The open journal."""
        ...

    def begin_create(self) -> None:
        """A create is in flight."""
        ...

    def end_create(self) -> None:
        """Its answer is in."""
        ...

    async def resolve(self, order: TrackedOrder) -> TrackedOrder:
        """Look a lost order up by its externalOid."""
        ...


async def place_batch(em: BatchHost, batch: PlaceBatch) -> list[TrackedOrder]:
    """Carry out ``batch`` (see the module docstring); the tracked orders, in batch order."""
    if not 0 < len(batch.orders) <= BATCH_MAX:
        raise ValueError(f"a batch holds 1 to {BATCH_MAX} orders, not {len(batch.orders)}")
    checked: list[PlaceOrder] = []
    for o in batch.orders:
        gated = em.gate(o)
        assert isinstance(gated, PlaceOrder)  # nosec B101  # no amend in a batch
        checked.append(gated)
    j = em.journal_or_raise()
    now = em.clock.time_ms()
    out: list[TrackedOrder] = []
    fresh: list[tuple[TrackedOrder, CreateOrderBody]] = []
    with j.transaction():
        for o in checked:
            oid, seq = j.new_oid(o.client_key)
            existing = em.tracker.get(external_oid=oid)
            if existing is None and (row := j.get(oid)) is not None:
                existing = em.tracker.add(row.tracked())
            if existing is not None:  # journaled before: never sent again
                out.append(existing)
                continue
            j.record_intent(oid, seq, o, now)
            order = TrackedOrder(
                external_oid=oid,
                symbol=o.symbol,
                side=int(o.side),
                kind=int(o.kind),
                vol=o.vol,
                price=o.price,
            )
            out.append(order)
            fresh.append((order, create_body(o, oid, em.view)))
    if not fresh:
        return out
    for order, _ in fresh:
        em.tracker.add(order)
        em.reconciler.sent_at[order.external_oid] = em.clock.monotonic()
    await _send(em, fresh, batch.stp_mode)
    return out


async def _send(
    em: BatchHost, fresh: list[tuple[TrackedOrder, CreateOrderBody]], stp_mode: int
) -> None:
    em.begin_create()
    try:
        try:
            results = await em.rest.submit_batch([b for _, b in fresh], stp_mode=stp_mode)
        finally:
            em.end_create()
    except (ApiError, TransportError) as err:
        if err.fate_unknown:
            for order, _ in fresh:
                em.account.transition(order, OrderEvent.FATE_UNKNOWN)
            for order, _ in fresh:
                await em.resolve(order)
            return
        for order, _ in fresh:
            if isinstance(err, ApiError):
                order.error_code = err.code
            em.account.transition(order, OrderEvent.REJECT)
        raise
    for (order, _), res in zip(fresh, results, strict=False):
        if res.error_code == 0:
            em.tracker.bind(order, res.order_id)
            em.account.transition(order, OrderEvent.ACK)
        else:
            order.error_code = res.error_code
            em.account.transition(order, OrderEvent.REJECT)
    for order, _ in fresh[len(results) :]:  # the venue answered fewer rows: look them up
        em.account.transition(order, OrderEvent.FATE_UNKNOWN)
        await em.resolve(order)


__all__ = ["BatchHost", "place_batch"]
