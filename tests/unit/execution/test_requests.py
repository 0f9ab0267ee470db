"""From intent to request (``execution.requests``): close orders, ``order/create`` bodies (spec
§5.3) and the risk view, checked without a journal, a REST client or an event loop."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from mexc_futures.execution.requests import close_order, create_body, point_view
from mexc_futures.model.intents import (
    AmendOrder,
    ClosePosition,
    MarginMode,
    OrderKind,
    PlaceOrder,
    TradeSide,
)
from mexc_futures.model.orders import OrderTracker, TrackedOrder
from mexc_futures.model.risk import HEDGE, ONE_WAY, RiskView

D = Decimal


def test_close_order_takes_the_held_volume_and_is_reduce_only_in_one_way_mode() -> None:
    view = RiskView(position_mode=ONE_WAY, positions={("BTC_USDT", 2): D(7)})
    order = close_order(ClosePosition(symbol="BTC_USDT", position_side=2, label="mm"), view)
    assert order.side is TradeSide.CLOSE_SHORT
    assert order.kind is OrderKind.MARKET
    assert order.vol == D(7)
    assert order.reduce_only
    assert order.label == "mm"


def test_close_order_with_a_volume_in_hedge_mode() -> None:
    view = RiskView(position_mode=HEDGE, positions={("ETH_USDT", 1): D(9)})
    order = close_order(ClosePosition(symbol="ETH_USDT", position_side=1, vol=D(2)), view)
    assert order.side is TradeSide.CLOSE_LONG
    assert order.vol == D(2)
    assert not order.reduce_only


def test_create_body_uses_the_position_leverage_for_an_opening_order() -> None:
    view = RiskView(position_mode=HEDGE, leverage={("BTC_USDT", 2): 20})
    o = PlaceOrder(
        symbol="BTC_USDT", side=TradeSide.OPEN_SHORT, kind=OrderKind.LIMIT, vol=D(3),
        price=D("65000.5"), margin_mode=MarginMode.CROSS, reduce_only=True,
    )
    body = create_body(o, "mx-1", view)
    wire = msgspec.json.decode(msgspec.json.encode(body))
    assert wire == {
        "symbol": "BTC_USDT", "price": "65000.5", "vol": "3", "leverage": 20, "side": 3,
        "type": 1, "openType": 2, "positionMode": 1, "externalOid": "mx-1",
    }  # reduceOnly only in one-way mode; None fields omitted; positionMode always (fidelity 1)


def test_create_body_keeps_an_explicit_leverage_and_sends_reduce_only_in_one_way_mode() -> None:
    view = RiskView(position_mode=ONE_WAY, leverage={("BTC_USDT", 1): 50})
    o = PlaceOrder(
        symbol="BTC_USDT", side=TradeSide.CLOSE_LONG, kind=OrderKind.MARKET, vol=D(1),
        leverage=5, reduce_only=True,
    )
    body = create_body(o, "mx-2", view)
    assert body.leverage == 5
    assert body.reduce_only is True
    assert body.external_oid == "mx-2"


def test_point_view_names_only_the_amended_live_order() -> None:
    tracker = OrderTracker()
    order = tracker.add(
        TrackedOrder(external_oid="mx-3", symbol="BTC_USDT", side=1, kind=1, vol=D(4), price=D(1))
    )
    tracker.bind(order, "900")
    view = RiskView()
    point_view(view, tracker, AmendOrder(symbol="BTC_USDT", order_id="900", price=D(2), vol=D(4)))
    assert view.order_vol == {"900": ("BTC_USDT", 1, D(4), order.filled)}
    assert view.open_orders is tracker.live_count
    point_view(view, tracker, AmendOrder(symbol="BTC_USDT", order_id="901", price=D(2), vol=D(4)))
    assert view.order_vol == {}
