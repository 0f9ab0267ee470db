"""Builds ``DashboardState`` snapshots from the event streams (the demo and ``watch`` share it).

``ViewModel`` folds market events (book tops and depth via a reader, public trades, connection
state, resyncs) and reads the account from a ``StrategyView``-like source; ``snapshot()`` returns an
immutable :class:`~mexc_futures.cli.dashboard.DashboardState` for ``dashboard.render``. It keeps a
bounded PnL history (one point per ``sample`` call) for the sparkline, and latency samples:
names starting ``tick→`` are tick-to-order times (event arrival to order request written), the
others REST round trips (``StrategySession`` reports both). ``trading`` (optional) says why
trading is off (``StrategySession.trading_off``).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal

from mexc_futures.cli.dashboard import DashboardState, TapeRow
from mexc_futures.model.events import (
    BookResync,
    BookUpdate,
    ConnectionState,
    Event,
    Side,
    Ticker,
    Trade,
)
from mexc_futures.strategy.account import AccountState

Level = tuple[float, float]
DepthFn = Callable[[str, int], tuple[Sequence[Level], Sequence[Level]]]


class ViewModel:
    """Mutable model behind the dashboard for one symbol."""

    def __init__(
        self,
        symbol: str,
        *,
        depth: DepthFn | None = None,
        account: AccountState | None = None,
        duration_s: float | None = None,
        price_decimals: int = 1,
        tape: int = 30,
        history: int = 120,
    ) -> None:
        self.symbol = symbol
        self.depth = depth
        self.account = account
        self.duration_s = duration_s
        self.price_decimals = price_decimals
        self.trades: deque[TapeRow] = deque(maxlen=tape)
        self.pnl_history: deque[float] = deque(maxlen=history)
        self.latencies: dict[str, deque[float]] = {}
        self.connection = "connecting"
        self.synced = False
        self.version = 0
        self.bid: float | None = None
        self.ask: float | None = None
        self.last: float | None = None
        self.ticker: Ticker | None = None
        self.kill_reason: str | None = None
        self.warnings: deque[str] = deque(maxlen=3)
        self.placed = 0
        self.trading: Callable[[], str | None] | None = None

    def on_event(self, event: Event) -> None:
        """Fold one market event."""
        match event:
            case BookUpdate(symbol=s) if s == self.symbol:
                self.synced, self.version = True, event.version
                self.bid, self.ask = event.best_bid, event.best_ask
                if self.connection == "connecting":
                    self.connection = "open"
            case BookResync(symbol=s) if s == self.symbol:
                self.synced = False
            case Trade(symbol=s) if s == self.symbol:
                side = "buy" if event.side == Side.BUY else "sell"
                self.trades.appendleft(TapeRow(event.time, event.price, event.vol, side))
                self.last = event.price
            case Ticker(symbol=s) if s == self.symbol:
                self.ticker = event
                self.last = event.last_price
            case ConnectionState():
                self.connection = event.state
            case _:
                pass

    def note_latency(self, name: str, ms: float) -> None:
        """Record one latency sample (the dashboard shows the median of the last 100)."""
        self.latencies.setdefault(name, deque(maxlen=100)).append(ms)

    def medians(self, tick: bool) -> dict[str, float]:
        """Median per kind of the tick-to-order (``tick``) or the round-trip samples."""
        return {
            k.removeprefix("tick→"): statistics.median(v)
            for k, v in self.latencies.items()
            if v and k.startswith("tick→") == tick
        }

    def latency_summary(self) -> str:
        """``tick→order p50 place 0.41 ms ...; REST round trip p50 place 1.80 ms ...``."""
        parts = []
        for tick, title in ((True, "tick→order p50"), (False, "REST round trip p50")):
            vals = self.medians(tick)
            if vals:
                parts.append(f"{title} " + ", ".join(f"{k} {v:.2f} ms" for k, v in vals.items()))
        return "; ".join(parts)

    def legs(self) -> list[str]:
        """``["long 2", "short 1"]``: each held side of the symbol (hedge mode holds both)."""
        if self.account is None:
            return []
        return [
            f"{'long' if p.position_type == 1 else 'short'} {p.hold_vol}"
            for p in self.account.positions(self.symbol)
            if p.hold_vol
        ]

    def warn(self, text: str) -> None:
        """Show a warning line (the newest three are kept)."""
        self.warnings.append(text)

    def mark_price(self) -> float | None:
        """Mid of the book, else the last trade."""
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return self.last

    contract_size: Decimal = Decimal(1)

    def position(self) -> tuple[Decimal, Decimal | None, Decimal]:
        """Net contracts, average entry, unrealised PnL at the mark (in quote currency)."""
        if self.account is None:
            return Decimal(0), None, Decimal(0)
        net, entry, unreal = Decimal(0), None, Decimal(0)
        mark = self.mark_price()
        for p in self.account.positions(self.symbol):
            sign = 1 if p.position_type == 1 else -1
            net += sign * p.hold_vol
            entry = p.hold_avg_price
            if mark is not None:
                unreal += (
                    sign
                    * (Decimal(str(mark)) - p.hold_avg_price)
                    * p.hold_vol
                    * (self.contract_size)
                )
        return net, entry, unreal

    def sample(self) -> None:
        """Append the current total PnL to the chart history."""
        _, _, unreal = self.position()
        realised = self.account.realised if self.account is not None else Decimal(0)
        self.pnl_history.append(float(realised + unreal))

    def snapshot(self, elapsed_s: float = 0.0) -> DashboardState:
        """An immutable state for ``dashboard.render``."""
        bids: Sequence[Level] = ()
        asks: Sequence[Level] = ()
        if self.depth is not None:
            bids, asks = self.depth(self.symbol, 8)
        our_bids: set[float] = set()
        our_asks: set[float] = set()
        acct = self.account
        if acct is not None:
            for o in acct.open_orders(self.symbol):
                (our_bids if o.side in (1, 2) else our_asks).add(float(o.price))
        net, entry, unreal = self.position()
        return DashboardState(
            symbol=self.symbol,
            bids=list(bids),
            asks=list(asks),
            our_bids=frozenset(our_bids),
            our_asks=frozenset(our_asks),
            trades=list(self.trades),
            position=net,
            entry_price=entry,
            realised=acct.realised if acct is not None else Decimal(0),
            unrealised=unreal,
            pnl_history=list(self.pnl_history),
            latency_ms=self.medians(tick=False),
            tick_to_order_ms=self.medians(tick=True),
            trading_off=self.trading() if self.trading is not None else None,
            connection=self.connection,
            book_synced=self.synced,
            book_version=self.version,
            kill_switch=self.kill_reason
            or (acct.kill_switch.reason if acct is not None and acct.kill_switch else None),
            placed=max(self.placed, acct.orders_seen() if acct is not None else 0),
            filled=acct.filled_orders() if acct is not None else 0,
            cancelled=acct.final_count(4) if acct is not None else 0,
            elapsed_s=elapsed_s,
            duration_s=self.duration_s,
            price_decimals=self.price_decimals,
            warnings=list(self.warnings),
            ticker_line=self.ticker_line(),
            show_account=acct is not None,
        )

    def ticker_line(self) -> str | None:
        """``last 100.2  24h +1.20%  mark 100.1  funding +0.0100%`` from the latest ticker."""
        t = self.ticker
        if t is None:
            return None
        fmt = f"{{:,.{self.price_decimals}f}}"
        parts = [f"last {fmt.format(t.last_price)}", f"24h {t.rise_fall_rate * 100:+.2f}%"]
        if t.fair_price:
            parts.append(f"mark {fmt.format(t.fair_price)}")
        if t.funding_rate is not None:
            parts.append(f"funding {t.funding_rate * 100:+.4f}%")
        parts.append(f"vol24 {t.volume24:,.0f}")
        return "  ".join(parts)


__all__ = ["ViewModel"]
