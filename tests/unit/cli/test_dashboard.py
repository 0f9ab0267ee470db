"""The cockpit screen is a pure function of its state and size: render known states, read back."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from mexc_futures.cli.dashboard import (
    DashboardState,
    FillRow,
    OrderRow,
    TapeRow,
    chart,
    render_text,
    sparkline,
)


def state(**kw: object) -> DashboardState:
    base: dict[str, object] = {
        "symbol": "BTC_USDT",
        "bids": [(100.1, 12), (100.0, 30), (99.9, 7)],
        "asks": [(100.3, 5), (100.4, 9)],
        "our_bids": {100.0: Decimal(2)},
        "our_asks": {100.4: Decimal(1)},
        "trades": [TapeRow(3_600_000 + 61_000, 100.3, 4, "buy"), TapeRow(1000, 100.1, 2, "sell")],
        "position": Decimal(3),
        "entry_price": Decimal("100.0667"),
        "realised": Decimal("1.25"),
        "unrealised": Decimal("-0.5"),
        "mark_price": 100.2,
        "liq_price": Decimal("91.3"),
        "margin": Decimal("30.0"),
        "leverage": 10,
        "equity": Decimal("10001.25"),
        "available": Decimal("9971.25"),
        "funding": "+0.0100%",
        "pnl_history": [0.0, 0.5, 1.0, 0.75],
        "pnl_span_s": 60.0,
        "latency_ms": {"place": 1.5},
        "tick_to_order_ms": {"place": 0.42},
        "connection": "open",
        "book_synced": True,
        "book_version": 4242,
        "placed": 10,
        "filled": 4,
        "cancelled": 5,
        "mode": "PAPER",
        "strategy": "market_maker size=2",
        "account": "mx0v…EY01",
        "endpoint": "http://127.0.0.1:8000",
        "open_orders": [
            OrderRow("open long", "100.0", "2", "0", "739000000000000042", "post-only")
        ],
        "fills": [FillRow(3_600_000, "open short", "1", "100.3", "maker", "+0.0060")],
        "activity": ["01:00:00.000 FILL   BTC_USDT open short 1 @ 100.3 maker"],
    }
    base.update(kw)
    return DashboardState(**base)  # type: ignore[arg-type]


def lines_with(text: str, needle: str) -> list[str]:
    return [ln for ln in text.splitlines() if needle in ln]


SIZES = [(80, 24), (120, 40), (160, 48), (200, 60)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_screen_fits_the_terminal_and_shows_every_panel(width: int, height: int) -> None:
    """ux-audit finding 5: at 80x24 the PnL and health panels were cut off."""
    text = render_text(state(), width=width, height=height)
    lines = text.splitlines()
    assert len(lines) <= height
    assert all(len(ln) <= width for ln in lines)
    for needle in (
        "PAPER",
        "market_maker size=2",
        "mx0v…EY01",
        "BTC_USDT book",
        "◀ ours 2",
        "Position",
        "+3 contracts @ 100.1",
        "liq 91.3",
        "10x",
        "uPnL",
        "-0.5000",
        "Funding",
        "+0.0100%",
        "Balance",
        "10,001.25",
        "Kill switch",
        "OK (armed)",
        "Trading",
        "Tick→order",
        "place 0.42 ms",
        "REST RTT",
        "open long",
        "#000042",
        "open short 1 @ 100.3",
    ):
        assert needle in text, f"{needle!r} missing at {width}x{height}\n{text}"


def test_large_screen_adds_tape_chart_with_axes_and_activity() -> None:
    text = render_text(state(), width=160, height=48)
    assert "recent trades" in text
    assert re.search(r"01:01:01\s+100\.3\s+4\s+buy", text)
    assert "PnL chart (total, USDT)" in text
    assert "+1.00 ┤" in text
    assert "+0.00 ┤" in text
    assert "-60 s" in text
    assert "now" in text
    assert "activity" in text
    assert "FILL   BTC_USDT open short" in text


def test_more_room_shows_more_book_levels() -> None:
    many = state(
        bids=[(100.0 - i / 10, 1) for i in range(30)],
        asks=[(100.1 + i / 10, 1) for i in range(30)],
    )
    small = len(lines_with(render_text(many, width=80, height=24), "bid "))
    big = len(lines_with(render_text(many, width=160, height=48), "bid "))
    assert 3 <= small < big


def test_ladder_shows_asks_above_bids_and_marks_our_own_size() -> None:
    text = render_text(state(), width=80, height=24)
    ladder = [ln.split("││")[0] for ln in text.splitlines() if re.search(r"│ (ask|bid) ", ln)]
    prices = [re.findall(r"\d+\.\d", ln)[0] for ln in ladder]
    assert prices == ["100.4", "100.3", "100.1", "100.0", "99.9"]
    assert "spread 0.2" in text
    ours = lines_with(text, "◀ ours")
    assert len(ours) == 2
    assert any("100.0" in ln and "bid" in ln and "◀ ours 2" in ln for ln in ours)
    assert any("100.4" in ln and "ask" in ln and "◀ ours 1" in ln for ln in ours)


def test_health_shows_connection_sync_and_kill_switch() -> None:
    text = render_text(state())
    assert "synced v4242" in text
    assert "OK (armed)" in text
    bad = render_text(state(book_synced=False, kill_switch="404 storm", connection="backoff"))
    assert "RESYNCING" in bad
    assert "KILL SWITCH TRIPPED: 404 storm" in bad
    assert "backoff" in bad
    off = render_text(state(trading_off="BTC_USDT: apiAllowed=false"))
    assert "TRADING OFF: BTC_USDT: apiAllowed=false" in off
    err = render_text(state(errors=3, strategy_status="warming up 3/100 trades"))
    assert "3 strategy error(s)" in err
    assert "warming up 3/100 trades" in err


def test_live_banner_and_empty_state() -> None:
    assert " LIVE " in render_text(state(mode="LIVE"))
    text = render_text(DashboardState(symbol="ETH_USDT"), width=80, height=24)
    assert "ETH_USDT book" in text
    assert "spread -" in text
    assert "connecting" in text
    assert "no open orders" in text
    assert "no fills yet" in text


def test_numbers_never_print_minus_zero_or_scientific() -> None:
    text = render_text(
        state(
            unrealised=Decimal("-0.00001"),
            realised=Decimal(0),
            price_decimals=8,
            bids=[(0.0000095, 1)],
            asks=[(0.0000096, 1)],
            our_bids={},
            our_asks={},
        )
    )
    assert "-0.0000" not in text
    assert "e-06" not in text
    assert "0.00000950" in text


def test_watch_mode_shows_ticker_and_no_account() -> None:
    text = render_text(
        state(show_account=False, mode="WATCH", ticker_line="last 100.3  24h +1.20%")
    )
    assert "BTC_USDT  last 100.3  24h +1.20%" in text
    assert "uPnL" not in text
    assert "Trading" not in text
    assert "synced v4242" in text


def test_sparkline_and_chart_scale() -> None:
    assert sparkline([]) == ""
    assert sparkline([1, 1, 1]) == "▄▄▄"
    assert sparkline([0, 7]) == "▁█"
    assert len(sparkline(list(range(100)), width=10)) == 10
    rows = chart([0.0, 1.0, 2.0], width=30, height=4, unit="USDT", span_s=30)
    assert len(rows) == 6
    assert rows[0].strip().startswith("+2.00 ┤")
    assert rows[3].strip().startswith("+0.00 ┤")
    assert rows[-1].strip().startswith("USDT  -30 s")
    assert rows[-1].rstrip().endswith("now")
    assert "└" in rows[-2]
    text = render_text(state(), width=80, height=24)
    assert "+0.00..+1.00 USDT" in text  # the compact chart states its scale
