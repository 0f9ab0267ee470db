"""The example strategies, importable from the installed package.

``mexc-futures run market_maker`` (or ``breakout``, ``funding_monitor``) runs them by name; the
files in the source tree's ``examples/`` are short entry points that re-export these classes.

* :class:`~mexc_futures.strategies.market_maker.MarketMaker` — two-sided post-only quotes with
  inventory skew (the demo runs it);
* :class:`~mexc_futures.strategies.breakout.Breakout` — Donchian-channel trend/breakout taker;
* :class:`~mexc_futures.strategies.funding_monitor.FundingMonitor` — funding-rate and basis alerts,
  never trades.
"""

from __future__ import annotations

BUILTIN = {
    "market_maker": "mexc_futures.strategies.market_maker",
    "breakout": "mexc_futures.strategies.breakout",
    "funding_monitor": "mexc_futures.strategies.funding_monitor",
}
"""Built-in strategy name -> module (each module holds exactly one ``Strategy`` subclass)."""

__all__ = ["BUILTIN"]
