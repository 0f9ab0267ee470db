"""Two-sided market maker with inventory skew (the one the demo runs).

The strategy lives in the installed package, in
`src/mexc_futures/strategies/market_maker.py` (short; read it there). This file is the
entry point for running it from a checkout:

    mexc-futures run examples/market_maker.py -p size=2
    mexc-futures run market_maker -p size=2    # the same by name, also after pip install

To write your own, copy that module next to this one and change it: `run` takes the one
`Strategy` subclass a file defines, or the class named by `STRATEGY` (as here).
"""

from __future__ import annotations

from mexc_futures.strategies.market_maker import MarketMaker

STRATEGY = MarketMaker

__all__ = ["STRATEGY", "MarketMaker"]
