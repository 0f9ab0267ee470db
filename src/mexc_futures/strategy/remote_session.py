"""A strategy session whose orders are executed by another process (``run --bus --account``).

``RemoteStrategySession(strategy, env, credentials, remote=factory, ...)`` is a
``StrategySession`` without an execution manager or private stream of its own: the engine's
executor is a ``RemoteExecution`` — on the bus, ``bus.remote.RemoteExecutor`` talking to the
account's ``mexc-futures exec-service`` (docs/bus.md) — and the engine's account events are the
ones the exec service routes to this strategy (its order updates and fills, the account's
positions and balances, the kill switch). It needs no API keys (``credentials`` may be None): the
REST client reads contract specs only.

* The engine starts knowing the account: the exec service's snapshot (``seed()``) gives
  positions, balances and open orders (orders other processes placed are visible, not ours:
  ``owns``) and a kill switch already latched halts it at once.
* ``KillSwitchTripped`` from the exec service halts the engine and ends ``run`` (cancels go
  first), as the in-process kill switch does.
* Latency: the engine's ``tick→place`` (strategy and intent queue) as in-process; the remote
  executor adds ``tick→intent (bus)`` and ``intent RTT (bus)`` through ``on_latency`` (B10).

The factory gets ``(clock, origin, on_latency)``: ``origin()`` is the monotonic arrival time of
the event that caused the intent being submitted (``StrategyEngine.submitting_origin``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from mexc_futures.clock import Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.model.events import AccountEvent, KillSwitchTripped, OrderUpdate
from mexc_futures.model.intents import Intent
from mexc_futures.strategy.engine import StrategyEngine
from mexc_futures.strategy.session import StrategySession, _Timed
from mexc_futures.transport.rest import RestClient


class RemoteExecution(Protocol):
    """What executes a remote session's intents (``bus.remote.RemoteExecutor``)."""

    async def submit(self, intent: Intent) -> object:
        """Carry out one intent; raise on failure."""
        ...

    def events(self) -> AsyncIterator[AccountEvent]:
        """Account events for this strategy."""
        ...

    def owns(self, upd: OrderUpdate) -> bool:
        """Whether an order is this strategy process's."""
        ...

    def seed(self) -> Sequence[AccountEvent]:
        """The account at start: positions, balances, open orders, a latched kill switch."""
        ...


RemoteFactory = Callable[
    [Clock, Callable[[], float | None], Callable[[str, float], None] | None],
    AbstractAsyncContextManager[RemoteExecution],
]


class RemoteStrategySession(StrategySession):
    """See the module docstring."""

    def __init__(
        self,
        strategy: Any,
        env: Environment,
        credentials: Credentials | None,
        *,
        remote: RemoteFactory,
        journal_path: Path | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(
            strategy,
            env,
            credentials,  # type: ignore[arg-type]  # only public reads here
            journal_path=journal_path or Path("unused-remote-journal"),
            **kw,
        )
        self.remote_factory = remote
        self.remote: RemoteExecution
        self.kill_reason: str | None = None

    async def _open(self) -> None:
        stack = self._stack
        self.rest = await stack.enter_async_context(
            RestClient(self.env, self.credentials, clock=self.clock)
        )
        await self.rest.sync_clock()
        for sym in self.strategy.symbols:
            self.specs[sym] = await self.rest.get_contract_spec(sym)
        self.remote = await stack.enter_async_context(
            self.remote_factory(self.clock, self._origin, self.on_latency)
        )
        factory = getattr(self, "market_data", None)  # run --bus: the gateway's market data
        self.md = await stack.enter_async_context(
            factory(self.env, self.clock)
            if factory is not None
            else MarketData(self.env, rest=self.rest, clock=self.clock)
        )
        for sym in self.strategy.symbols:
            for channel in self.strategy.channels:
                params = {"interval": self.strategy.kline_interval} if channel == "kline" else {}
                await self.md.subscribe(channel, sym, **params)
        self.engine = StrategyEngine(
            self.strategy,
            _Timed(self.remote, self.clock, self.on_latency, self.on_intent),
            clock=self.clock,
            config=self.config,
            specs=self.specs,
            depth=self.depth,
            on_report=self.on_report,
            on_submit=self._tick_to_order,
        )
        acct = self.engine.account
        acct.owns = self.remote.owns
        for event in self.remote.seed():
            if isinstance(event, KillSwitchTripped):
                self.kill_reason = event.reason
                self.engine.halt(f"kill switch: {event.reason}")
            else:
                acct.apply(event)
        self.md.on(self.engine.feed_market)
        if self.on_market is not None:
            self.md.on(self.on_market)

    def _origin(self) -> float | None:
        engine: StrategyEngine | None = getattr(self, "engine", None)
        return None if engine is None else engine.submitting_origin

    async def _remote_account(self) -> AsyncIterator[AccountEvent]:
        async for event in self.remote.events():
            if self.on_account is not None:
                self.on_account(event)
            if isinstance(event, KillSwitchTripped):
                self.kill_reason = event.reason
                self.engine.stop()  # halted by the event itself; on_stop's cancels still go
            yield event

    async def run(self, duration: float | None = None) -> None:
        """Run the strategy for ``duration`` seconds (``None``: until ``stop()``)."""
        await self.engine.run(None, self._remote_account(), duration=duration)

    def trading_off(self) -> str | None:
        """Why new orders cannot go out now (``None``: as far as this process knows, on)."""
        if self.kill_reason is not None:
            return f"kill switch tripped ({self.kill_reason})"
        return None


__all__ = ["RemoteExecution", "RemoteFactory", "RemoteStrategySession"]
