"""Applying trades: fees, realised PnL, positions, attached stops and the fill pushes (§5.2, §7.8).

Why this layer is separate (see ``state.py``): everything that happens *because a trade printed* —
whoever caused it (a user taker, a synthetic taker hitting a user maker, a liquidation take-over)
— goes through :meth:`FillEngine.apply_fill` and :meth:`FillEngine.push_fill`, so the ledger
arithmetic and the §7.8 push order (``personal.order`` → ``personal.order.deal`` →
``personal.position`` → ``personal.asset``) exist once. Fees and PnL are booked ``Decimal``
amounts (``money.py``): the deal row's ``fee`` and ``profit`` are exactly what the wallet moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mexc_futures.emulator.venue.accounts import LONG, ONE_WAY, SHORT, Account, Position
from mexc_futures.emulator.venue.margin import MarginEngine
from mexc_futures.emulator.venue.matching import Fill
from mexc_futures.emulator.venue.money import ZERO, booked, dec, notional
from mexc_futures.emulator.venue.orders import (
    FILLED,
    MARKET,
    OPEN,
    PLAN_INVALID,
    Order,
    StopOrder,
    is_buy,
    num,
    opens,
)

TAKEOVER = 2
"""Order ``category`` of a liquidation take-over (§10)."""


class FillEngine(MarginEngine):
    """Fill application on top of :class:`MarginEngine`."""

    def taker_fills(self, acct: Account, order: Order, fills: list[Fill], now: int) -> None:
        """Book a user taker order's fills (public deals, maker sides, pushes)."""
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
            self.truth.add_deal(order.symbol, pub)
            deal, pos = self.apply_fill(acct, order, f.ticks, f.vol, True, now, self_trade)
            deals.append(deal)
            if f.maker.owner is not None:
                self.maker_fill(f, now, self_trade)
        self.push_fill(acct, order, deals, pos, now)

    def maker_fill(self, f: Fill, now: int, self_trade: bool) -> None:
        """Book the resting side of a fill for its owner."""
        owner = f.maker.owner
        assert owner is not None
        acct = self.accounts[owner]
        order = acct.orders[f.maker.order_id]
        deal, pos = self.apply_fill(acct, order, f.ticks, f.vol, False, now, self_trade)
        self.push_fill(acct, order, [deal], pos, now)

    def synthetic_take(
        self, symbol: str, buy: bool, vol: int, now: int, limit: int | None = None
    ) -> None:
        """A synthetic taker sweeping the book up to ``limit`` ticks; user makers get filled."""
        self.now_ms = max(self.now_ms, now)
        market = self.markets[symbol]
        for f in self.books[symbol].match(buy, limit, vol, now):
            self.truth.add_deal(symbol, market.record_trade(f.ticks, f.vol, buy, now))
            if f.maker.owner is not None:
                self.maker_fill(f, now, False)

    def push_fill(
        self,
        acct: Account,
        order: Order,
        deals: list[dict[str, Any]],
        pos: Position | None,
        now: int,
    ) -> None:
        """Order state after fills, then the §7.8 sequence; attached TP/SL become a stop."""
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

    def apply_fill(
        self,
        acct: Account,
        order: Order,
        ticks: int,
        vol: int,
        taker: bool,
        now: int,
        self_trade: bool,
    ) -> tuple[dict[str, Any], Position | None]:
        """Book one fill on the order, the position(s) and the wallet; return the deal row.

        Fee rate: taker or maker; a take-over (``category`` 2) pays ``liquidationFeeRate``.
        """
        c = order.contract
        price = c.price(ticks)
        if order.category == TAKEOVER:
            rate = c.liquidation_fee_rate
        else:
            rate = c.taker_fee_rate if taker else c.maker_fee_rate
        fee = booked(notional(price, vol, c.contract_size) * dec(rate))
        order.deal_vol += vol
        order.deal_amount += price * vol
        if taker:
            order.taker_fee += fee
        else:
            order.maker_fee += fee
        acct.book_cash(c.quote, -fee)
        profit, pos = self._position_fill(acct, order, vol, price, now)
        if pos is not None:
            pos.fee -= fee
            pos.realised -= fee
        order.profit += profit
        if opens(order.side):
            order.used_margin += order.margin_for(vol)
        deal = {
            "category": order.category,
            "externalOid": order.external_oid,
            "fee": num(fee),
            "feeCurrency": c.quote,
            "id": str(next(self.ids.fill)),
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
    ) -> tuple[Decimal, Position | None]:
        c = order.contract
        ptype = LONG if order.side in (1, 4) else SHORT
        profit = ZERO
        pos: Position | None = None
        if not opens(order.side):
            pos = acct.positions.get(order.position_id)
            if pos is None:
                return ZERO, None
            pos.frozen_vol = max(0, pos.frozen_vol - vol)
            return self.close_part(acct, pos, vol, price, now), pos
        if acct.position_mode == ONE_WAY:
            opposite = acct.position(c.symbol, SHORT if ptype == LONG else LONG)
            if opposite is not None:
                part = min(vol, opposite.hold_vol - opposite.frozen_vol)
                if part > 0:
                    profit = self.close_part(acct, opposite, part, price, now)
                    vol -= part
                    pos = opposite
        if vol > 0:
            pos = acct.position(c.symbol, ptype)
            if pos is None:
                pos = Position(
                    next(self.ids.position),
                    acct.api_key,
                    c,
                    ptype,
                    order.open_type,
                    order.leverage,
                    now,
                )
                acct.positions[pos.position_id] = pos
            pos.open(vol, price, order.leverage, now)
            order.position_id = pos.position_id
        return profit, pos

    def close_part(self, acct: Account, pos: Position, vol: int, price: float, now: int) -> Decimal:
        """Close ``vol`` of ``pos`` at ``price``: book the PnL; retire the position when flat."""
        pnl = pos.close(vol, price, now)
        acct.book_cash(pos.contract.quote, pnl)
        if pos.hold_vol == 0:
            del acct.positions[pos.position_id]
            acct.history_positions.append(pos)
            self.invalidate_stops(acct, pos.position_id, now)
        return pnl

    def invalidate_stops(self, acct: Account, position_id: int, now: int) -> None:
        """Live stops of a closed position become invalid (state 4) and are pushed."""
        for stop in acct.stops.values():
            if stop.position_id == position_id and not stop.finished:
                self.finish_stop(acct, stop, PLAN_INVALID, now)

    def finish_stop(self, acct: Account, stop: StopOrder, state: int, now: int) -> None:
        """Move a stop to a final state (§10 plan/stop states) and push it."""
        stop.state = state
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
            stop = self.open_stop(
                acct,
                pos,
                order.deal_vol,
                (order.stop_loss_price, order.take_profit_price),
                (order.loss_trend, order.profit_trend),
                now,
                order_id=order.order_id,
            )
        else:
            stop.vol = order.deal_vol
            stop.version += 1
            stop.update_time = now
        self.push(acct, "personal.stop.planorder", order.symbol, stop.row())

    def open_stop(
        self,
        acct: Account,
        pos: Position,
        vol: int,
        prices: tuple[float, float],
        trends: tuple[int, int],
        now: int,
        **extra: int,
    ) -> StopOrder:
        """Register a live TP/SL stop on ``pos``: ``prices`` = (SL, TP), ``trends`` = (loss,
        profit); ``extra`` sets ``order_id``, ``price_protect`` or ``vol_type``."""
        stop = StopOrder(
            next(self.ids.stop),
            acct.api_key,
            pos.contract,
            pos.position_id,
            pos.position_type,
            vol,
            prices[0],
            prices[1],
            trends[0],
            trends[1],
            now,
            **extra,
        )
        acct.stops[stop.stop_id] = stop
        return stop
