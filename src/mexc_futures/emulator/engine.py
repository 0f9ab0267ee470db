"""Trading engine of the emulator: order placement, matching, fills, positions and pushes.

Implements the order lifecycle of spec §5.3–§5.5 and §12.5 (state 1 → 2 → 3/4/5, ``dealVol``,
``dealAvgPrice`` and ``version`` increments), the order types of §10 (1 limit, 2 post-only, 3 IOC,
4 FOK, 5 market, 6 market-to-limit), hedge and one-way position modes, maker/taker fees and
realised PnL. Every private change queues a :class:`Publication` in the order §7.8 suggests:
``personal.order`` → ``personal.order.deal`` → ``personal.position`` → ``personal.asset``.

Validation order for a new order (first failure wins): contract (1001) → ``apiAllowed`` (1002) →
field types (600, side 2001, type 2029, openType 2002) → ``externalOid`` length (2030) and
duplicates (603) → position mode (7002) → volume (2011 range, 2015 step) → price grid (2015) and
band (2003/2004) → leverage (2006, 2021) → close volume (2009, 2008) → open-order count (2036) →
margin (2005).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import codes
from .accounts import CROSS, HEDGE, ISOLATED, LONG, ONE_WAY, SHORT, Account, Position
from .codes import fail
from .contracts import Contract
from .market import SymbolMarket
from .matching import ASK, BID, Fill, OrderBook, Resting
from .orders import (
    CANCELLED,
    EC_FOK,
    EC_IOC,
    EC_MARKET,
    EC_POST_ONLY,
    FILLED,
    FOK,
    IOC,
    LIMIT,
    MARKET,
    MARKET_TO_LIMIT,
    OPEN,
    PLAN_INVALID,
    POST_ONLY,
    Order,
    StopOrder,
    is_buy,
    num,
    opens,
)

TRUTH_DEALS_KEEP = 200_000


@dataclass(frozen=True, slots=True)
class Publication:
    """Something to push: ``topic`` (docs/seams.md), ``symbol`` (or ``None``), JSON-ready ``data``.

    ``account`` is the API key for private topics; ``ts`` is the venue time in ms.
    """

    topic: str
    symbol: str | None
    data: Any
    account: str | None = None
    ts: int = 0


@dataclass
class Truth:
    """Ground truth for tests (reliability.md I1, I3, I4)."""

    orders_by_external: dict[str, list[Order]] = field(default_factory=dict)
    deals: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    """Public deals per symbol, oldest first (the newest ``TRUTH_DEALS_KEEP``)."""
    first_published: dict[str, int] = field(default_factory=dict)
    last_published: dict[str, int] = field(default_factory=dict)

    def order_count(self, external_oid: str) -> int:
        """How many orders the venue accepted with this ``externalOid`` (I1: must be ≤ 1)."""
        return len(self.orders_by_external.get(external_oid, []))

    def published_versions(self, symbol: str) -> range:
        """The contiguous depth versions handed to the publisher for ``symbol``."""
        first = self.first_published.get(symbol)
        if first is None:
            return range(0)
        return range(first, self.last_published[symbol] + 1)


def _int(body: dict[str, Any], key: str, code: int = 600, default: int | None = None) -> int:
    v = body.get(key, default)
    if v is None or isinstance(v, bool):
        raise fail(code)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise fail(code) from None
    if f != int(f):
        raise fail(code)
    return int(f)


def _float(body: dict[str, Any], key: str, default: float | None = None) -> float:
    v = body.get(key, default)
    if v is None or isinstance(v, bool):
        raise fail(600)
    try:
        return float(v)
    except (TypeError, ValueError):
        raise fail(600) from None


class Engine:
    """Books, markets and accounts of one venue, and the trading rules between them."""

    def __init__(
        self,
        contracts: dict[str, Contract],
        seed: int,
        now_ms: int,
        reject_duplicate_oid: bool = True,
    ) -> None:
        self.contracts = contracts
        self.books: dict[str, OrderBook] = {}
        self.markets: dict[str, SymbolMarket] = {}
        self.accounts: dict[str, Account] = {}
        self.pubs: list[Publication] = []
        self.truth = Truth()
        self.now_ms = now_ms
        self.reject_duplicate_oid = reject_duplicate_oid
        self.rest_lag: dict[str, int] = {}
        self._seed = seed
        self._order_id = 739_000_000_000_000_000 + (seed % 1000) * 10**12
        self._position_id = 1_100_000_000
        self._plan_id = 860_000_000_000_000_000
        self._stop_id = 569_000_000
        self._fill_id = 13_900_000_000
        self._oid_seq = 0

    # ------------------------------------------------------------------ lookup
    def contract(self, symbol: str | None) -> Contract:
        """Contract by (case-insensitive) symbol, else 1001 (§12.3)."""
        c = self.contracts.get((symbol or "").upper())
        if c is None:
            raise fail(1001)
        return c

    def mark(self, symbol: str) -> float:
        """Fair price of ``symbol``."""
        return self.markets[symbol].fair_price

    def next_order_id(self) -> int:
        """Next 18-digit order id."""
        self._order_id += 1
        return self._order_id

    def _auto_oid(self) -> str:
        self._oid_seq += 1
        return f"_m_{(self._seed * 0x9E3779B1 + self._oid_seq * 0x85EBCA6B) % 16**32:032x}"

    def _truth_deals(self, symbol: str) -> deque[dict[str, Any]]:
        d = self.truth.deals.get(symbol)
        if d is None:
            d = self.truth.deals[symbol] = deque(maxlen=TRUTH_DEALS_KEEP)
        return d

    def push(self, acct: Account, topic: str, symbol: str | None, data: Any) -> None:
        """Queue a private publication."""
        self.pubs.append(Publication(topic, symbol, data, acct.api_key, self.now_ms))

    # ------------------------------------------------------------------ margin
    def unrealized(self, acct: Account, currency: str, cross_only: bool = False) -> float:
        """Sum of unrealised PnL at fair price."""
        return sum(
            p.unrealized(self.mark(p.symbol))
            for p in acct.positions.values()
            if p.contract.quote == currency and (not cross_only or p.open_type == CROSS)
        )

    def available(self, acct: Account, currency: str) -> float:
        """Available balance including cross unrealised losses."""
        return acct.available(currency, self.unrealized(acct, currency, cross_only=True))

    def push_asset(self, acct: Account, currency: str) -> None:
        """Queue ``personal.asset``."""
        cross = self.unrealized(acct, currency, cross_only=True)
        self.push(acct, "personal.asset", None, acct.asset_push(currency, cross))

    def push_position(self, pos: Position) -> None:
        """Refresh the liquidation price and queue ``personal.position``."""
        acct = self.accounts[pos.account]
        if pos.hold_vol:
            extra = (
                max(self.available(acct, pos.contract.quote), 0.0)
                if pos.open_type == CROSS
                else 0.0
            )
            pos.liquidate_price = pos.liquidation_price(extra)
        self.push(acct, "personal.position", pos.symbol, pos.row(self.mark(pos.symbol), push=True))

    # ------------------------------------------------------------------ orders
    def place(self, acct: Account, body: dict[str, Any], now: int) -> Order:
        """Validate and execute a new order (create/submit body of §5.3)."""
        c = self.contract(body.get("symbol"))
        if not c.api_allowed or c.state != 0:
            raise fail(1002)
        side = _int(body, "side", 2001)
        otype = _int(body, "type", 2029)
        open_type = _int(body, "openType", 2002)
        if side not in (1, 2, 3, 4):
            raise fail(2001)
        if otype not in (1, 2, 3, 4, 5, 6):
            raise fail(2029)
        if open_type not in (ISOLATED, CROSS):
            raise fail(2002)
        oid = body.get("externalOid")
        if oid is not None and not isinstance(oid, str):
            raise fail(600)
        if oid and len(oid) > 32:
            raise fail(2030)
        if oid and self.reject_duplicate_oid and (c.symbol, oid) in acct.by_external:
            raise fail(codes.DUPLICATE_EXTERNAL_OID)
        mode = acct.position_mode
        if body.get("positionMode") is not None and _int(body, "positionMode") != mode:
            raise fail(codes.POSITION_MODE_MISMATCH)
        reduce_only = bool(body.get("reduceOnly")) and mode == ONE_WAY
        if reduce_only and side in (1, 3):
            side = 2 if side == 1 else 4
        raw_vol = _float(body, "vol")
        if raw_vol != int(raw_vol):
            raise fail(2015)
        vol = int(raw_vol)
        if vol < c.min_vol or vol > c.max_vol:
            raise fail(2011)
        book = self.books[c.symbol]
        market = self.markets[c.symbol]
        buy = is_buy(side)
        if otype in (MARKET, MARKET_TO_LIMIT) and not body.get("price"):
            ref = book.best_ask() if buy else book.best_bid()
            price = c.price(ref) if ref is not None else market.last_price
        else:
            price = _float(body, "price")
            if price <= 0:
                raise fail(2007)
            if not c.is_tick_multiple(price):
                raise fail(2015)
            if otype not in (MARKET, MARKET_TO_LIMIT):
                if buy and price > market.index_price * (1 + c.bid_limit_price_rate):
                    raise fail(2003)
                if not buy and price < market.index_price * (1 - c.ask_limit_price_rate):
                    raise fail(2004)
        ptype = LONG if side in (1, 4) else SHORT
        closing = not opens(side)
        pos_for_close: Position | None = None
        if closing:
            pos_for_close = acct.position(c.symbol, ptype)
            if pos_for_close is None or pos_for_close.hold_vol == 0:
                raise fail(2009)
            if vol > pos_for_close.hold_vol - pos_for_close.frozen_vol:
                raise fail(2008)
            leverage = pos_for_close.leverage
            open_type = pos_for_close.open_type
        else:
            set_lev, _ = acct.leverage_for(c, ptype)
            leverage = _int(body, "leverage", 2006, default=set_lev)
            if not c.min_leverage <= leverage <= c.max_leverage:
                raise fail(2006)
            existing = acct.position(c.symbol, ptype)
            if existing is not None and existing.hold_vol and existing.leverage != leverage:
                raise fail(2021)
        max_orders = c.max_num_orders[0 if mode == HEDGE else 1]
        if len(acct.open_orders(c.symbol)) >= max_orders:
            raise fail(codes.TOO_MANY_ORDERS)
        order = Order(
            order_id=self.next_order_id(),
            account=acct.api_key,
            contract=c,
            price=price,
            vol=vol,
            leverage=leverage,
            side=side,
            order_type=otype,
            open_type=open_type,
            external_oid=oid or self._auto_oid(),
            position_mode=mode,
            reduce_only=reduce_only,
            create_time=now,
            update_time=now,
        )
        if not closing:
            opening_vol = vol
            if mode == ONE_WAY:
                opposite = acct.position(c.symbol, SHORT if ptype == LONG else LONG)
                if opposite is not None:
                    opening_vol = max(0, vol - opposite.hold_vol)
            need = order.margin_for(opening_vol) + price * vol * c.contract_size * c.taker_fee_rate
            if opening_vol and need > self.available(acct, c.quote):
                raise fail(2005)
            order.order_margin = order.margin_for(vol)
        for key, attr in (
            ("stopLossPrice", "stop_loss_price"),
            ("takeProfitPrice", "take_profit_price"),
        ):
            if body.get(key):
                setattr(order, attr, _float(body, key))
        order.loss_trend = _int(body, "lossTrend", default=1)
        order.profit_trend = _int(body, "profitTrend", default=1)
        self._accept(acct, order, pos_for_close)
        self._execute(acct, order, book, now)
        return order

    def _accept(self, acct: Account, order: Order, pos: Position | None) -> None:
        acct.orders[order.order_id] = order
        acct.sync(order)
        acct.by_external[(order.symbol, order.external_oid)] = order.order_id
        self.truth.orders_by_external.setdefault(order.external_oid, []).append(order)
        if pos is not None:
            pos.frozen_vol += order.vol
            order.position_id = pos.position_id
        if order.stop_loss_price or order.take_profit_price:
            self.push(
                acct,
                "personal.stop.order",
                order.symbol,
                {
                    "symbol": order.symbol,
                    "orderId": order.order_id,
                    "lossTrend": order.loss_trend,
                    "profitTrend": order.profit_trend,
                    "stopLossPrice": order.stop_loss_price,
                    "takeProfitPrice": order.take_profit_price,
                },
            )

    def _execute(self, acct: Account, order: Order, book: OrderBook, now: int) -> None:
        c = order.contract
        buy = is_buy(order.side)
        ticks = c.ticks(order.price)
        otype = order.order_type
        if otype == POST_ONLY and book.would_cross(buy, ticks):
            self._finish(acct, order, CANCELLED, EC_POST_ONLY, now)
            return
        limit = None if otype in (MARKET, MARKET_TO_LIMIT) else ticks
        if otype == FOK and book.available(buy, limit, order.vol) < order.vol:
            self._finish(acct, order, CANCELLED, EC_FOK, now)
            return
        fills = book.match(buy, limit, order.vol, now)
        self._taker_fills(acct, order, fills, now)
        if order.remain == 0:
            return
        if otype in (LIMIT, POST_ONLY, MARKET_TO_LIMIT):
            if otype == MARKET_TO_LIMIT:
                ref = fills[-1].ticks if fills else (book.best_ask() if buy else book.best_bid())
                order.price = c.price(ref) if ref is not None else order.price
            book.add(
                Resting(
                    order.order_id,
                    acct.api_key,
                    BID if buy else ASK,
                    c.ticks(order.price),
                    order.remain,
                ),
                now,
            )
            order.state = OPEN
            if not fills:
                self.push(acct, "personal.order", order.symbol, order.push_row())
                self.push_asset(acct, c.quote)
        else:
            code = {IOC: EC_IOC, FOK: EC_FOK}.get(otype, EC_MARKET)
            self._finish(acct, order, CANCELLED, code, now)

    def _finish(self, acct: Account, order: Order, state: int, error_code: int, now: int) -> None:
        """Move an order to a final state and push it (after any fill pushes)."""
        if order.order_type == MARKET and order.deal_vol:
            order.price = order.contract.price(order.contract.ticks(order.avg_price))
        if not opens(order.side) and order.remain:
            pos = acct.positions.get(order.position_id)
            if pos is not None:
                pos.frozen_vol = max(0, pos.frozen_vol - order.remain)
        order.state = state
        order.error_code = error_code
        acct.sync(order)
        order.version += 1
        order.update_time = now
        self.push(acct, "personal.order", order.symbol, order.push_row())
        self.push_asset(acct, order.contract.quote)

    def cancel(self, acct: Account, order_id: int, now: int, error_code: int = 0) -> int:
        """Cancel one order: 0 success, 2040 not found, 2041 not cancellable (§5.4)."""
        order = acct.orders.get(order_id)
        if order is None:
            return 2040
        if not order.active:
            return 2041
        self.books[order.symbol].remove(order_id, now)
        self._finish(acct, order, CANCELLED, error_code, now)
        return 0

    # ------------------------------------------------------------------- fills
    def _taker_fills(self, acct: Account, order: Order, fills: list[Fill], now: int) -> None:
        if not fills:
            return
        market = self.markets[order.symbol]
        deals: list[dict[str, Any]] = []
        pos: Position | None = None
        for f in fills:
            self_trade = f.maker.owner == acct.api_key
            pub = market.record_trade(
                f.ticks, f.vol, is_buy(order.side), now, 1 if opens(order.side) else 2, self_trade
            )
            self._truth_deals(order.symbol).append(pub)
            deal, pos = self._apply(acct, order, f.ticks, f.vol, True, now, self_trade)
            deals.append(deal)
            if f.maker.owner is not None:
                self._maker_fill(f, now, self_trade)
        order.state = FILLED if order.remain == 0 else OPEN
        acct.sync(order)
        if order.order_type == MARKET and order.remain == 0:
            order.price = order.contract.price(order.contract.ticks(order.avg_price))
        order.version += 1
        order.update_time = now
        self.push(acct, "personal.order", order.symbol, order.push_row())
        for d in deals:
            self.push(acct, "personal.order.deal", order.symbol, d)
        if pos is not None:
            self.push_position(pos)
        self.push_asset(acct, order.contract.quote)
        self._attach_stop(acct, order, now)

    def _maker_fill(self, f: Fill, now: int, self_trade: bool) -> None:
        owner = f.maker.owner
        assert owner is not None
        acct = self.accounts[owner]
        order = acct.orders[f.maker.order_id]
        deal, pos = self._apply(acct, order, f.ticks, f.vol, False, now, self_trade)
        order.state = FILLED if order.remain == 0 else OPEN
        acct.sync(order)
        order.version += 1
        order.update_time = now
        self.push(acct, "personal.order", order.symbol, order.push_row())
        self.push(acct, "personal.order.deal", order.symbol, deal)
        if pos is not None:
            self.push_position(pos)
        self.push_asset(acct, order.contract.quote)
        self._attach_stop(acct, order, now)

    def synthetic_take(self, symbol: str, buy: bool, vol: int, now: int) -> None:
        """A synthetic taker (market flow) sweeping the book; user makers get filled."""
        self.now_ms = max(self.now_ms, now)
        market = self.markets[symbol]
        for f in self.books[symbol].match(buy, None, vol, now):
            self._truth_deals(symbol).append(market.record_trade(f.ticks, f.vol, buy, now))
            if f.maker.owner is not None:
                self._maker_fill(f, now, False)

    def _apply(
        self,
        acct: Account,
        order: Order,
        ticks: int,
        vol: int,
        taker: bool,
        now: int,
        self_trade: bool,
    ) -> tuple[dict[str, Any], Position | None]:
        """Book one fill on the order, the position(s) and the wallet; return the deal row."""
        c = order.contract
        price = c.price(ticks)
        rate = c.taker_fee_rate if taker else c.maker_fee_rate
        fee = price * vol * c.contract_size * rate
        order.deal_vol += vol
        order.deal_amount += price * vol
        if taker:
            order.taker_fee += fee
        else:
            order.maker_fee += fee
        acct.cash[c.quote] = acct.cash.get(c.quote, 0.0) - fee
        profit, pos = self._position_fill(acct, order, vol, price, now)
        if pos is not None:
            pos.fee -= fee
            pos.realised -= fee
        order.profit += profit
        if opens(order.side):
            order.used_margin += order.margin_for(vol)
        self._fill_id += 1
        deal = {
            "category": 1,
            "externalOid": order.external_oid,
            "fee": num(fee),
            "feeCurrency": c.quote,
            "id": str(self._fill_id),
            "isSelf": self_trade,
            "orderId": str(order.order_id),
            "positionMode": order.position_mode,
            "price": price,
            "profit": num(profit),
            "side": order.side,
            "symbol": c.symbol,
            "taker": taker,
            "timestamp": now,
            "vol": vol,
        }
        acct.fills.append(deal)
        return deal, pos

    def _position_fill(
        self, acct: Account, order: Order, vol: int, price: float, now: int
    ) -> tuple[float, Position | None]:
        c = order.contract
        ptype = LONG if order.side in (1, 4) else SHORT
        profit = 0.0
        pos: Position | None = None
        if not opens(order.side):
            pos = acct.positions.get(order.position_id)
            if pos is None:
                return 0.0, None
            pos.frozen_vol = max(0, pos.frozen_vol - vol)
            profit = self._close(acct, pos, vol, price, now)
            return profit, pos
        if acct.position_mode == ONE_WAY:
            opposite = acct.position(c.symbol, SHORT if ptype == LONG else LONG)
            if opposite is not None:
                part = min(vol, opposite.hold_vol - opposite.frozen_vol)
                if part > 0:
                    profit = self._close(acct, opposite, part, price, now)
                    vol -= part
                    pos = opposite
        if vol > 0:
            pos = acct.position(c.symbol, ptype)
            if pos is None:
                self._position_id += 1
                pos = Position(
                    self._position_id, acct.api_key, c, ptype, order.open_type, order.leverage, now
                )
                acct.positions[pos.position_id] = pos
            pos.open(vol, price, order.leverage, now)
            order.position_id = pos.position_id
        return profit, pos

    def _close(self, acct: Account, pos: Position, vol: int, price: float, now: int) -> float:
        pnl = pos.close(vol, price, now)
        acct.cash[pos.contract.quote] = acct.cash.get(pos.contract.quote, 0.0) + pnl
        if pos.hold_vol == 0:
            del acct.positions[pos.position_id]
            acct.history_positions.append(pos)
            self.invalidate_stops(acct, pos.position_id, now)
        return pnl

    def invalidate_stops(self, acct: Account, position_id: int, now: int) -> None:
        """Live stops of a closed position become invalid (state 4) and are pushed."""
        for stop in acct.stops.values():
            if stop.position_id == position_id and not stop.finished:
                stop.state = PLAN_INVALID
                stop.version += 1
                stop.update_time = now
                self.push(acct, "personal.stop.planorder", stop.contract.symbol, stop.row())

    def _attach_stop(self, acct: Account, order: Order, now: int) -> None:
        """Attached TP/SL of an opening order become a stop order on its position (§5.3, §5.7)."""
        if not (order.stop_loss_price or order.take_profit_price) or not opens(order.side):
            return
        pos = acct.positions.get(order.position_id)
        if pos is None:
            return
        stop = next((s for s in acct.stops.values() if s.order_id == order.order_id), None)
        if stop is None:
            self._stop_id += 1
            stop = StopOrder(
                self._stop_id,
                acct.api_key,
                order.contract,
                pos.position_id,
                pos.position_type,
                order.deal_vol,
                order.stop_loss_price,
                order.take_profit_price,
                order.loss_trend,
                order.profit_trend,
                now,
                order_id=order.order_id,
            )
            acct.stops[stop.stop_id] = stop
        else:
            stop.vol = order.deal_vol
            stop.version += 1
            stop.update_time = now
        self.push(acct, "personal.stop.planorder", order.symbol, stop.row())

    def new_stop_id(self) -> int:
        """Next stop-order id."""
        self._stop_id += 1
        return self._stop_id

    def new_plan_id(self) -> int:
        """Next plan-order id."""
        self._plan_id += 1
        return self._plan_id
