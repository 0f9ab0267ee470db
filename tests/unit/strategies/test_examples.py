"""The example strategies decide as documented (pure: events + a view in, intents out)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from mexc_futures.model.events import BookUpdate, PositionSide, PositionUpdate, Side, Trade
from mexc_futures.model.intents import CancelOrder, ClosePosition, PlaceOrder, TradeSide
from mexc_futures.strategy.account import AccountState
from mexc_futures.strategy.api import StrategyView, TopOfBook
from mexc_futures.strategy.loader import build_strategy, load_strategy_class
from mexc_futures.testing.clock import ManualClock

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def view(account: AccountState, tops: dict[str, TopOfBook], clock: ManualClock) -> StrategyView:
    return StrategyView(now_ms=clock.time_ms, account=account, tops=tops)


def long_position(vol: int) -> PositionUpdate:
    return PositionUpdate(
        position_id=1,
        symbol="BTC_USDT",
        position_type=PositionSide.LONG,
        open_type=1,
        state=1,
        hold_vol=Decimal(vol),
        hold_avg_price=Decimal(100),
        open_avg_price=Decimal(100),
        liquidate_price=Decimal(50),
        realised=Decimal(0),
        leverage=10,
    )


def test_market_maker_quotes_both_sides_and_skews_with_inventory() -> None:
    cls = load_strategy_class(EXAMPLES / "market_maker.py")
    mm = build_strategy(cls, ["BTC_USDT"], {"skew_ticks": "2", "max_position": "3"})
    clock, acct = ManualClock(), AccountState()
    tops = {"BTC_USDT": TopOfBook("BTC_USDT", 100.0, 100.2, 1)}
    v = view(acct, tops, clock)
    out = mm.on_book(BookUpdate(symbol="BTC_USDT", version=1, best_bid=100.0, best_ask=100.2), v)
    placed = [i for i in out or () if isinstance(i, PlaceOrder)]
    assert {(p.side, p.price) for p in placed} == {
        (TradeSide.OPEN_LONG, Decimal("100.0")),
        (TradeSide.OPEN_SHORT, Decimal("100.2")),
    }
    acct.apply(long_position(2))  # long 2: fair moves 2*2 ticks down; the ask closes the long
    bid, ask = mm.targets(v, "BTC_USDT")  # type: ignore[attr-defined]
    assert bid is not None
    assert bid < 100.0
    assert ask == 100.2
    clock.advance(10)
    out = mm.quote(v, "BTC_USDT")  # type: ignore[attr-defined]
    sides = {p.side for p in out if isinstance(p, PlaceOrder)}
    assert TradeSide.CLOSE_LONG in sides
    acct.apply(long_position(3))  # at max_position: no more bids
    assert mm.targets(v, "BTC_USDT")[0] is None  # type: ignore[attr-defined]


def test_market_maker_cancels_a_stale_quote_at_most_once_per_interval() -> None:
    from mexc_futures.model.events import OrderUpdate

    cls = load_strategy_class(EXAMPLES / "market_maker.py")
    mm = build_strategy(cls, ["BTC_USDT"], {"requote_ms": "1000"})
    clock, acct = ManualClock(), AccountState()
    acct.apply(
        OrderUpdate(
            order_id="o1",
            external_oid="x",
            symbol="BTC_USDT",
            side=1,
            order_type=2,
            price=Decimal("99.0"),
            vol=Decimal(1),
            deal_vol=Decimal(0),
            deal_avg_price=Decimal(0),
            state=2,
            version=1,
        )
    )
    tops = {"BTC_USDT": TopOfBook("BTC_USDT", 100.0, 100.2, 1)}
    v = view(acct, tops, clock)
    first = mm.quote(v, "BTC_USDT")  # type: ignore[attr-defined]
    assert [i.order_id for i in first if isinstance(i, CancelOrder)] == ["o1"]
    again = mm.quote(v, "BTC_USDT")  # type: ignore[attr-defined]
    assert not [i for i in again if isinstance(i, CancelOrder)]


def test_breakout_enters_on_a_new_high_and_exits_on_the_short_channel() -> None:
    cls = load_strategy_class(EXAMPLES / "breakout.py")
    bo = build_strategy(
        cls, ["BTC_USDT"], {"lookback": "5", "exit_lookback": "3", "cooldown_ms": "0"}
    )
    clock, acct = ManualClock(), AccountState()
    v = view(acct, {}, clock)

    def trade(p: float) -> list[object]:
        t = Trade(
            symbol="BTC_USDT", price=p, vol=1, side=Side.BUY, open_flag=1, self_trade=False, time=0
        )
        return list(bo.on_trade(t, v) or ())

    for p in (100, 101, 100, 99, 100):
        assert trade(p) == []
    entry = trade(102)
    assert len(entry) == 1
    assert isinstance(entry[0], PlaceOrder)
    assert entry[0].side == TradeSide.OPEN_LONG
    acct.apply(long_position(1))
    assert trade(101.5) == []
    exit_ = trade(98)
    assert exit_ == [ClosePosition(symbol="BTC_USDT", position_side=1, label="breakout")]


def test_funding_monitor_alerts_once_per_crossing() -> None:
    from mexc_futures.model.events import FundingRate

    cls = load_strategy_class(EXAMPLES / "funding_monitor.py")
    fm = build_strategy(cls, ["BTC_USDT"], {"threshold": "0.001"})
    v = view(AccountState(), {}, ManualClock())
    for rate in (0.0001, 0.002, 0.003, 0.0002, -0.005):
        assert fm.on_funding(FundingRate(symbol="BTC_USDT", rate=rate), v) is None
    assert len(fm.alerts) == 2  # type: ignore[attr-defined]
    assert "shorts pay longs" in fm.alerts[1]  # type: ignore[attr-defined]


def test_examples_re_export_the_strategies_installed_with_the_package() -> None:
    import pytest

    from mexc_futures.errors import ConfigError
    from mexc_futures.strategies import BUILTIN
    from mexc_futures.strategy.loader import load_strategy

    for name in BUILTIN:
        from_file = load_strategy_class(EXAMPLES / f"{name}.py")
        by_name = load_strategy(name)
        assert from_file is by_name
        assert by_name.__module__ == f"mexc_futures.strategies.{name}"
        assert load_strategy(str(EXAMPLES / f"{name}.py")) is by_name
    assert load_strategy("funding-monitor") is load_strategy("funding_monitor")
    assert load_strategy("mexc_futures.strategies.breakout").__name__ == "Breakout"
    with pytest.raises(ConfigError, match="market_maker, breakout, funding_monitor"):
        load_strategy("no_such_strategy")
