"""Funding-rate monitor: watches funding and the mark/last basis, alerts, never trades.

Alerts when a funding estimate reaches ``threshold`` (as a fraction: 0.0005 = 0.05 % per period)
or when the last price strays from the fair (mark) price by more than ``basis_threshold``. Every
``timer_interval`` seconds it prints the latest rates. Alerts are kept in ``self.alerts``.

Run it:  mexc-futures run funding_monitor -s BTC_USDT -s ETH_USDT -p threshold=0.0003
"""

from __future__ import annotations

from typing import ClassVar

from mexc_futures.model.events import FundingRate, Ticker
from mexc_futures.strategy.api import Intents, Strategy, StrategyView


class FundingMonitor(Strategy):
    name = "funding_monitor"
    channels = ("funding.rate", "ticker")
    timer_interval = 10.0
    param_ranges: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "threshold": (0, 1),
        "basis_threshold": (0, 1),
    }

    def __init__(
        self,
        symbols: tuple[str, ...] = ("BTC_USDT",),
        threshold: float = 0.0005,
        basis_threshold: float = 0.002,
    ) -> None:
        super().__init__(symbols)
        self.threshold, self.basis_threshold = float(threshold), float(basis_threshold)
        self.rates: dict[str, float] = {}
        self.alerts: list[str] = []

    def alert(self, text: str) -> None:
        self.alerts.append(text)
        print(f"ALERT {text}", flush=True)

    def rate(self, symbol: str, rate: float) -> None:
        """Record a funding estimate; alert when it crosses the threshold."""
        before = self.rates.get(symbol)
        self.rates[symbol] = rate
        if abs(rate) >= self.threshold and (before is None or abs(before) < self.threshold):
            payer = "longs pay shorts" if rate > 0 else "shorts pay longs"
            self.alert(f"{symbol} funding {rate:+.4%} ({payer})")

    def on_funding(self, event: FundingRate, view: StrategyView) -> Intents:
        self.rate(event.symbol, event.rate)
        return None

    def on_ticker(self, event: Ticker, view: StrategyView) -> Intents:
        if event.funding_rate is not None:
            self.rate(event.symbol, event.funding_rate)
        if event.fair_price:
            basis = event.last_price / event.fair_price - 1
            if abs(basis) >= self.basis_threshold:
                self.alert(
                    f"{event.symbol} last {event.last_price} vs mark {event.fair_price} "
                    f"({basis:+.3%})"
                )
        return None

    def on_timer(self, now_ms: int, view: StrategyView) -> Intents:
        for symbol, rate in sorted(self.rates.items()):
            print(f"{symbol:>14}  funding {rate:+.4%}", flush=True)
        return None


__all__ = ["FundingMonitor"]
