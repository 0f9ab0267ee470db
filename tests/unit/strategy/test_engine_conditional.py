"""StrategyEngine with the intents of issue #15: a halted engine still sends cancels of
triggers/stops and close-all; a batch's orders count as ours for the shutdown settlement."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from mexc_futures.model.events import KillSwitchTripped
from mexc_futures.model.intents import Intent, PlaceBatch, TradeSide
from mexc_futures.strategy.api import (
    Strategy,
    cancel_conditional,
    close_all,
    post_only,
    protect,
)
from mexc_futures.strategy.engine import StrategyEngine
from mexc_futures.testing.clock import ManualClock


class BatchExecutor:
    """Answers a batch with two placed orders."""

    def __init__(self) -> None:
        self.sent: list[Intent] = []

    async def submit(self, intent: Intent) -> object:
        self.sent.append(intent)
        if isinstance(intent, PlaceBatch):
            return [SimpleNamespace(order_id="11"), SimpleNamespace(order_id="12")]
        return None


async def test_halted_engine_sends_only_what_reduces() -> None:
    eng = StrategyEngine(Strategy(), BatchExecutor(), clock=ManualClock())
    await eng.feed_account(KillSwitchTripped(reason="test"))
    eng.emit([protect("BTC_USDT", 1, stop_loss=1)])
    eng.emit([cancel_conditional("stop", "BTC_USDT", "7"), close_all()])
    assert eng.pending_intents == 2
    assert eng.stats.intents_blocked == 1


async def test_a_batch_counts_each_order_as_ours() -> None:
    ex = BatchExecutor()
    eng = StrategyEngine(Strategy(), ex, clock=ManualClock())
    order = post_only("BTC_USDT", TradeSide.OPEN_LONG, 1, Decimal(100))
    await eng._send(PlaceBatch(orders=(order, order)), 0.0)
    assert eng._submitted == {"11", "12"}
