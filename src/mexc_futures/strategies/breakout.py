"""Trend / breakout taker: a Donchian channel over recent trade prices.

Flat: a trade above the highest price of the last ``lookback`` trades buys ``size`` contracts at
market; a trade below the lowest sells. In a position: the trade that breaks the shorter
``exit_lookback`` channel against it closes the position. One entry per ``cooldown_ms``; one
close in flight per symbol (a second ``ClosePosition`` before the first is seen would be refused
by the risk gate: ux-audit finding 20). ``status()`` says whether it is still warming up.

Run it:  mexc-futures run breakout --paper -p lookback=50 -p size=1
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from mexc_futures.model.events import Trade
from mexc_futures.model.intents import ClosePosition, TradeSide
from mexc_futures.strategy.api import Intents, Strategy, StrategyView, market


class Breakout(Strategy):
    name = "breakout"
    channels = ("deal",)
    param_ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "lookback": (2, 100_000),
        "exit_lookback": (1, 100_000),
        "size": (1, 1_000_000),
        "cooldown_ms": (0, 86_400_000),
        "leverage": (1, 200),
    }

    def __init__(
        self,
        symbols: tuple[str, ...] = ("BTC_USDT",),
        lookback: int = 100,
        exit_lookback: int = 30,
        size: int = 1,
        cooldown_ms: int = 5000,
        leverage: int = 5,
    ) -> None:
        super().__init__(symbols)
        self.size, self.cooldown_ms, self.leverage = int(size), int(cooldown_ms), int(leverage)
        self.exit_lookback = int(exit_lookback)
        self.prices: dict[str, deque[float]] = {s: deque(maxlen=int(lookback)) for s in symbols}
        self.last_entry = -(10**12)
        self.closing: set[str] = set()  # symbols with a ClosePosition in flight

    def status(self) -> str | None:
        for sym, window in self.prices.items():
            if len(window) < (window.maxlen or 0):
                return f"{sym}: warming up, {len(window)}/{window.maxlen} trades seen"
        return None

    def on_trade(self, event: Trade, view: StrategyView) -> Intents:
        window = self.prices.get(event.symbol)
        if window is None:
            return None
        out: Intents = None
        if len(window) == window.maxlen:
            out = self.decide(event, list(window), view)
        window.append(event.price)
        return out

    def decide(self, event: Trade, window: list[float], view: StrategyView) -> Intents:
        pos, price = view.position(event.symbol), event.price
        recent = window[-self.exit_lookback :]
        if pos == 0:
            self.closing.discard(event.symbol)
        elif event.symbol in self.closing:
            return None  # the close is in flight
        if (pos > 0 and price < min(recent)) or (pos < 0 and price > max(recent)):
            self.closing.add(event.symbol)
            side = 1 if pos > 0 else 2
            return [ClosePosition(symbol=event.symbol, position_side=side, label=self.name)]
        if (
            pos != 0
            or view.now_ms() - self.last_entry < self.cooldown_ms
            or view.open_orders(event.symbol)
        ):
            return None
        if price > max(window):
            side = TradeSide.OPEN_LONG
        elif price < min(window):
            side = TradeSide.OPEN_SHORT
        else:
            return None
        self.last_entry = view.now_ms()
        return [market(event.symbol, side, self.size, leverage=self.leverage, label=self.name)]


__all__ = ["Breakout"]
