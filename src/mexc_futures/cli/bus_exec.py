"""``run --bus URL --account NAME``: the strategy's orders executed by the account's exec service.

``remote_factory`` builds the ``RemoteStrategySession(remote=...)`` factory: a
``bus.remote.RemoteExecutor`` for the strategy (its events stream is named after the strategy),
whose ``bus_down`` / ``bus_up`` become the run's health reports (screen, activity log, ``--plain``)
and whose ``tick→intent (bus)`` / ``intent RTT (bus)`` go to the run's latency lines beside the
in-process ``tick→place`` (design B10). ``bus`` is imported only when a run asks for it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from mexc_futures.clock import Clock
from mexc_futures.strategy.health import HealthReport
from mexc_futures.strategy.remote_session import RemoteExecution, RemoteFactory


def stream_name(strategy_name: str) -> str:
    """The strategy's name as a bus key part (letters, digits, ``_.-``; at most 64)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", strategy_name)[:64] or "strategy"


def remote_factory(
    bus: Any, account: str, strategy_name: str, on_report: Callable[[HealthReport], None]
) -> RemoteFactory:
    """The ``RemoteStrategySession`` factory for ``bus`` (a ``BusURL``) and ``account``."""
    from mexc_futures.bus.remote import RemoteExecutor

    def on_health(kind: str, text: str) -> None:
        on_report(HealthReport(kind, text, 1.0))

    @contextlib.asynccontextmanager
    async def make(
        clock: Clock,
        origin: Callable[[], float | None],
        on_latency: Callable[[str, float], None] | None,
    ) -> AsyncIterator[RemoteExecution]:
        async with RemoteExecutor(
            bus,
            account,
            stream_name(strategy_name),
            clock=clock,
            on_health=on_health,
            on_latency=on_latency,
            origin=origin,
        ) as remote:
            yield remote

    return make


__all__ = ["remote_factory", "stream_name"]
