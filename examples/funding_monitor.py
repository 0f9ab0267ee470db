"""Funding-rate monitor: alerts on funding and mark/last basis, never trades.

The strategy lives in the installed package, in
`src/mexc_futures/strategies/funding_monitor.py` (short; read it there). This file is the
entry point for running it from a checkout:

    mexc-futures run examples/funding_monitor.py -s ETH_USDT
    mexc-futures run funding_monitor -s ETH_USDT    # the same by name, also after pip install

To write your own, copy that module next to this one and change it: `run` takes the one
`Strategy` subclass a file defines, or the class named by `STRATEGY` (as here).
"""

from __future__ import annotations

from mexc_futures.strategies.funding_monitor import FundingMonitor

STRATEGY = FundingMonitor

__all__ = ["STRATEGY", "FundingMonitor"]
