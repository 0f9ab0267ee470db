"""StrategyEngine: bounded queues, conflation, slow-strategy reports, kill switch, REST."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from mexc_futures.errors import KillSwitchActive
from mexc_futures.model.events import (
    BookUpdate,
    Fill,
    KillSwitchTripped,
    OrderUpdate,
    Side,
    Trade,
)
from mexc_futures.model.intents import CancelAll, Intent, PlaceOrder, TradeSide
from mexc_futures.strategy.api import Intents, Strategy, StrategyView, post_only
from mexc_futures.strategy.engine import EngineConfig, HealthReport, StrategyEngine
from mexc_futures.testing.clock import ManualClock


class Recorder(Strategy):
    """Records what it sees; optionally burns manual-clock time or emits an order per book."""

    name = "recorder"

    def __init__(self, clock: ManualClock | None = None, cost: float = 0.0, quote: bool = False):
        super().__init__(["BTC_USDT"])
        self.clock, self.cost, self.quote = clock, cost, quote
        self.books: list[BookUpdate] = []
        self.trades: list[Trade] = []
        self.fills: list[Fill] = []
        self.kills = 0
        self.trades_seen = asyncio.Event()
        self.want_trades = 0

    def _burn(self) -> None:
        if self.clock is not None and self.cost:
            self.clock.advance(self.cost)

    def on_book(self, event: BookUpdate, view: StrategyView) -> Intents:
        self._burn()
        self.books.append(event)
        if self.quote and event.best_bid is not None:
            return [post_only(event.symbol, TradeSide.OPEN_LONG, 1, event.best_bid)]
        return None

    def on_trade(self, event: Trade, view: StrategyView) -> Intents:
        self._burn()
        self.trades.append(event)
        if self.want_trades and len(self.trades) >= self.want_trades:
            self.trades_seen.set()
        return None

    def on_fill(self, event: Fill, view: StrategyView) -> Intents:
        self.fills.append(event)
        return None

    def on_kill_switch(self, event: KillSwitchTripped, view: StrategyView) -> Intents:
        self.kills += 1
        return None


class SinkExecutor:
    """Records submitted intents; optionally blocks every submit until released."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.sent: list[Intent] = []
        self.gate = gate
        self.entered = asyncio.Event()

    async def submit(self, intent: Intent) -> object:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append(intent)
        return None


def book(v: int, bid: float = 100.0, sym: str = "BTC_USDT") -> BookUpdate:
    return BookUpdate(symbol=sym, version=v, best_bid=bid, best_ask=bid + 1)


def trade(i: int) -> Trade:
    return Trade(
        symbol="BTC_USDT",
        price=100.0 + i,
        vol=1,
        side=Side.BUY,
        open_flag=1,
        self_trade=False,
        time=i,
    )


def order_row(state: int, deal: int, version: int) -> OrderUpdate:
    """Order ``o1`` (buy 1 @ 100) in ``state`` with ``deal`` contracts filled."""
    return OrderUpdate(
        order_id="o1",
        external_oid="x",
        symbol="BTC_USDT",
        side=1,
        order_type=2,
        price=Decimal(100),
        vol=Decimal(1),
        deal_vol=Decimal(deal),
        deal_avg_price=Decimal(100 if deal else 0),
        state=state,
        version=version,
    )


def fill(fid: str) -> Fill:
    return Fill(
        fill_id=fid,
        order_id="o1",
        symbol="BTC_USDT",
        side=1,
        vol=Decimal(1),
        price=Decimal(100),
        fee=Decimal("0.01"),
        fee_currency="USDT",
        profit=Decimal(0),
        is_taker=False,
        time=1,
    )


def reports_of(sink: list[HealthReport], kind: str) -> list[HealthReport]:
    return [r for r in sink if r.kind == kind]


def test_book_updates_conflate_per_symbol_while_the_strategy_lags() -> None:
    strat = Recorder()
    eng = StrategyEngine(strat, SinkExecutor(), clock=ManualClock())
    for v in range(1, 101):
        eng.feed_market(book(v, bid=100.0 + v))
    eng.feed_market(book(7, sym="ETH_USDT"))
    assert eng.backlog == 2
    assert eng.process_pending() == 2
    assert [b.version for b in strat.books if b.symbol == "BTC_USDT"] == [100]
    assert eng.stats.conflated == 99
    # the view was kept fresh on ingest, before the strategy ran
    top = eng.view.top("BTC_USDT")
    assert top is not None
    assert top.bid == 200.0
    assert top.version == 100


def test_other_market_events_are_bounded_and_the_oldest_dropped() -> None:
    strat, got = Recorder(), []
    eng = StrategyEngine(
        strat,
        SinkExecutor(),
        clock=ManualClock(),
        config=EngineConfig(market_queue=10),
        on_report=got.append,
    )
    for i in range(25):
        eng.feed_market(trade(i))
    assert eng.backlog == 10
    assert eng.stats.dropped == 15
    eng.process_pending()
    assert [t.time for t in strat.trades] == list(range(15, 25))
    assert len(reports_of(got, "dropped")) == 1  # rate-limited to one report per cooldown
    assert eng.stats.reports["dropped"] == 15


def test_slow_handler_and_queue_lag_are_reported() -> None:
    clock, got = ManualClock(), []
    strat = Recorder(clock=clock, cost=0.050)
    eng = StrategyEngine(
        strat,
        SinkExecutor(),
        clock=clock,
        config=EngineConfig(handler_budget=0.005, lag_budget=0.080, backlog_warn=3),
        on_report=got.append,
    )
    for i in range(5):
        eng.feed_market(trade(i))
    eng.process_pending()
    slow = reports_of(got, "slow_handler")
    assert slow
    assert "recorder.on_trade took 50.0 ms" in slow[0].detail
    assert eng.stats.slow_calls == 5
    assert reports_of(got, "backlog")  # 5 waiting > 3
    lag = reports_of(got, "lag")  # the 3rd trade waited 100 ms behind two 50 ms calls
    assert lag
    assert lag[0].value >= 0.080


def test_a_fast_strategy_is_not_reported() -> None:
    got: list[HealthReport] = []
    eng = StrategyEngine(Recorder(), SinkExecutor(), clock=ManualClock(), on_report=got.append)
    for i in range(50):
        eng.feed_market(trade(i))
        eng.process_pending()
    assert got == []
    assert eng.stats.slow_calls == 0


async def test_account_events_first_and_duplicates_not_redelivered() -> None:
    strat = Recorder()
    seen: list[object] = []
    eng = StrategyEngine(strat, SinkExecutor(), clock=ManualClock(), account_sinks=[seen.append])
    eng.feed_market(trade(1))
    await eng.feed_account(fill("f1"))
    await eng.feed_account(fill("f1"))
    eng.process_pending(limit=1)
    assert [f.fill_id for f in strat.fills] == ["f1"]
    assert strat.trades == []
    assert eng.stats.duplicates == 1
    assert len(seen) == 2
    assert eng.account.fill_count == 1


async def test_kill_switch_stops_orders_but_lets_cancels_through() -> None:
    strat = Recorder(quote=True)
    eng = StrategyEngine(strat, SinkExecutor(), clock=ManualClock())
    eng.feed_market(book(1))
    eng.process_pending()
    assert eng.pending_intents == 1
    await eng.feed_account(KillSwitchTripped(reason="404 storm"))
    assert eng.halted
    assert eng.pending_intents == 0
    eng.feed_market(book(2))
    eng.process_pending()
    eng.emit([CancelAll(symbol="BTC_USDT")])
    assert strat.kills == 1
    assert eng.pending_intents == 1  # only the cancel
    assert eng.stats.intents_blocked == 2
    assert eng.view.halted


async def test_full_intent_queue_rejects_and_reports() -> None:
    got: list[HealthReport] = []
    eng = StrategyEngine(
        Recorder(quote=True),
        SinkExecutor(),
        clock=ManualClock(),
        config=EngineConfig(intent_queue=2),
        on_report=got.append,
    )
    for v in range(3):
        eng.feed_market(book(v, sym=f"S{v}_USDT"))
    eng.process_pending()
    assert eng.pending_intents == 2
    assert eng.stats.intents_rejected == 1
    assert reports_of(got, "intent_queue_full")


async def test_a_slow_rest_call_never_delays_market_data() -> None:
    gate = asyncio.Event()
    executor = SinkExecutor(gate=gate)
    strat = Recorder(quote=True)
    strat.want_trades = 20
    eng = StrategyEngine(strat, executor, clock=ManualClock())

    async def market():  # type: ignore[no-untyped-def]
        for v in range(1, 4):
            yield book(v)
            await asyncio.sleep(0)
        await executor.entered.wait()  # the first submit is now stuck in "REST"
        for i in range(20):
            yield trade(i)
            await asyncio.sleep(0)

    runner = asyncio.create_task(eng.run(market()))
    await asyncio.wait_for(strat.trades_seen.wait(), 5)
    assert executor.sent == []  # REST still blocked, yet every trade reached the strategy
    gate.set()
    eng.stop()
    await asyncio.wait_for(runner, 5)
    placed = [i for i in executor.sent if isinstance(i, PlaceOrder)]
    assert placed
    assert isinstance(executor.sent[-1], CancelAll)


async def test_executor_kill_error_halts_the_engine() -> None:
    class Refusing:
        async def submit(self, intent: Intent) -> object:
            raise KillSwitchActive("tripped")

    halted = asyncio.Event()

    def on_report(r: HealthReport) -> None:
        if r.kind == "halted":
            halted.set()

    eng = StrategyEngine(Recorder(quote=True), Refusing(), clock=ManualClock(), on_report=on_report)
    eng.feed_market(book(1))
    task = asyncio.create_task(eng.run(duration=None))
    await asyncio.wait_for(halted.wait(), 5)
    eng.stop()
    await asyncio.wait_for(task, 5)
    assert eng.stats.intents_failed >= 1
    assert eng.stats.reports.get("halted") == 1


def test_handler_exception_is_counted_not_fatal() -> None:
    class Broken(Strategy):
        def on_trade(self, event: Trade, view: StrategyView) -> Intents:
            raise ValueError("bug")

    got: list[HealthReport] = []
    eng = StrategyEngine(Broken(), SinkExecutor(), clock=ManualClock(), on_report=got.append)
    eng.feed_market(trade(1))
    eng.feed_market(trade(2))
    assert eng.process_pending() == 2
    assert eng.stats.handler_errors == 2
    assert "ValueError: bug" in got[0].detail


def test_open_orders_in_view_follow_order_updates() -> None:
    eng = StrategyEngine(Recorder(), SinkExecutor(), clock=ManualClock())

    def upd(state: int, version: int) -> OrderUpdate:
        return order_row(state, 0, version)

    async def go() -> None:
        await eng.feed_account(upd(2, 1))
        assert [o.order_id for o in eng.view.open_orders("BTC_USDT")] == ["o1"]
        await eng.feed_account(upd(4, 2))
        await eng.feed_account(upd(2, 1))  # stale row after the final state
        assert eng.view.open_orders() == []

    asyncio.run(go())
    assert eng.account.final_count(4) == 1


async def test_tick_to_order_runs_from_the_newest_arrival_to_the_submit_hand_off() -> None:
    clock = ManualClock()
    seen: list[tuple[Intent, float]] = []
    strat = Recorder(clock=clock, cost=0.002, quote=True)  # the handler burns 2 ms
    eng = StrategyEngine(
        strat,
        SinkExecutor(),
        clock=clock,
        on_submit=lambda i, s: seen.append((i, s)),
    )
    eng.feed_market(book(1))
    clock.advance(0.010)
    eng.feed_market(book(2))  # conflated: the strategy sees v2, which arrived 10 ms later
    clock.advance(0.003)
    eng.process_pending()
    assert [b.version for b in strat.books] == [2]
    assert eng.stats.conflated == 1
    clock.advance(0.004)  # the intent waits 4 ms in the queue
    intent, origin = eng._intents.get_nowait()
    await eng._send(intent, origin)
    assert len(seen) == 1
    assert isinstance(seen[0][0], PlaceOrder)
    # 3 ms before dispatch + 2 ms in the handler + 4 ms queued; not the 10 ms of the older v1
    assert abs(seen[0][1] - 0.009) < 1e-9
    assert abs(eng.stats.max_tick_to_submit_s - 0.009) < 1e-9
    assert list(eng.tick_to_submit_ms) == [seen[0][1] * 1000]


async def test_timer_intents_count_from_the_call_and_stop_ignores_late_market_data() -> None:
    clock = ManualClock()
    seen: list[float] = []

    class Timed(Recorder):
        def on_timer(self, now_ms: int, view: StrategyView) -> Intents:
            clock.advance(0.001)
            return [CancelAll(symbol="BTC_USDT")]

    eng = StrategyEngine(
        Timed(), SinkExecutor(), clock=clock, on_submit=lambda _i, s: seen.append(s)
    )
    eng.request_timer()
    eng.process_pending()
    intent, origin = eng._intents.get_nowait()
    await eng._send(intent, origin)
    assert seen
    assert abs(seen[0] - 0.001) < 1e-9
    eng._stopping = True
    eng.feed_market(trade(1))
    assert eng.stats.market_in == 0
    assert eng.backlog == 0


def test_an_order_is_settled_only_when_ended_with_every_fill_seen() -> None:
    from mexc_futures.strategy.account import AccountState

    acct = AccountState()
    upd = order_row
    assert not acct.settled("o1")
    acct.apply(upd(2, 0, 1))
    assert not acct.settled("o1")
    acct.apply(upd(3, 1, 2))  # filled, but its fill push has not arrived yet
    assert not acct.settled("o1")
    acct.apply(fill("f1"))
    assert acct.settled("o1")
