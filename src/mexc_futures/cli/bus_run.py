"""``run --bus``: the strategy's market data from a gateway over Redis (issue #18, docs/bus.md).

Execution stays in this process (the journal, risk gate and kill switch of the usual run) unless
the exec-service side of the bus is configured; only the market-data source changes: a
``BusMarketData`` (same router and book sync) instead of the session's own venue connections.
The bus's health reaches the run's health reports (``bus_down`` / ``bus_up``: on the screen, in
the activity log and in ``--plain`` output), and the summary shows the latency the bus adds
(gateway receive -> routed here) beside the in-process tick-to-order.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from mexc_futures.clock import Clock
from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketData
from mexc_futures.strategy.health import HealthReport


def market_data_factory(
    bus_url: Any, name: str, on_report: Callable[[HealthReport], None]
) -> Callable[[Environment, Clock], AbstractAsyncContextManager[MarketData]]:
    """The ``StrategySession(market_data=...)`` factory for ``bus_url`` (a ``BusURL``)."""
    from mexc_futures.bus.consumer import bus_market_data

    def on_bus(h: Any) -> None:
        text = ("market data paused, books re-sync from the gateway when it is back"
                if h.state == "bus_down" else "market data flowing again")
        on_report(HealthReport(h.state, f"bus {h.url}: {text} ({h.reason})"))

    def make(env: Environment, clock: Clock) -> AbstractAsyncContextManager[MarketData]:
        return bus_market_data(bus_url, env, clock, name=name, on_bus=on_bus)

    return make


def bus_summary(md: Any) -> list[str]:
    """Summary lines of a bus run (empty for the in-process market data)."""
    stats = getattr(md, "stats", None)
    if stats is None or not hasattr(md, "bus"):
        return []
    lag = sorted(x / 1e6 for x in stats.lag_ns)
    if lag:
        p50, p99 = lag[len(lag) // 2], lag[min(len(lag) - 1, int(len(lag) * 0.99))]
        hop = f"gateway→strategy p50 {p50:.2f} ms, p99 {p99:.2f} ms over {len(lag):,} frames"
    else:
        hop = "no frames received"
    return [f"  Bus:              {md.bus.url} {md.bus.state.replace('bus_', '')}; {hop}; "
            f"{stats.gaps} sequence gaps, {stats.bus_downs} outages, "
            f"{md.source.asked} snapshots from the gateway"]


__all__ = ["bus_summary", "market_data_factory"]
