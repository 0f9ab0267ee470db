"""Trading engine of the emulator: the order lifecycle (spec §5.3–§5.5, §10, §12.5).

``Engine`` is the top of the layer stack described in ``state.py`` (state → margin → fills →
lifecycle). This layer owns what happens to an *order*: acceptance after validation
(``placement.build_order``), the order types of §10 (1 limit, 2 post-only, 3 IOC, 4 FOK,
5 market, 6 market-to-limit), resting on the book, cancellation and final states (1 → 2 → 3/4,
``version`` +1 per pushed change). Trades it causes are booked by ``fills.FillEngine``.

Private pushes follow §7.8: ``personal.order`` → ``personal.order.deal`` → ``personal.position`` →
``personal.asset``.
"""

from __future__ import annotations

from typing import Any

from mexc_futures.emulator.venue.accounts import Account, Position
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.fills import TAKEOVER, FillEngine
from mexc_futures.emulator.venue.matching import ASK, BID, OrderBook, Resting
from mexc_futures.emulator.venue.orders import (
    CANCELLED,
    EC_FOK,
    EC_IOC,
    EC_MARKET,
    EC_POST_ONLY,
    FOK,
    IOC,
    LIMIT,
    MARKET,
    MARKET_TO_LIMIT,
    OPEN,
    POST_ONLY,
    Order,
    is_buy,
    opens,
)
from mexc_futures.emulator.venue.placement import build_order, float_field, int_field
from mexc_futures.emulator.venue.state import TRUTH_DEALS_KEEP, Publication, Truth

__all__ = [
    "TAKEOVER",
    "TRUTH_DEALS_KEEP",
    "Engine",
    "Publication",
    "Truth",
    "float_field",
    "int_field",
]


class Engine(FillEngine):
    """Books, markets and accounts of one venue, and the trading rules between them."""

    def place(
        self, acct: Account, body: dict[str, Any], now: int, *, external_oid: str | None = None
    ) -> Order:
        """Validate and execute a new order (create/submit body of §5.3); ``external_oid`` names
        an order the venue places itself (a triggered plan), bypassing the client-oid rules."""
        order, pos_for_close = build_order(self, acct, body, now)
        if external_oid is not None:
            order.external_oid = external_oid
        if order.error_code:  # accepted, then invalidated at once (venue rules rows 12, 20)
            key = (order.symbol, order.external_oid)
            kept = acct.by_external.get(key)
            self.register(acct, order)
            if kept is not None:
                acct.by_external[key] = kept  # the id still names the first order
            self.finish(acct, order, CANCELLED, order.error_code, now)
            return order
        self.accept(acct, order, pos_for_close)
        self._execute(acct, order, self.books[order.symbol], now)
        return order

    def check_replacement(self, acct: Account, old: Order, body: dict[str, Any], now: int) -> None:
        """Raise the ``VenueError`` that placing ``body`` would get once ``old`` is cancelled.

        The dry run of an amend (reliability D2, emulator half): ``old`` is taken out of the live
        orders (its frozen margin, its slot in the open-order count, the close volume it holds)
        only for the duration of the check, so a refused amend leaves it untouched.
        """
        acct.live.pop(old.order_id, None)
        pos = acct.positions.get(old.position_id) if not opens(old.side) else None
        if pos is not None:
            pos.frozen_vol -= old.remain
        try:
            build_order(self, acct, body, now, validate_only=True)
        finally:
            if pos is not None:
                pos.frozen_vol += old.remain
            acct.sync(old)

    def chase(self, acct: Account, order: Order, ticks: int, now: int) -> None:
        """Move a resting limit order to ``ticks`` in place (same id, back of the new level's
        queue, version + 1); 2005 when an opening order's margin at the new price is not there.
        A price that crosses the book takes what is there first (a post-only one is cancelled)."""
        if opens(order.side):
            before = order.order_margin
            after = order.margin_for_price(order.contract.price(ticks), order.vol)
            if after - before > self.available(acct, order.contract.quote):
                raise fail(2005)
            order.order_margin = after
        book = self.books[order.symbol]
        book.remove(order.order_id, now)
        order.price = order.contract.price(ticks)
        buy = is_buy(order.side)
        if book.would_cross(buy, ticks):  # rules.chase_side "opposite": it takes what is there
            if order.order_type == POST_ONLY:
                self.finish(acct, order, CANCELLED, EC_POST_ONLY, now)
                return
            self.taker_fills(acct, order, book.match(buy, ticks, order.remain, now), now)
            if order.remain:
                book.add(Resting(order.order_id, acct.api_key, BID if buy else ASK, ticks,
                                 order.remain), now)
            return
        book.add(
            Resting(order.order_id, acct.api_key, BID if buy else ASK, ticks, order.remain),
            now,
        )
        order.version += 1
        order.update_time = now
        self.push(acct, "personal.order", order.symbol, order.push_row())
        self.push_asset(acct, order.contract.quote)

    def accept(self, acct: Account, order: Order, pos: Position | None) -> None:
        """Register an order; a closing order freezes its volume on ``pos``."""
        self.register(acct, order)
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
            self.finish(acct, order, CANCELLED, EC_POST_ONLY, now)
            return
        limit = None if otype in (MARKET, MARKET_TO_LIMIT) else ticks
        if otype == FOK and book.available(buy, limit, order.vol) < order.vol:
            self.finish(acct, order, CANCELLED, EC_FOK, now)
            return
        fills = book.match(buy, limit, order.vol, now)
        self.taker_fills(acct, order, fills, now)
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
            self.finish(acct, order, CANCELLED, code, now)

    def finish(self, acct: Account, order: Order, state: int, error_code: int, now: int) -> None:
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
        self.finish(acct, order, CANCELLED, error_code, now)
        return 0
