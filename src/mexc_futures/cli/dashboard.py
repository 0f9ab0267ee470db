"""The demo's terminal dashboard: a pure function from a snapshot state to a rich renderable.

``render(state)`` draws, from a :class:`DashboardState` and nothing else:

* the order-book ladder (asks above, bids below) with our resting orders marked ``◀ ours``;
* the recent public trades tape;
* our position, realised and unrealised PnL with a sparkline of total PnL over time;
* latency figures — tick-to-order (event arrival to order request written) and REST round trips
  — connection and book-sync health, whether trading is on (and why not), the kill-switch
  state, order counters.

Nothing here reads a clock, a socket or a global: the demo builds a new state on each refresh and
tests render a hand-made state into a recording console (``render_text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class TapeRow:
    """One public trade on the tape (``side`` is ``"buy"`` or ``"sell"``, ``time_ms`` venue ms)."""

    time_ms: int
    price: float
    vol: float
    side: str


@dataclass(frozen=True)
class DashboardState:
    """Everything the dashboard shows, as plain values."""

    symbol: str
    bids: Sequence[tuple[float, float]] = ()  # best first
    asks: Sequence[tuple[float, float]] = ()  # best first
    our_bids: frozenset[float] = frozenset()
    our_asks: frozenset[float] = frozenset()
    trades: Sequence[TapeRow] = ()  # newest first
    position: Decimal = Decimal(0)  # net contracts, long positive
    entry_price: Decimal | None = None
    realised: Decimal = Decimal(0)
    unrealised: Decimal = Decimal(0)
    pnl_history: Sequence[float] = ()
    latency_ms: dict[str, float] = field(default_factory=dict)  # REST round trip p50 per kind
    tick_to_order_ms: dict[str, float] = field(default_factory=dict)  # p50 per intent kind
    trading_off: str | None = None  # why new orders cannot go out (None: trading is on)
    connection: str = "connecting"
    book_synced: bool = False
    book_version: int = 0
    kill_switch: str | None = None  # reason when tripped
    placed: int = 0
    filled: int = 0
    cancelled: int = 0
    elapsed_s: float = 0.0
    duration_s: float | None = None
    price_decimals: int = 1
    warnings: Sequence[str] = ()
    ticker_line: str | None = None  # e.g. "last 100.2  24h +1.2%  funding +0.0100%"
    show_account: bool = True  # False for `watch` (no account): no PnL panel


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


def _money(x: Decimal | float) -> str:
    text = f"{float(x):+,.4f}"
    return "+0.0000" if text == "-0.0000" else text


def _ms(values: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.2f} ms" for k, v in values.items()) or "-"


def _ladder(state: DashboardState, rows: int) -> Table:
    fmt = f"{{:,.{state.price_decimals}f}}"
    table = Table(title=f"{state.symbol} book", expand=True, show_edge=False, pad_edge=False)
    table.add_column("side", width=4)
    table.add_column("price", justify="right")
    table.add_column("size", justify="right")
    table.add_column("", width=7)
    for price, vol in reversed(list(state.asks)[:rows]):
        mark = "◀ ours" if price in state.our_asks else ""
        table.add_row("ask", Text(fmt.format(price), style="red"), f"{vol:,.0f}", mark)
    bid = state.bids[0][0] if state.bids else None
    ask = state.asks[0][0] if state.asks else None
    spread = fmt.format(ask - bid) if bid is not None and ask is not None else "-"
    table.add_row("", Text(f"spread {spread}", style="dim"), "", "")
    for price, vol in list(state.bids)[:rows]:
        mark = "◀ ours" if price in state.our_bids else ""
        table.add_row("bid", Text(fmt.format(price), style="green"), f"{vol:,.0f}", mark)
    return table


def _tape(state: DashboardState, rows: int) -> Table:
    fmt = f"{{:,.{state.price_decimals}f}}"
    table = Table(title="trades", expand=True, show_edge=False, pad_edge=False)
    table.add_column("time", justify="right")
    table.add_column("price", justify="right")
    table.add_column("size", justify="right")
    table.add_column("side")
    for row in list(state.trades)[:rows]:
        secs = (row.time_ms // 1000) % 86400
        clock = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        style = "green" if row.side == "buy" else "red"
        table.add_row(clock, Text(fmt.format(row.price), style=style), f"{row.vol:,.0f}", row.side)
    return table


def _account(state: DashboardState) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    entry = "-" if state.entry_price is None else f"{state.entry_price}"
    table.add_row("Position", f"{state.position:+} contracts @ {entry}")
    table.add_row("Realised PnL", _money(state.realised))
    table.add_row("Unrealised PnL", _money(state.unrealised))
    table.add_row("Total PnL", _money(state.realised + state.unrealised))
    table.add_row("PnL chart", Text(sparkline(state.pnl_history) or "-", style="cyan"))
    table.add_row(
        "Orders", f"placed {state.placed}  filled {state.filled}  cancelled {state.cancelled}"
    )
    return table


def _health(state: DashboardState) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    conn_style = "green" if state.connection == "open" else "yellow"
    table.add_row("Connection", Text(state.connection, style=conn_style))
    sync = "synced" if state.book_synced else "RESYNCING"
    table.add_row(
        "Book", Text(f"{sync} v{state.book_version}", style="green" if state.book_synced else "red")
    )
    kill = "OK (armed)" if state.kill_switch is None else f"TRIPPED: {state.kill_switch}"
    table.add_row("Kill switch", Text(kill, style="green" if state.kill_switch is None else "red"))
    if state.show_account:
        off = state.trading_off
        table.add_row(
            "Trading", Text("on" if off is None else f"OFF: {off}", style="red" if off else "green")
        )
        table.add_row("Latency", f"tick→order p50: {_ms(state.tick_to_order_ms)}")
        table.add_row("", f"REST RTT p50: {_ms(state.latency_ms)}")
    if state.duration_s is not None:
        left = max(0.0, state.duration_s - state.elapsed_s)
        table.add_row("Time", f"{state.elapsed_s:.0f} s elapsed, {left:.0f} s left")
    for w in list(state.warnings)[-3:]:
        table.add_row("Warning", Text(w, style="yellow"))
    return table


def render(state: DashboardState, *, depth_rows: int = 8, tape_rows: int = 12) -> RenderableType:
    """The whole dashboard for ``state`` (a pure function)."""
    top = Table.grid(expand=True)
    top.add_column(ratio=1)
    top.add_column(ratio=1)
    top.add_row(
        Panel(_ladder(state, depth_rows), title="order book"),
        Panel(_tape(state, tape_rows), title="recent trades"),
    )
    bottom = Table.grid(expand=True)
    bottom.add_column(ratio=1)
    bottom.add_column(ratio=1)
    if state.show_account:
        bottom.add_row(Panel(_account(state), title="PnL"), Panel(_health(state), title="health"))
    else:
        bottom.add_row(Panel(_health(state), title="health"), Text(""))
    parts: list[RenderableType] = []
    if state.ticker_line:
        parts.append(Text(f"{state.symbol}  {state.ticker_line}", style="bold"))
    return Group(*parts, top, bottom)


def render_text(state: DashboardState, *, width: int = 120) -> str:
    """``render(state)`` as plain text (for tests and logs)."""
    console = Console(width=width, color_system=None, force_terminal=False)
    with console.capture() as captured:
        console.print(render(state))
    return captured.get()


__all__ = ["DashboardState", "TapeRow", "render", "render_text", "sparkline"]
