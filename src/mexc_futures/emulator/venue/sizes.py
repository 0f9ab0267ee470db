"""Lengths of everything a venue keeps, for the memory probe (``server/memprobe.py``).

Sans-I/O: counts only, no sizes in bytes (the probe's ``tracemalloc`` diff gives those). Each key
names one structure and docs/emulator-server.md "Memory" gives the bound that applies to it.
"""

from __future__ import annotations

from typing import Any

import mexc_futures.emulator.market.klines as klines
from mexc_futures.emulator.venue.engine import Engine


def _kline_bars(e: Engine) -> int:
    closed = 0
    for m in e.markets.values():
        for series in (m.kline_last, m.kline_index, m.kline_fair):
            closed += sum(len(d) for d in series.closed.values())
    return closed


def memory_sizes(e: Engine) -> dict[str, Any]:
    """``{structure: length}`` summed over symbols and accounts."""
    books = e.books.values()
    markets = e.markets.values()
    accounts = e.accounts.values()
    t = e.truth
    return {
        "symbols": len(e.contracts),
        "bookOrders": sum(len(b.orders) for b in books),
        "bookLevels": sum(len(b.bids) + len(b.asks) for b in books),
        "depthCommits": sum(len(b.commits) for b in books),
        "depthCommitsKb": sum(b.commits.nbytes() for b in books) // 1024,
        "pendingCommits": sum(len(b.pending) for b in books),
        "marketDeals": sum(len(m.deals) for m in markets),
        "fundingHistory": sum(len(m.funding_history) for m in markets),
        "min1Closes": sum(len(getattr(m, "_min1_closes", ())) for m in markets),
        "klineBars": _kline_bars(e),
        "klineSynthCached": len(klines.synth_cache),
        "truthDeals": sum(len(d) for d in t.deals.values()),
        "truthOrders": sum(len(v) for v in t.orders_by_external.values()),
        "queuedPushes": len(e.pubs),
        "accounts": len(e.accounts),
        "orders": sum(len(a.orders) for a in accounts),
        "liveOrders": sum(len(a.live) for a in accounts),
        "historyPositions": sum(len(a.history_positions) for a in accounts),
        "fills": sum(len(a.fills) for a in accounts),
        "fundingRecords": sum(len(a.funding_records) for a in accounts),
        "plans": sum(len(a.plans) for a in accounts),
        "stops": sum(len(a.stops) for a in accounts),
        "tracks": sum(len(a.tracks) for a in accounts),
    }


__all__ = ["memory_sizes"]
