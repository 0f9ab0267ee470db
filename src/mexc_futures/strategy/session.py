"""A strategy session: market data -> engine -> execution, wired for one environment.

``StrategySession(strategy, env, credentials, journal_path=...)`` opens, in order: a ``RestClient``
(clock synced, contract specs loaded, every symbol checked), ``MarketData`` with the strategy's
channels for each of its symbols, the ``ExecutionManager`` (journal, risk gate, kill switch) and a
``PrivateStream`` of account events. The :class:`StrategyEngine` reads both streams; account events
also go to the execution manager (``on_account_event``); trigger, TP/SL and trailing pushes go to
its ``conditionals`` (the view's ``conditionals(symbol)`` follows them push by push).
``run(duration)`` runs until the time is up or ``stop()``; on the way out the strategy's ``on_stop``
cancels its orders and the session waits for the cancels to be confirmed. Before the first event the
engine's account view holds the account's positions, balances and open orders (those placed
elsewhere as ``foreign_orders``: visible, not owned; ``CancelAll`` and the clean-up touch only this
run's orders). A kill switch — tripped here or latched by another process's ``mexc-futures kill`` on
the same journal — ends ``run`` the same way.

Market events reach the engine through ``MarketData.on`` — synchronously, as each frame is
decoded — so the engine's arrival time is the frame's arrival. Latency reported to ``on_latency``
(milliseconds): ``tick→place``, ``tick→cancel``, ... — tick-to-order: from the arrival of the
event that caused the intent to the engine handing the intent to ``ExecutionManager.submit``
(strategy time plus intent-queue wait; the engine measures it, ``StrategyEngine.on_submit``);
``place`` / ``cancel`` / ``cancel all`` / ``amend`` / ``close`` — the ``submit`` round trip that
starts at that same instant (risk gate, journal, signing, the REST request and its answer). The
two add up to event-to-acknowledgement. Neither the execution manager nor the REST client expose
the instant a request is written, so the tick-to-order figure stops at the hand-off.

``on_account`` sees every private account event as it arrives and ``on_intent(intent, outcome,
ms)`` every intent once ``submit`` returned (``outcome``: its result or the exception it raised):
the CLI's activity log and live view are built from them.

``market_data`` replaces the session's own ``MarketData`` (a factory ``(env, clock) -> async
context manager yielding a MarketData``): ``run --bus`` passes one that yields a
``bus.consumer.BusMarketData``, so the engine reads a gateway's frames over Redis through the same
router and book sync (docs/bus.md); the default builds the usual ``MarketData``.

Why trading is off, when it is: ``trading_off()`` — the kill switch, the execution manager's
``trading_off_reason`` (e.g. the venue answered 1002) or the capability probe's finding for one of
our contracts (``apiAllowed`` false, contract not enabled).

The same session serves paper trading (``env`` = an emulator's, whose account is the paper
account) and live trading (``env`` = ``Environment.live()``); refusing to go live without
credentials is the caller's job (``config.load_credentials`` raises ``ConfigError``).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.execution.alerts import Alert
from mexc_futures.execution.facade import ExecutionConfig, ExecutionManager
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.marketdata.private_stream import LoginError, PrivateStream
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    KillSwitchTripped,
    MarketEvent,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    Intent,
    PlaceChase,
    PlaceOrder,
)
from mexc_futures.model.risk import RiskLimits
from mexc_futures.strategy.api import Level, Strategy
from mexc_futures.strategy.engine import EngineConfig, Executor, HealthReport, StrategyEngine
from mexc_futures.transport.rest import RestClient

#: ``plan.order`` / ``stop.order`` / ``stop.planorder`` keep the strategy's view of its triggers and
#: TP/SL current push by push (``push.personal.track.order`` has no filter key, spec §7.7: it
#: comes unfiltered)
PRIVATE_CHANNELS = (
    "order", "order.deal", "position", "asset", "plan.order", "stop.order", "stop.planorder"
)
#: ``(env, clock) -> async context manager yielding a MarketData`` (``run --bus``: the bus's)
MarketDataFactory = Callable[[Environment, Clock], AbstractAsyncContextManager[MarketData]]
ACCOUNT_TYPES = (OrderUpdate, Fill, PositionUpdate, BalanceUpdate, KillSwitchTripped)


class StrategySession:
    """See the module docstring."""

    def __init__(
        self,
        strategy: Strategy,
        env: Environment,
        credentials: Credentials,
        *,
        journal_path: Path,
        clock: Clock = SYSTEM_CLOCK,
        config: EngineConfig | None = None,
        on_report: Callable[[HealthReport], None] | None = None,
        on_market: Callable[[MarketEvent], None] | None = None,
        on_latency: Callable[[str, float], None] | None = None,
        on_account: Callable[[AccountEvent], None] | None = None,
        on_intent: Callable[[Intent, object, float], None] | None = None,
        risk: RiskLimits | None = None,
        alerts: Alert | None = None,
        market_data: MarketDataFactory | None = None,
        execution_config: ExecutionConfig | None = None,
        seed: int | None = None,
    ) -> None:
        self.strategy = strategy
        self.market_data = market_data
        #: the execution manager's settings (``None``: its defaults for the strategy's symbols)
        self.execution_config = execution_config
        # ``seed``: the jitter streams and the execution session id derive from it (a lockstep
        # backtest repeats byte for byte); None: fresh randomness, as live
        self.seed = seed
        self.env = env
        self.credentials = credentials
        self.journal_path = journal_path
        self.clock = clock
        self.config = config
        self.on_report = on_report
        self.on_market = on_market
        self.on_latency = on_latency
        self.on_account = on_account
        self.on_intent = on_intent
        self.risk = risk  # the execution manager's risk gate (None: its defaults)
        self.alerts = alerts  # where the kill switch alerts (None: the log)
        self.specs: dict[str, ContractSpec] = {}
        self._stack = contextlib.AsyncExitStack()
        self.rest: RestClient
        self.md: MarketData
        self.execution: ExecutionManager
        self.private: PrivateStream
        self.engine: StrategyEngine

    async def __aenter__(self) -> StrategySession:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def _open(self) -> None:
        stack = self._stack
        self.rest = await stack.enter_async_context(
            RestClient(self.env, self.credentials, clock=self.clock, rng=self._rng("rest"))
        )
        await self.rest.sync_clock()
        for sym in self.strategy.symbols:
            self.specs[sym] = await self.rest.get_contract_spec(sym)
        self.execution = await stack.enter_async_context(
            ExecutionManager(
                self.rest,
                journal_path=self.journal_path,
                clock=self.clock,
                config=self.execution_config or ExecutionConfig(symbols=self.strategy.symbols),
                label=f"run {self.strategy.name}",
                risk=self.risk,
                alerts=self.alerts,
                session_id=None if self.seed is None else f"{self.seed & 0xFFFFFFFF:016x}",
            )
        )
        self.execution.on(self._on_execution_event)
        self.md = await stack.enter_async_context(
            self.market_data(self.env, self.clock) if self.market_data is not None
            else MarketData(self.env, rest=self.rest, clock=self.clock, rng=self._rng("md"))
        )
        for sym in self.strategy.symbols:
            for channel in self.strategy.channels:
                params = {"interval": self.strategy.kline_interval} if channel == "kline" else {}
                await self.md.subscribe(channel, sym, **params)
        self.private = await self._open_private(stack)
        self.engine = StrategyEngine(
            self.strategy,
            _Timed(self.execution, self.clock, self.on_latency, self.on_intent),
            clock=self.clock,
            config=self.config,
            specs=self.specs,
            depth=self.depth,
            account_sinks=[self.execution.on_account_event],
            on_report=self.on_report,
            on_submit=self._tick_to_order,
            conditionals=self.execution.conditionals.live,
        )
        await self._seed_account()
        self.md.on(self.engine.feed_market)
        self.md.on(self.execution.chases.on_market)  # chase-limit orders follow the book
        if self.on_market is not None:
            self.md.on(self.on_market)

    def _rng(self, stream: str) -> random.Random | None:
        if self.seed is None:
            return None
        return random.Random(f"{self.seed}:{stream}")  # noqa: S311  # nosec B311  # jitter

    async def _open_private(self, stack: contextlib.AsyncExitStack) -> PrivateStream:
        """The private stream, its login signed with the venue's clock (the REST client's
        offset: one source, ux finding 8), measured just before; a login refused for its time
        window is retried after re-measuring (an emulator with ``--speed`` drifts fast)."""
        for attempt in range(3):
            # one sample: a best-of-3 could keep the first ping's offset after waiting seconds
            # for the ping bucket, stale by then on a fast emulator clock
            await self.rest.sync_clock(samples=1)
            stream = PrivateStream(
                self.env,
                self.credentials,
                PRIVATE_CHANNELS,
                self.strategy.symbols,
                clock=self.rest.venue_clock,
            )
            try:
                return await stack.enter_async_context(stream)
            except LoginError as e:
                if "reqTime" not in str(e) or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _seed_account(self) -> None:
        """The strategy starts knowing its account (ux finding 2): positions and balances as
        the execution manager's start-up reconciliation left them, and every open order on the
        account — orders this run did not place are visible as ``foreign_orders``, not ours."""
        acct = self.engine.account
        acct.owns = self.execution.owns_update
        for p in self.execution.positions.values():
            acct.apply(p)
        for b in self.execution.balances.values():
            acct.apply(b)
        for row in await self.execution.venue_open_orders():
            acct.apply(row)

    def _on_execution_event(self, event: object) -> None:
        """A kill switch (this process's or another's ``mexc-futures kill``) ends the run: the
        engine halts on the event itself; ``stop`` lets ``on_stop`` send its cancels and the
        run end with its summary instead of idling until ``duration``."""
        if isinstance(event, KillSwitchTripped) and hasattr(self, "engine"):
            self.engine.stop()

    def depth(self, symbol: str, n: int) -> tuple[Sequence[Level], Sequence[Level]]:
        """Top ``n`` levels of the live book of ``symbol``."""
        book = self.md.book(symbol)
        bids, asks = book.top(n)
        return list(bids), list(asks)

    def _tick_to_order(self, intent: Intent, seconds: float) -> None:
        if self.on_latency is not None:
            self.on_latency(f"tick→{intent_kind(intent)}", seconds * 1000)

    def trading_off(self) -> str | None:
        """Why new orders cannot go out now (``None``: trading is on)."""
        ex: ExecutionManager | None = getattr(self, "execution", None)
        if ex is None:
            return None
        if ex.kill_switch.tripped:
            return f"kill switch tripped ({ex.kill_switch.reason})"
        if ex.trading_off_reason:
            return ex.trading_off_reason
        for sym in self.strategy.symbols:
            why = ex.capabilities.contracts.get(sym, "ok")
            if why != "ok":
                return f"{sym}: {why}"
        return None

    async def _account(self) -> AsyncIterator[AccountEvent]:
        async for event in self.private:
            if isinstance(event, ACCOUNT_TYPES):
                if self.on_account is not None:
                    self.on_account(event)
                yield event
            else:  # trigger / TP-SL / trailing pushes: the view's conditionals, as they come
                self.execution.conditionals.on_push(event) or self.execution.chases.on_push(event)

    async def run(self, duration: float | None = None) -> None:
        """Run the strategy for ``duration`` seconds (``None``: until ``stop()``)."""
        await self.engine.run(
            None, self._account(), feedback=self.execution.events(), duration=duration
        )

    def stop(self) -> None:
        """Ask ``run`` to finish cleanly (cancels first)."""
        self.engine.stop()


def intent_kind(intent: Intent) -> str:
    """``place`` / ``cancel`` / ``cancel all`` / ``amend`` / ``close``: the latency label."""
    return _KINDS.get(type(intent), type(intent).__name__)


class _Timed:
    """Executor wrapper reporting each intent's round trip (ms) as ``place`` / ``cancel`` / ..."""

    def __init__(
        self,
        inner: Executor,
        clock: Clock,
        report: Callable[[str, float], None] | None,
        outcome: Callable[[Intent, object, float], None] | None = None,
    ) -> None:
        self.inner, self.clock, self.report, self.outcome = inner, clock, report, outcome

    async def submit(self, intent: Intent) -> object:
        t0 = self.clock.monotonic()
        result: object = None
        try:
            result = await self.inner.submit(intent)
            return result
        except Exception as exc:
            result = exc
            raise
        finally:
            ms = (self.clock.monotonic() - t0) * 1000
            if self.report is not None:
                self.report(intent_kind(intent), ms)
            if self.outcome is not None:
                self.outcome(intent, result, ms)


_KINDS: dict[type, str] = {
    PlaceOrder: "place",
    CancelOrder: "cancel",
    CancelAll: "cancel all",
    AmendOrder: "amend",
    ClosePosition: "close",
    PlaceChase: "chase",
}

__all__ = ["PRIVATE_CHANNELS", "StrategySession", "intent_kind"]
