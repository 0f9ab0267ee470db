"""The dashboard is a pure function of its state: render known states, read the text back."""

from __future__ import annotations

import re
from decimal import Decimal

from mexc_futures.cli.dashboard import DashboardState, TapeRow, render_text, sparkline


def state(**kw: object) -> DashboardState:
    base: dict[str, object] = {
        "symbol": "BTC_USDT",
        "bids": [(100.1, 12), (100.0, 30), (99.9, 7)],
        "asks": [(100.3, 5), (100.4, 9)],
        "our_bids": frozenset({100.0}),
        "our_asks": frozenset({100.4}),
        "trades": [TapeRow(3_600_000 + 61_000, 100.3, 4, "buy"), TapeRow(1000, 100.1, 2, "sell")],
        "position": Decimal(3),
        "entry_price": Decimal("100.05"),
        "realised": Decimal("1.25"),
        "unrealised": Decimal("-0.5"),
        "pnl_history": [0.0, 0.5, 1.0, 0.75],
        "latency_ms": {"tick→order p50": 0.42},
        "connection": "open",
        "book_synced": True,
        "book_version": 4242,
        "placed": 10,
        "filled": 4,
        "cancelled": 5,
    }
    base.update(kw)
    return DashboardState(**base)  # type: ignore[arg-type]


def lines_with(text: str, needle: str) -> list[str]:
    return [ln for ln in text.splitlines() if needle in ln]


def test_ladder_shows_asks_above_bids_and_marks_our_orders() -> None:
    text = render_text(state())
    assert text.index("100.4") < text.index("100.3") < text.index("100.1") < text.index("99.9")
    assert "spread 0.2" in text
    ours = lines_with(text, "◀ ours")
    assert len(ours) == 2
    assert any("100.0" in ln and "bid" in ln for ln in ours)
    assert any("100.4" in ln and "ask" in ln for ln in ours)
    assert not any("100.1" in ln and "◀ ours" in ln for ln in lines_with(text, "bid"))


def test_trades_tape_shows_time_price_size_side() -> None:
    text = render_text(state())
    assert "01:01:01" in text
    assert "00:00:01" in text
    assert re.search(r"01:01:01\s*│\s*100\.3\s*│\s*4\s*│\s*buy", text)
    assert re.search(r"00:00:01\s*│\s*100\.1\s*│\s*2\s*│\s*sell", text)


def test_pnl_position_counters_and_chart() -> None:
    text = render_text(state())
    assert "+3 contracts @ 100.05" in text
    assert re.search(r"Realised PnL\s+\+1\.2500", text)
    assert re.search(r"Unrealised PnL\s+-0\.5000", text)
    assert re.search(r"Total PnL\s+\+0\.7500", text)
    assert sparkline([0.0, 0.5, 1.0, 0.75]) in text
    assert "placed 10  filled 4  cancelled 5" in text


def test_health_shows_connection_sync_latency_and_kill_switch() -> None:
    text = render_text(state())
    assert "open" in text
    assert "synced v4242" in text
    assert "OK (armed)" in text
    assert "tick→order p50 0.42 ms" in text
    bad = render_text(state(book_synced=False, kill_switch="404 storm", connection="backoff"))
    assert "RESYNCING" in bad
    assert "TRIPPED: 404 storm" in bad
    assert "backoff" in bad


def test_empty_state_renders() -> None:
    text = render_text(DashboardState(symbol="ETH_USDT"))
    assert "ETH_USDT book" in text
    assert "spread -" in text
    assert "connecting" in text


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([]) == ""
    assert sparkline([1, 1, 1]) == "▄▄▄"
    assert sparkline([0, 7]) == "▁█"
    assert len(sparkline(list(range(100)), width=10)) == 10


def test_watch_mode_shows_ticker_and_no_pnl_panel() -> None:
    text = render_text(state(show_account=False, ticker_line="last 100.3  24h +1.20%"))
    assert "BTC_USDT  last 100.3  24h +1.20%" in text
    assert "Realised PnL" not in text
    assert "◀ ours" in text
    assert "synced v4242" in text


def test_trading_state_tick_to_order_and_round_trips_are_shown() -> None:
    text = render_text(
        state(
            latency_ms={"place": 1.5, "cancel": 0.75},
            tick_to_order_ms={"place": 0.12},
            unrealised=Decimal("-0.00001"),
            realised=Decimal(0),
        ),
        width=160,
    )
    assert re.search(r"Trading\s+on", text)
    assert "tick→order p50: place 0.12 ms" in text
    assert "REST RTT p50: place 1.50 ms  cancel 0.75 ms" in text
    assert re.search(r"Unrealised PnL\s+\+0\.0000", text)  # never "-0.0000"
    off = render_text(state(trading_off="BTC_USDT: apiAllowed=false", show_account=True))
    assert "OFF: BTC_USDT: apiAllowed=false" in off
    watch = render_text(state(show_account=False))
    assert "Trading" not in watch
