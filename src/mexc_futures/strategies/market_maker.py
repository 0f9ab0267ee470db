"""Two-sided market maker with inventory skew.

Quotes one post-only bid and one post-only ask around the mid. Inventory skews both quotes: when
long, both prices move down (selling becomes likelier, buying less likely), and past
``max_position`` the side that would grow the position is not quoted at all. A quote that drifts
more than ``tolerance_ticks`` from its target is cancelled and re-placed, at most once per
``requote_ms`` per side (MEXC allows 4 order creates per 2 s, spec §5.3).

Run it:  mexc-futures run market_maker --paper -p size=2 -p max_position=6
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import ClassVar

from mexc_futures.model.events import BookUpdate, OrderUpdate, PositionSide
from mexc_futures.model.intents import Intent, TradeSide
from mexc_futures.strategy.api import Intents, Strategy, StrategyView, cancel, post_only

BUY_SIDES = (TradeSide.OPEN_LONG, TradeSide.CLOSE_SHORT)


class MarketMaker(Strategy):
    name = "market_maker"
    channels = ("depth", "deal")
    param_ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "size": (1, 1_000_000),
        "half_spread_ticks": (0, 10_000),
        "skew_ticks": (0, 10_000),
        "max_position": (1, 10_000_000),
        "tolerance_ticks": (0, 10_000),
        "requote_ms": (0, 3_600_000),
        "leverage": (1, 200),
        "tick": (1e-12, None),
    }

    def __init__(
        self,
        symbols: tuple[str, ...] = ("BTC_USDT",),
        size: int = 1,
        half_spread_ticks: float = 0.5,
        skew_ticks: float = 1.0,
        max_position: int = 5,
        tolerance_ticks: int = 2,
        requote_ms: int = 1500,
        leverage: int = 10,
        tick: float = 0.1,
    ) -> None:
        super().__init__(symbols)
        self.size, self.half_spread, self.skew = int(size), float(half_spread_ticks), skew_ticks
        self.max_position, self.tolerance = int(max_position), int(tolerance_ticks)
        self.requote_ms, self.leverage, self.default_tick = int(requote_ms), int(leverage), tick
        self._last_action: dict[tuple[str, bool], int] = {}  # (symbol, is_bid) -> ms

    def tick(self, view: StrategyView, symbol: str) -> float:
        spec = view.instrument(symbol)
        return float(spec.price_unit) if spec is not None else self.default_tick

    def targets(self, view: StrategyView, symbol: str) -> tuple[float | None, float | None]:
        """Target bid and ask prices (``None``: do not quote that side)."""
        top, tick = view.top(symbol), self.tick(view, symbol)
        if top is None or top.bid is None or top.ask is None or not top.synced:
            return None, None
        pos = float(view.position(symbol))
        fair = (top.bid + top.ask) / 2 - pos * self.skew * tick
        bid = min(top.bid, math.floor((fair - self.half_spread * tick) / tick + 1e-9) * tick)
        ask = max(top.ask, math.ceil((fair + self.half_spread * tick) / tick - 1e-9) * tick)
        return (
            None if pos >= self.max_position else round(bid, 10),
            None if pos <= -self.max_position else round(ask, 10),
        )

    def on_book(self, event: BookUpdate, view: StrategyView) -> Intents:
        return self.quote(view, event.symbol)

    def on_order(self, event: OrderUpdate, view: StrategyView) -> Intents:
        if event.state >= 3:  # filled or cancelled: the side is free again
            self._last_action.pop((event.symbol, event.side in BUY_SIDES), None)
        return None

    def quote(self, view: StrategyView, symbol: str) -> list[Intent]:
        now, tick = view.now_ms(), self.tick(view, symbol)
        out: list[Intent] = []
        for is_bid, target in zip((True, False), self.targets(view, symbol), strict=True):
            mine = [o for o in view.open_orders(symbol) if (o.side in BUY_SIDES) == is_bid]
            if now - self._last_action.get((symbol, is_bid), -(10**12)) < self.requote_ms:
                continue  # an action on this side is in flight or too recent
            stale = [
                o
                for o in mine
                if target is None or abs(float(o.price) - target) > (self.tolerance * tick + 1e-9)
            ]
            if stale:
                out.extend(cancel(o, label=self.name) for o in stale)
            elif not mine and target is not None:
                out.append(self.order(view, symbol, is_bid, target))
            else:
                continue
            self._last_action[(symbol, is_bid)] = now
        return out

    def order(self, view: StrategyView, symbol: str, is_bid: bool, price: float) -> Intent:
        """Reduce the opposite position first, otherwise open (works in hedge and one-way mode)."""
        held = {p.position_type: p.hold_vol for p in view.positions(symbol)}
        # reduce the short when bidding, the long when asking
        opposite = held.get(PositionSide.SHORT if is_bid else PositionSide.LONG, Decimal(0))
        if opposite > 0:
            side = TradeSide.CLOSE_SHORT if is_bid else TradeSide.CLOSE_LONG
            vol = min(Decimal(self.size), opposite)
        else:
            side = TradeSide.OPEN_LONG if is_bid else TradeSide.OPEN_SHORT
            vol = Decimal(self.size)
        return post_only(
            symbol, side, vol, Decimal(str(price)), leverage=self.leverage, label=self.name
        )


__all__ = ["MarketMaker"]
