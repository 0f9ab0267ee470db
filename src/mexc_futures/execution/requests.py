"""From intent to request, sans-I/O: what the execution manager sends for an intent.

* ``close_order`` — a ``ClosePosition`` becomes the market ``PlaceOrder`` that closes it (the held
  volume when none is given; ``reduce_only`` in one-way mode).
* ``create_body`` — the ``order/create`` body of a ``PlaceOrder`` (spec §5.3): the journaled
  ``externalOid``, the leverage of the position when an opening order names none, ``reduceOnly``
  only in one-way mode, and always the account's ``positionMode`` (fidelity row 1).
* ``point_view`` — the risk view refreshed from the tracker's incremental aggregates (O(1) per
  intent) before the risk gate runs.

Why a module of its own: these are pure translations with no state of their own, testable
without a journal, a REST client or an event loop; ``execution.facade`` keeps the order of
operations (gate, journal, send, resolve) that must never change.
"""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.model.intents import AmendOrder, ClosePosition, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.orders import OrderTracker
from mexc_futures.model.risk import ONE_WAY, RiskView
from mexc_futures.transport.rest import CreateOrderBody

_OPENING = (TradeSide.OPEN_LONG, TradeSide.OPEN_SHORT)


def close_order(c: ClosePosition, view: RiskView) -> PlaceOrder:
    """The market order that closes ``c`` (all of the held volume when ``c.vol`` is None)."""
    held = view.positions.get((c.symbol, c.position_side), Decimal(0))
    side = TradeSide.CLOSE_LONG if c.position_side == 1 else TradeSide.CLOSE_SHORT
    return PlaceOrder(
        symbol=c.symbol,
        side=side,
        kind=OrderKind.MARKET,
        vol=c.vol if c.vol is not None else held,
        reduce_only=view.position_mode == ONE_WAY,
        label=c.label,
    )


def create_body(o: PlaceOrder, oid: str, view: RiskView) -> CreateOrderBody:
    """The ``order/create`` body for ``o`` under the journaled ``externalOid`` ``oid``."""
    leverage = o.leverage
    if leverage is None and o.side in _OPENING:
        leverage = view.leverage.get((o.symbol, 1 if o.side == 1 else 2))
    return CreateOrderBody(
        symbol=o.symbol,
        price=o.price,
        vol=o.vol,
        leverage=leverage,
        side=int(o.side),
        type=int(o.kind),
        open_type=int(o.margin_mode),
        position_mode=view.position_mode,  # always (fidelity row 1)
        external_oid=oid,
        position_id=o.position_id,
        reduce_only=True if o.reduce_only and view.position_mode == ONE_WAY else None,
        stop_loss_price=o.stop_loss_price,
        take_profit_price=o.take_profit_price,
        loss_trend=int(o.stop_loss_trigger) if o.stop_loss_price is not None else None,
        profit_trend=int(o.take_profit_trigger) if o.take_profit_price is not None else None,
    )


def point_view(view: RiskView, tracker: OrderTracker, intent: PlaceOrder | AmendOrder) -> None:
    """Point the risk view at the tracker's incremental aggregates (O(1) per intent);
    ``order_vol`` only for the order an amend names."""
    v, t = view, tracker
    v.open_orders, v.pending_open = t.live_count, t.pending_open
    v.pending_close = t.pending_close
    if isinstance(intent, AmendOrder):
        o = t.get(order_id=intent.order_id)
        live = o is not None and o.state.live and o.order_id == intent.order_id
        v.order_vol = (
            {intent.order_id: (o.symbol, o.side, o.vol, o.filled)} if o and live else {}
        )


__all__ = ["close_order", "create_body", "point_view"]
