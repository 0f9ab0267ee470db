"""Liquidation: refresh liquidation prices with the mark, and take over crossed positions (§10).

Why a module of its own: liquidation is the one place where the venue trades *for* the user
without an order from it, so it has its own sequence and its own order category.

Every fair-price refresh (once a second of venue time per symbol, ``Venue._refresh``) calls
:func:`check_liquidations`, which for each open position of the symbol

1. recomputes the liquidation price (``MarginEngine.refresh_liquidation``) — isolated positions
   only move when their margin or volume changes, cross positions move with every cross mark —
   and pushes ``personal.position`` when its tick-rounded value changed;
2. liquidates the position when the fair price has reached it (long: fair ≤ liq; short:
   fair ≥ liq), see :func:`liquidate`.
"""

from __future__ import annotations

from mexc_futures.emulator.venue.accounts import LONG, Account, Position
from mexc_futures.emulator.venue.engine import Engine
from mexc_futures.emulator.venue.fills import TAKEOVER
from mexc_futures.emulator.venue.orders import MARKET, Order

EC_LIQUIDATION_CANCEL = 13
"""``errorCode`` of the position's close orders cancelled by a liquidation."""


def check_liquidations(engine: Engine, symbol: str, now: int) -> None:
    """Refresh the liquidation prices of ``symbol``'s positions; liquidate the crossed ones."""
    fair = engine.markets[symbol].fair_price
    for acct in engine.accounts.values():
        if not acct.positions:
            continue
        for pos in list(acct.positions.values()):
            if pos.symbol != symbol or not pos.hold_vol:
                continue
            changed = engine.refresh_liquidation(pos)
            liq = pos.liquidate_price
            if liq and (fair <= liq if pos.position_type == LONG else fair >= liq):
                liquidate(engine, acct, pos, now)
            elif changed:
                engine.push_position(pos)


def liquidate(engine: Engine, acct: Account, pos: Position, now: int) -> Order:
    """Close ``pos`` at its liquidation price with a system take-over order (``category`` 2).

    Sequence: the position's open close orders are cancelled (state 4, ``errorCode`` 13); a
    market close order of ``category`` 2 for the whole volume is registered and filled at the
    tick-rounded liquidation price, paying ``liquidationFeeRate``; the realised loss is booked;
    the position is closed (state 3, moved to the history) and its stops become invalid. Pushes:
    ``personal.order`` (cancelled closes), ``personal.stop.planorder`` (invalid stops),
    ``personal.order`` (take-over, state 3), ``personal.order.deal`` (``category`` 2),
    ``personal.position`` (state 3), ``personal.asset``. Returns the take-over order.
    """
    for order in acct.open_orders(pos.symbol):
        if order.position_id == pos.position_id:
            engine.cancel(acct, order.order_id, now, error_code=EC_LIQUIDATION_CANCEL)
    c = pos.contract
    ticks = c.ticks(pos.liquidate_price)
    takeover = Order(
        order_id=next(engine.ids.order),
        account=acct.api_key,
        contract=c,
        price=c.price(ticks),
        vol=pos.hold_vol - pos.frozen_vol,
        leverage=pos.leverage,
        side=4 if pos.position_type == LONG else 2,
        order_type=MARKET,
        open_type=pos.open_type,
        external_oid=engine.auto_oid(),
        position_mode=acct.position_mode,
        create_time=now,
        update_time=now,
        category=TAKEOVER,
    )
    engine.accept(acct, takeover, pos)
    deal, closed = engine.apply_fill(acct, takeover, ticks, takeover.vol, True, now, False)
    engine.push_fill(acct, takeover, [deal], closed, now)
    return takeover
