"""The cockpit screen of ``run``, ``demo`` and ``watch``: a pure function from a state to a layout.

``render(state, width, height)`` lays out, from a :class:`DashboardState` and nothing else, a
screen that fits the terminal it is given (ux-audit finding 5: the demo was cut off at 80x24):

* a banner line: PAPER / LIVE / EMULATOR / WATCH, the strategy with its parameters, the account
  (masked key) and the endpoint, elapsed and remaining time; then the ticker line (last, 24 h,
  mark, funding);
* the order book with our resting orders marked ``◀ ours N`` (N = our own size at that level, not
  the level's), the spread and mid; as many levels as fit;
* position (net, legs, entry), mark price, unrealised and realised PnL, margin, liquidation price,
  leverage, balance, funding, and a PnL chart with its scale in USDT (a one-line sparkline with
  min/max when space is short; a chart with a labelled y axis and a time axis when it is not);
* our open orders and our recent fills;
* health: connection, book sync, kill switch, trading on/off and why, tick-to-order and REST
  round-trip latency, strategy status and errors;
* with room to spare: the public trades tape and the newest activity-log lines.

Under 120 columns or 34 rows it uses the compact two-by-two arrangement (80x24 shows everything
above except the tape and the activity log); larger terminals get three columns and more book
levels. Lines never wrap (long values are cut with an ellipsis), so the layout height is exact.

Nothing here reads a clock, a socket or a global; tests render a hand-made state with
``render_text(state, width=..., height=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mexc_futures.cli import fmt
from mexc_futures.cli.dashstate import DashboardState, FillRow, OrderRow, TapeRow

SPARK = "▁▂▃▄▅▆▇█"
WIDE, TALL = 120, 34  # below either: compact layout
SHORT_KINDS = {"post-only": "post", "market": "mkt", "market-to-limit": "mtl"}


# ---------------------------------------------------------------- charts


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """A one-line chart of the last ``width`` values (flat series draw at mid height)."""
    vals = list(values)[-width:]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return SPARK[3] * len(vals)
    scale = (len(SPARK) - 1) / (hi - lo)
    return "".join(SPARK[round((v - lo) * scale)] for v in vals)


def chart(
    values: Sequence[float],
    width: int,
    height: int,
    unit: str,
    span_s: float,
    axis: tuple[str, str] | None = None,
) -> list[str]:
    """A column chart with a y axis labelled in ``unit`` and a time axis (``-60 s`` .. ``now``,
    or the ``axis`` labels given).

    ``height`` rows of bars, then the x axis and its labels: ``height + 2`` lines in all.
    """
    label_w = 10
    plot_w = max(4, width - label_w - 2)
    vals = list(values)[-plot_w:]
    lo = min(vals) if vals else 0.0
    hi = max(vals) if vals else 0.0
    if hi == lo:
        lo, hi = lo - 1e-9, hi + 1e-9
    rows: list[str] = []
    for r in range(height - 1, -1, -1):
        cells = []
        for v in vals:
            level = (v - lo) / (hi - lo) * height
            if level >= r + 1:
                cells.append("█")
            elif level > r:
                cells.append(SPARK[min(7, int((level - r) * 8))])
            else:
                cells.append(" ")
        if r == height - 1:
            label = f"{hi:+.2f}"
        elif r == 0:
            label = f"{lo:+.2f}"
        else:
            label = ""
        rows.append(f"{label:>{label_w - 1}} ┤{''.join(cells)}")
    rows.append(" " * (label_w - 1) + " └" + "─" * plot_w)
    left, right = axis or ((f"-{span_s:.0f} s" if span_s else ""), "now")
    rows.append(f"{unit:>{label_w - 1}}  {left} {right:>{max(0, plot_w - len(left) - 1)}}")
    return rows


# ---------------------------------------------------------------- panels


def _ms(values: dict[str, float]) -> str:
    """``place 0.22  cancel 23.2 ms`` (three significant digits are enough to read)."""
    if not values:
        return "-"
    return (
        "  ".join(f"{k} {v:.2f}" if v < 10 else f"{k} {v:.1f}" for k, v in values.items()) + " ms"
    )


def _grid(label_width: int = 8) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, min_width=label_width)
    table.add_column(no_wrap=True, overflow="ellipsis")
    return table


def _ours(ours: Mapping[float, Decimal] | frozenset[float], price: float, vol_dp: int) -> str:
    if price not in ours:
        return ""
    if isinstance(ours, Mapping):
        return f"◀ ours {fmt.vol(ours[price], vol_dp)}"
    return "◀ ours"


def _ladder(state: DashboardState, rows: int) -> Table:
    dp = state.price_decimals
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("side", min_width=4, no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True, min_width=9)
    table.add_column("size", justify="right", no_wrap=True, min_width=5)
    table.add_column("", no_wrap=True, overflow="ellipsis", min_width=6, max_width=11)
    for price, vol in reversed(list(state.asks)[:rows]):
        table.add_row(
            "ask",
            Text(fmt.price(price, dp), style="red"),
            fmt.vol(vol, state.vol_decimals),
            Text(_ours(state.our_asks, price, state.vol_decimals), style="bold yellow"),
        )
    bid = state.bids[0][0] if state.bids else None
    ask = state.asks[0][0] if state.asks else None
    if bid is not None and ask is not None:
        mid = Text(fmt.price((bid + ask) / 2, dp + 1), style="dim")
        gap = Text(f"spread {fmt.price(ask - bid, dp)}", style="dim")
    else:
        mid, gap = Text(""), Text("spread -", style="dim")
    table.add_row("", mid, "", gap)
    for price, vol in list(state.bids)[:rows]:
        table.add_row(
            "bid",
            Text(fmt.price(price, dp), style="green"),
            fmt.vol(vol, state.vol_decimals),
            Text(_ours(state.our_bids, price, state.vol_decimals), style="bold yellow"),
        )
    return table


def _tape(state: DashboardState, rows: int) -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False, box=None)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("side", no_wrap=True)
    for row in list(state.trades)[:rows]:
        style = "green" if row.side == "buy" else "red"
        table.add_row(
            _clock(row.time_ms),
            Text(fmt.price(row.price, state.price_decimals), style=style),
            fmt.vol(row.vol, state.vol_decimals),
            row.side,
        )
    return table


def _clock(time_ms: int) -> str:
    secs = (time_ms // 1000) % 86400
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _pnl_line(state: DashboardState, width: int) -> Text:
    vals = list(state.pnl_history)
    if not vals:
        return Text("-", style="cyan")
    scale = f" {min(vals):+.2f}..{max(vals):+.2f} USDT"
    spark = sparkline(vals, max(4, width - len(scale)))
    return Text(spark, style="cyan") + Text(scale, style="dim")


def _position(state: DashboardState, width: int, chart_rows: int) -> RenderableType:
    dp = state.price_decimals
    t = _grid()
    entry = "" if state.entry_price is None else f" @ {fmt.price(state.entry_price, dp)}"
    held = f"{fmt.vol(state.position, state.vol_decimals, sign=True)} contracts{entry}"
    if state.legs:
        held += f" ({state.legs})"
    t.add_row("Position", held)
    t.add_row(
        "Mark",
        f"{fmt.price(state.mark_price, dp)}  liq {fmt.price(state.liq_price, dp)}"
        + (f"  {state.leverage}x" if state.leverage else ""),
    )
    total = state.realised + state.unrealised
    t.add_row(
        "uPnL",
        Text(fmt.pnl(state.unrealised), style=_sign_style(state.unrealised))
        + Text(f"  total {fmt.pnl(total)} USDT"),
    )
    t.add_row("rPnL", f"{fmt.pnl(state.realised)}  fees {fmt.money(state.fees, 4)}")
    t.add_row("Margin", f"{fmt.money(state.margin, 4)} USDT")
    t.add_row("Balance", f"{fmt.money(state.equity)} eq  {fmt.money(state.available)} free")
    t.add_row("Funding", state.funding or "-")
    t.add_row("Orders", f"{state.placed} sent, {state.filled} filled, {state.cancelled} cxl")
    if chart_rows >= 3 and width >= 30:
        lines = chart(state.pnl_history, width - 4, chart_rows, "USDT", state.pnl_span_s)
        return Group(t, Text("PnL chart (total, USDT)", style="bold"), Text("\n".join(lines)))
    t.add_row("Chart", _pnl_line(state, max(10, width - 11)))
    return t


def _sign_style(x: Decimal) -> str:
    return "green" if x > 0 else "red" if x < 0 else ""


def _lines(rows: list[str], empty: str) -> Text:
    text = Text("\n".join(rows) if rows else empty, no_wrap=True, overflow="ellipsis")
    if not rows:
        text.stylize("dim")
    return text


def _orders(state: DashboardState, rows: int, wide: bool = True) -> Text:
    """Our open orders: side, size (filled/total) @ price, kind (when wide), venue id tail."""
    return _lines(
        [
            f"{o.side:<11} {o.filled}/{o.vol} @ {o.price} "
            + (f"{SHORT_KINDS.get(o.kind, o.kind)} " if wide else "")
            + f"#{o.order_id[-6:]}"
            for o in list(state.open_orders)[:rows]
        ],
        "no open orders",
    )


def _fills(state: DashboardState, rows: int, wide: bool = True) -> Text:
    """Our recent fills, newest first: time, side, size @ price (, maker/taker, fee when wide)."""
    return _lines(
        [
            (
                f"{_clock(f.time_ms)} {f.side:<11} {f.vol} @ {f.price} {f.role} fee {f.fee}"
                if wide
                else f"{_clock(f.time_ms)} {f.side} {f.vol} @ {f.price}"
            )
            for f in list(state.fills)[:rows]
        ],
        "no fills yet",
    )


def _orders_and_fills(state: DashboardState, rows: int) -> RenderableType:
    """Compact: open orders, then recent fills, in ``rows`` lines."""
    n_orders = max(1, min(len(state.open_orders) or 1, rows // 2 - 1))
    n_fills = max(1, rows - n_orders - 3)
    return Group(
        Text("open orders", style="bold"),
        _orders(state, n_orders, wide=False),
        Text("recent fills", style="bold"),
        _fills(state, n_fills, wide=False),
    )


def _health(state: DashboardState) -> Table:
    t = _grid(11)
    conn_style = "green" if state.connection == "open" else "yellow"
    sync = f"synced v{state.book_version}" if state.book_synced else "RESYNCING"
    t.add_row("Connection", Text(state.connection, style=conn_style))
    t.add_row("Book", Text(sync, style="green" if state.book_synced else "red"))
    kill = "OK (armed)" if state.kill_switch is None else f"TRIPPED: {state.kill_switch}"
    t.add_row("Kill switch", Text(kill, style="green" if state.kill_switch is None else "red"))
    if state.show_account:
        off = state.trading_off
        t.add_row(
            "Trading", Text("on" if off is None else f"OFF: {off}", style="red" if off else "green")
        )
        t.add_row("Tick→order", _ms(state.tick_to_order_ms))
        t.add_row("REST RTT", _ms(state.latency_ms))
        if state.strategy_status:
            t.add_row("Strategy", state.strategy_status)
        t.add_row(
            "Errors",
            Text(
                f"{state.errors} strategy error(s)" if state.errors else "none",
                style="red" if state.errors else "green",
            ),
        )
    for w in list(state.warnings)[-2:]:
        t.add_row("Warning", Text(w, style="yellow"))
    return t


def _activity(state: DashboardState, rows: int) -> Text:
    lines = list(state.activity)[-rows:] if rows > 0 else []
    return Text("\n".join(lines) if lines else "no activity yet", no_wrap=True, overflow="ellipsis")


def _banner(state: DashboardState) -> Text:
    style = {"LIVE": "bold white on red", "PAPER": "bold black on yellow"}.get(
        state.mode, "bold black on cyan"
    )
    text = Text(f" {state.mode or 'WATCH'} ", style=style)
    parts = [state.strategy or state.symbol]
    if state.strategy:
        parts[0] += f" on {state.symbol}"
    if state.account:
        parts.append(f"account {state.account}")
    if state.endpoint:
        parts.append(state.endpoint)
    if state.duration_s is not None:
        left = max(0.0, state.duration_s - state.elapsed_s)
        parts.append(f"{state.elapsed_s:.0f} s, {left:.0f} s left")
    elif state.elapsed_s:
        parts.append(f"{state.elapsed_s:.0f} s")
    text.append(" " + " · ".join(parts), style="bold")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _alert(state: DashboardState) -> Text | None:
    """A full-width red line when the kill switch tripped or trading is off (never cut short
    in a narrow panel)."""
    if state.kill_switch is not None:
        text = f"KILL SWITCH TRIPPED: {state.kill_switch}"
    elif state.show_account and state.trading_off is not None:
        text = f"TRADING OFF: {state.trading_off}"
    else:
        return None
    return Text(text, style="bold white on red", no_wrap=True, overflow="ellipsis")


def _panel(body: RenderableType, title: str) -> Panel:
    return Panel(body, title=title, title_align="left", padding=(0, 1))


# ---------------------------------------------------------------- layout


def render(state: DashboardState, width: int = 80, height: int = 24) -> RenderableType:
    """The whole screen for ``state`` at ``width`` x ``height`` (a pure function)."""
    head: list[RenderableType] = [_banner(state)]
    if state.ticker_line:
        ticker = Text(f"{state.symbol}  {state.ticker_line}", no_wrap=True, overflow="ellipsis")
        head.append(ticker)
    alert = _alert(state)
    if alert is not None:
        head.append(alert)
    root = Layout()
    body = Layout()
    root.split_column(Layout(Group(*head), size=len(head)), body)
    avail = max(8, height - len(head))
    if width < WIDE or height < TALL:
        _compact(body, state, width, avail)
    else:
        _large(body, state, width, avail)
    return root


def _compact(body: Layout, state: DashboardState, width: int, avail: int) -> None:
    top_h = max(6, min(avail - 8, (avail * 11) // 20))
    bottom_h = avail - top_h
    levels = max(1, (top_h - 4) // 2)
    top, bottom = Layout(size=top_h), Layout(size=bottom_h)
    body.split_column(top, bottom)
    book = _panel(_ladder(state, levels), f"{state.symbol} book")
    half = width // 2
    if state.show_account:
        top.split_row(Layout(book), Layout(_panel(_position(state, half - 4, 0), "position")))
        bottom.split_row(
            Layout(_panel(_orders_and_fills(state, bottom_h - 2), "orders & fills")),
            Layout(_panel(_health(state), "health")),
        )
    else:
        top.split_row(Layout(book), Layout(_panel(_tape(state, top_h - 3), "recent trades")))
        bottom.update(_panel(_health(state), "health"))


def _large(body: Layout, state: DashboardState, width: int, avail: int) -> None:
    top_h = min(max(14, avail * 11 // 20), 2 * 20 + 4)
    mid_h = max(8, min(12, avail - top_h - 5))
    rest = avail - top_h - mid_h
    levels = max(1, (top_h - 4) // 2)
    top, mid = Layout(size=top_h), Layout(size=mid_h)
    parts = [top, mid] + ([Layout(size=rest)] if rest >= 3 else [])
    body.split_column(*parts)
    book = Layout(_panel(_ladder(state, levels), f"{state.symbol} book"))
    tape = Layout(_panel(_tape(state, top_h - 3), "recent trades"))
    health = Layout(_panel(_health(state), "health"))
    if not state.show_account:
        top.split_row(book, tape)
        mid.update(health)
        if len(parts) == 3:
            parts[2].update(Text(""))
        return
    col = width // 3
    chart_rows = max(0, top_h - 2 - 8 - 3)
    top.split_row(book, tape, Layout(_panel(_position(state, col - 4, chart_rows), "position")))
    mid.split_row(
        Layout(_panel(_orders(state, mid_h - 3), "open orders")),
        Layout(_panel(_fills(state, mid_h - 3), "recent fills")),
        health,
    )
    if len(parts) == 3:
        parts[2].update(_panel(_activity(state, rest - 2), "activity"))


class Screen:
    """A renderable holding the newest state: ``rich.live.Live`` draws it from its own refresh
    thread, so laying out a frame (tens of ms on a large terminal: ``benchmarks/
    bench_dashboard.py``) never holds the event loop that runs the strategy for a whole frame
    (the thread gives the GIL back every switch interval). The loop only swaps ``state``
    (an immutable snapshot), which is atomic."""

    def __init__(self, state: DashboardState) -> None:
        self.state = state

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        size = console.size
        yield render(self.state, size.width, size.height - 1)


def render_text(state: DashboardState, *, width: int = 120, height: int = 40) -> str:
    """``render(state)`` as plain text (for tests and logs)."""
    console = Console(width=width, height=height, color_system=None, force_terminal=False)
    with console.capture() as captured:
        console.print(render(state, width, height))
    return captured.get()


__all__ = [
    "DashboardState",
    "FillRow",
    "OrderRow",
    "Screen",
    "TapeRow",
    "chart",
    "render",
    "render_text",
    "sparkline",
]
