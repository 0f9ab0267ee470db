"""Trend / breakout taker: a Donchian channel over recent trade prices.

The strategy lives in the installed package, in
`src/mexc_futures/strategies/breakout.py` (short; read it there). This file is the
entry point for running it from a checkout:

    mexc-futures run examples/breakout.py -p lookback=50
    mexc-futures run breakout -p lookback=50    # the same by name, also after pip install

To write your own, copy that module next to this one and change it: `run` takes the one
`Strategy` subclass a file defines, or the class named by `STRATEGY` (as here).
"""

from __future__ import annotations

from mexc_futures.strategies.breakout import Breakout

STRATEGY = Breakout

__all__ = ["STRATEGY", "Breakout"]
