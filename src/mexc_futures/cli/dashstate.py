"""What the cockpit screen shows, as plain values: ``DashboardState`` and its rows (tape trades,
our open orders, our fills). ``cli.dashboard`` renders it; ``cli.live_view`` and friends fill it.
Nothing here reads a clock, a socket or a global.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class TapeRow:
    """One public trade on the tape (``side`` is ``"buy"`` or ``"sell"``, ``time_ms`` venue ms)."""

    time_ms: int
    price: float
    vol: float
    side: str


@dataclass(frozen=True)
class OrderRow:
    """One of our open orders, formatted (``side`` e.g. ``open long``)."""

    side: str
    price: str
    vol: str
    filled: str
    order_id: str
    kind: str = ""


@dataclass(frozen=True)
class FillRow:
    """One of our fills, formatted."""

    time_ms: int
    side: str
    vol: str
    price: str
    role: str  # maker / taker
    fee: str


@dataclass(frozen=True)
class DashboardState:
    """Everything the screen shows, as plain values."""

    symbol: str
    bids: Sequence[tuple[float, float]] = ()  # best first
    asks: Sequence[tuple[float, float]] = ()  # best first
    # prices of our resting orders; a mapping also gives our size there
    our_bids: Mapping[float, Decimal] | frozenset[float] = frozenset()
    our_asks: Mapping[float, Decimal] | frozenset[float] = frozenset()
    trades: Sequence[TapeRow] = ()  # newest first
    position: Decimal = Decimal(0)  # net contracts, long positive
    legs: str = ""  # "long 3, short 1" in hedge mode
    entry_price: Decimal | None = None
    realised: Decimal = Decimal(0)
    unrealised: Decimal = Decimal(0)
    fees: Decimal | None = None
    mark_price: float | None = None
    liq_price: Decimal | None = None
    margin: Decimal | None = None
    leverage: int | None = None
    equity: Decimal | None = None
    available: Decimal | None = None
    funding: str | None = None  # "+0.0100%"
    pnl_history: Sequence[float] = ()
    pnl_span_s: float = 0.0  # seconds the PnL history covers
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
    vol_decimals: int = 0
    warnings: Sequence[str] = ()
    ticker_line: str | None = None  # e.g. "last 100.2  24h +1.2%  funding +0.0100%"
    show_account: bool = True  # False for `watch` (no account): no PnL panel
    mode: str = ""  # PAPER / LIVE / EMULATOR / WATCH
    strategy: str = ""  # "market_maker size=2"
    account: str = ""  # masked API key
    endpoint: str = ""
    strategy_status: str | None = None
    errors: int = 0  # strategy errors (exceptions + refused intents)
    open_orders: Sequence[OrderRow] = ()
    fills: Sequence[FillRow] = ()  # newest first
    activity: Sequence[str] = ()  # newest last


__all__ = ["DashboardState", "FillRow", "OrderRow", "TapeRow"]
