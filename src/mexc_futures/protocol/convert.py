"""Wire structs (``protocol.ws`` / ``protocol.rest``) -> domain events (``model.events``).

Pure functions, no I/O. Units follow ``model.events``: volumes in contracts, ms timestamps (kline
``open_time`` in seconds as on the wire, spec §4.4). An enum value outside the spec's range
(e.g. deal ``T`` not 1/2) raises ``ProtocolDriftError`` naming the field.

``events_of(msg)`` maps any decoded frame to the events it carries (empty for control frames,
``Unknown``, and ``push.depth`` deltas, which belong to the book synchroniser, spec §8).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from mexc_futures.errors import ProtocolDriftError
from mexc_futures.model.events import (
    BalanceUpdate,
    DepthSnapshot,
    Event,
    FairPrice,
    Fill,
    FundingRate,
    IndexPrice,
    Kline,
    OrderUpdate,
    PositionSide,
    PositionUpdate,
    Side,
    Ticker,
    Tickers,
    Trade,
)
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.protocol import rest, ws

_ZERO = Decimal(0)


def _side(value: int, what: str) -> Side:
    if value == 1:
        return Side.BUY
    if value == 2:
        return Side.SELL
    raise ProtocolDriftError(f"{what}: taker side 'T' must be 1 or 2, found {value!r}")


def _int_id(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ProtocolDriftError(f"{what}: expected a numeric id, found {value!r}") from None


def _trades(sym: str, ts: int, deals: Iterable[rest.DealRow], what: str) -> tuple[Trade, ...]:
    """Deal rows (WS or REST: the same fields) -> one ``Trade`` each, in order."""
    return tuple(
        Trade(
            ts=ts,
            symbol=sym,
            price=d.p,
            vol=d.v,
            side=_side(d.taker_side, what),
            open_flag=d.open_flag,
            self_trade=d.self_trade == 1,
            time=d.t,
            trade_id=d.i,
        )
        for d in deals
    )


def trades(push: ws.DealPush) -> tuple[Trade, ...]:
    """``push.deal`` -> one ``Trade`` per deal, in frame order."""
    return _trades(push.symbol, push.ts, push.data, "push.deal")


def trade_from_rest(symbol: str, deal: rest.DealData) -> Trade:
    """One REST ``deals`` row (P12) -> ``Trade`` (``ts`` = the deal time ``t``)."""
    return _trades(symbol, deal.t, (deal,), "deals")[0]


def ticker(row: rest.TickerRow, ts: int = 0) -> Ticker:
    """A ``push.ticker`` payload or ``push.tickers`` row -> ``Ticker``.

    Takes any ``TickerRow`` (``ws.WsTicker`` or REST ``TickerData``: the same fields).
    """
    return Ticker(
        ts=ts,
        symbol=row.symbol,
        last_price=row.last_price,
        bid1=row.bid1,
        ask1=row.ask1,
        volume24=row.volume24,
        amount24=row.amount24,
        hold_vol=row.hold_vol,
        fair_price=row.fair_price,
        index_price=row.index_price,
        funding_rate=row.funding_rate,
        rise_fall_rate=row.rise_fall_rate,
        high24=row.high24_price,
        low24=row.lower24_price,
        time=row.timestamp,
    )


def ticker_from_rest(row: rest.TickerData) -> Ticker:
    """A REST ``ticker`` row (P13) -> ``Ticker`` (``ts`` = the row's ``timestamp``)."""
    return ticker(row, row.timestamp)


def tickers(push: ws.TickersPush) -> Tickers:
    """``push.tickers`` -> ``Tickers`` (rows changed since the last frame)."""
    return Tickers(ts=push.ts, rows=tuple(ticker(r, push.ts) for r in push.data))


def kline(push: ws.KlinePush) -> Kline:
    """``push.kline`` -> ``Kline`` (``volume`` = ``q`` contracts, ``amount`` = ``a`` quote)."""
    b = push.data
    return Kline(
        ts=push.ts,
        symbol=b.symbol,
        interval=b.interval,
        open_time=b.t,
        open=b.o,
        high=b.h,
        low=b.l,
        close=b.c,
        volume=b.q,
        amount=b.a,
    )


def funding_rate(push: ws.FundingRatePush) -> FundingRate:
    """``push.funding.rate`` -> ``FundingRate``."""
    d = push.data
    return FundingRate(
        ts=push.ts, symbol=d.symbol, rate=d.rate, next_settle_time=d.next_settle_time
    )


def index_price(push: ws.IndexPricePush) -> IndexPrice:
    """``push.index.price`` -> ``IndexPrice``."""
    return IndexPrice(ts=push.ts, symbol=push.data.symbol, price=push.data.price)


def fair_price(push: ws.FairPricePush) -> FairPrice:
    """``push.fair.price`` -> ``FairPrice``."""
    return FairPrice(ts=push.ts, symbol=push.data.symbol, price=push.data.price)


def depth_snapshot(push: ws.DepthFullPush) -> DepthSnapshot:
    """``push.depth.full`` -> ``DepthSnapshot`` (levels as ``(price, vol)``)."""
    d = push.data
    return DepthSnapshot(
        ts=push.ts,
        symbol=push.symbol,
        version=d.version,
        bids=tuple((lv.price, lv.vol) for lv in d.bids),
        asks=tuple((lv.price, lv.vol) for lv in d.asks),
    )


def order_update(o: rest.OrderData, ts: int = 0) -> OrderUpdate:
    """An order row (REST or ``push.personal.order``) -> ``OrderUpdate``."""
    return OrderUpdate(
        ts=ts,
        order_id=o.order_id,
        external_oid=o.external_oid,
        symbol=o.symbol,
        side=o.side,
        order_type=o.order_type,
        price=o.price,
        vol=o.vol,
        deal_vol=o.deal_vol,
        deal_avg_price=o.deal_avg_price,
        state=o.state,
        error_code=o.error_code,
        version=o.version,
        leverage=o.leverage,
        open_type=o.open_type,
        position_id=_int_id(o.position_id, "order.positionId"),
        create_time=o.create_time,
        update_time=o.update_time,
    )


def fill(d: rest.OrderDealData, ts: int = 0) -> Fill:
    """A fill row (REST or ``push.personal.order.deal``) -> ``Fill``.

    ``is_taker`` comes from ``taker`` (v2) or ``isTaker`` (v1); absent both, False.
    """
    taker = d.taker if d.taker is not None else bool(d.is_taker)
    return Fill(
        ts=ts,
        fill_id=d.id,
        order_id=d.order_id,
        symbol=d.symbol,
        side=d.side,
        vol=d.vol,
        price=d.price,
        fee=d.fee,
        fee_currency=d.fee_currency,
        profit=d.profit,
        is_taker=taker,
        time=d.timestamp,
        external_oid=d.external_oid,
    )


def position_update(p: rest.PositionData, ts: int = 0) -> PositionUpdate:
    """A position row (REST or ``push.personal.position``) -> ``PositionUpdate``."""
    try:
        side = PositionSide(p.position_type)
    except ValueError:
        raise ProtocolDriftError(
            f"position: 'positionType' must be 1 or 2, found {p.position_type!r}"
        ) from None
    return PositionUpdate(
        ts=ts,
        position_id=_int_id(p.position_id, "position.positionId"),
        symbol=p.symbol,
        position_type=side,
        open_type=p.open_type,
        state=p.state,
        hold_vol=p.hold_vol,
        hold_avg_price=p.hold_avg_price,
        open_avg_price=p.open_avg_price,
        liquidate_price=p.liquidate_price,
        realised=p.realised,
        leverage=p.leverage,
        im=p.im,
        frozen_vol=p.frozen_vol,
        close_vol=p.close_vol,
        update_time=p.update_time,
    )


def balance_update(a: rest.AssetData, ts: int = 0) -> BalanceUpdate:
    """An asset row (REST or ``push.personal.asset``) -> ``BalanceUpdate``."""
    return BalanceUpdate(
        ts=ts,
        currency=a.currency,
        available=a.available_balance,
        frozen=a.frozen_balance,
        position_margin=a.position_margin,
        equity=a.equity,
        unrealized=a.unrealized,
    )


def contract_spec(detail: rest.ContractDetail) -> ContractSpec:
    """``contract/detail`` row (or ``push.contract`` data) -> ``ContractSpec``.

    A missing ``apiAllowed`` (older payloads) counts as allowed.
    """
    return ContractSpec(
        symbol=detail.symbol,
        base_coin=detail.base_coin,
        quote_coin=detail.quote_coin,
        settle_coin=detail.settle_coin,
        contract_size=detail.contract_size,
        price_unit=detail.price_unit,
        vol_unit=detail.vol_unit,
        min_vol=detail.min_vol,
        max_vol=detail.max_vol,
        min_leverage=detail.min_leverage,
        max_leverage=detail.max_leverage,
        price_scale=detail.price_scale,
        vol_scale=detail.vol_scale,
        taker_fee_rate=detail.taker_fee_rate or _ZERO,
        maker_fee_rate=detail.maker_fee_rate or _ZERO,
        maintenance_margin_rate=detail.maintenance_margin_rate or _ZERO,
        initial_margin_rate=detail.initial_margin_rate or _ZERO,
        state=detail.state,
        api_allowed=True if detail.api_allowed is None else detail.api_allowed,
        position_open_type=detail.position_open_type,
        max_num_orders=tuple(detail.max_num_orders),
    )


def events_of(msg: ws.WsMessage) -> tuple[Event, ...]:
    """The domain events carried by one decoded frame (see module docstring)."""
    if isinstance(msg, ws.DealPush):
        return trades(msg)
    if isinstance(msg, ws.TickerPush):
        return (ticker(msg.data, msg.ts),)
    if isinstance(msg, ws.TickersPush):
        return (tickers(msg),)
    if isinstance(msg, ws.KlinePush):
        return (kline(msg),)
    if isinstance(msg, ws.FundingRatePush):
        return (funding_rate(msg),)
    if isinstance(msg, ws.IndexPricePush):
        return (index_price(msg),)
    if isinstance(msg, ws.FairPricePush):
        return (fair_price(msg),)
    if isinstance(msg, ws.DepthFullPush):
        return (depth_snapshot(msg),)
    if isinstance(msg, ws.OrderPush):
        return (order_update(msg.data, msg.ts),)
    if isinstance(msg, ws.OrderDealPush):
        return (fill(msg.data, msg.ts),)
    if isinstance(msg, ws.PositionPush):
        return (position_update(msg.data, msg.ts),)
    if isinstance(msg, ws.AssetPush):
        return (balance_update(msg.data, msg.ts),)
    return ()


__all__ = [
    "balance_update",
    "contract_spec",
    "depth_snapshot",
    "events_of",
    "fair_price",
    "fill",
    "funding_rate",
    "index_price",
    "kline",
    "order_update",
    "position_update",
    "ticker",
    "ticker_from_rest",
    "tickers",
    "trade_from_rest",
    "trades",
]
