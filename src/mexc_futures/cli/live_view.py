"""Builds ``DashboardState`` snapshots from the event streams (the demo and ``watch`` share it).

``ViewModel`` folds market events (book tops and depth via a reader, public trades, connection
state, resyncs) and reads the account from a ``StrategyView``-like source; ``snapshot()`` returns an
immutable :class:`~mexc_futures.dashboard.DashboardState` for ``dashboard.render``. It keeps a
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

from mexc_futures.cli import fmt
from mexc_futures.cli.activity import KINDS, SIDES
from mexc_futures.cli.dashboard import DashboardState, FillRow, OrderRow, TapeRow
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
        self.vol_decimals = 0
        self.depth_levels = 25  # the screen shows as many as fit
        self.pnl_times: deque[float] = deque(maxlen=history)
        self.activity: deque[str] = deque(maxlen=50)
        self.banner: dict[str, str] = {}  # mode, strategy, account, endpoint
        self.errors: Callable[[], int] | None = None
        self.status: Callable[[], str | None] | None = None

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
        """The venue's fair (mark) price from the ticker, else the book's mid, else the last
        trade."""
        if self.ticker is not None and self.ticker.fair_price:
            return self.ticker.fair_price
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

    def sample(self, now: float = 0.0) -> None:
        """Append the current total PnL (at ``now`` seconds) to the chart history."""
        _, _, unreal = self.position()
        realised = self.account.realised if self.account is not None else Decimal(0)
        self.pnl_history.append(float(realised + unreal))
        self.pnl_times.append(now)

    def note_activity(self, line: str) -> None:
        """Keep one activity-log line for the screen (the newest 50)."""
        self.activity.append(line)

    def _orders(self) -> list[OrderRow]:
        acct, dp, vp = self.account, self.price_decimals, self.vol_decimals
        if acct is None:
            return []
        return [
            OrderRow(
                side=SIDES.get(o.side, "?"),
                price=fmt.price(o.price, dp),
                vol=fmt.vol(o.vol, vp),
                filled=fmt.vol(o.deal_vol, vp),
                order_id=o.order_id,
                kind=KINDS.get(o.order_type, ""),
            )
            for o in sorted(acct.open_orders(self.symbol), key=lambda o: -o.price)
        ]

    def _fills(self, n: int = 20) -> list[FillRow]:
        acct, dp, vp = self.account, self.price_decimals, self.vol_decimals
        if acct is None:
            return []
        mine = [f for f in acct.recent_fills() if f.symbol == self.symbol][-n:]
        return [
            FillRow(
                time_ms=f.time,
                side=SIDES.get(f.side, "?"),
                vol=fmt.vol(f.vol, vp),
                price=fmt.price(f.price, dp),
                role="taker" if f.is_taker else "maker",
                fee=fmt.pnl(f.fee),
            )
            for f in reversed(mine)
        ]

    def _risk(self) -> tuple[Decimal | None, Decimal | None, int | None]:
        """Liquidation price (of the biggest leg), margin in use, leverage."""
        acct = self.account
        if acct is None:
            return None, None, None
        legs = [p for p in acct.positions(self.symbol) if p.hold_vol]
        if not legs:
            return None, None, None
        big = max(legs, key=lambda p: p.hold_vol)
        margin = sum((p.im for p in legs), Decimal(0))
        return big.liquidate_price or None, margin, big.leverage or None

    def snapshot(self, elapsed_s: float = 0.0) -> DashboardState:
        """An immutable state for ``dashboard.render``."""
        bids: Sequence[Level] = ()
        asks: Sequence[Level] = ()
        if self.depth is not None:
            bids, asks = self.depth(self.symbol, self.depth_levels)
        our_bids: dict[float, Decimal] = {}
        our_asks: dict[float, Decimal] = {}
        acct = self.account
        if acct is not None:
            for o in acct.open_orders(self.symbol):
                ours = our_bids if o.side in (1, 2) else our_asks
                px = float(o.price)
                ours[px] = ours.get(px, Decimal(0)) + o.vol - o.deal_vol
        net, entry, unreal = self.position()
        liq, margin, leverage = self._risk()
        bal = acct.balance("USDT") if acct is not None else None
        times = list(self.pnl_times)
        t = self.ticker
        return DashboardState(
            symbol=self.symbol,
            bids=list(bids),
            asks=list(asks),
            our_bids=our_bids,
            our_asks=our_asks,
            trades=list(self.trades),
            position=net,
            legs=", ".join(self.legs()) if len(self.legs()) > 1 else "",
            entry_price=entry,
            realised=acct.realised if acct is not None else Decimal(0),
            unrealised=unreal,
            fees=acct.fees if acct is not None else None,
            mark_price=self.mark_price(),
            liq_price=liq,
            margin=margin,
            leverage=leverage,
            equity=None
            if bal is None
            else (bal.equity or bal.available + bal.frozen + bal.position_margin),
            available=None if bal is None else bal.available,
            funding=None if t is None or t.funding_rate is None else fmt.pct(t.funding_rate),
            pnl_history=list(self.pnl_history),
            pnl_span_s=(times[-1] - times[0]) if len(times) > 1 else 0.0,
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
            vol_decimals=self.vol_decimals,
            warnings=list(self.warnings),
            ticker_line=self.ticker_line(),
            show_account=acct is not None,
            mode=self.banner.get("mode", ""),
            strategy=self.banner.get("strategy", ""),
            account=self.banner.get("account", ""),
            endpoint=self.banner.get("endpoint", ""),
            strategy_status=self.status() if self.status is not None else None,
            errors=self.errors() if self.errors is not None else 0,
            open_orders=self._orders(),
            fills=self._fills(),
            activity=list(self.activity),
        )

    def ticker_line(self) -> str | None:
        """``last 100.2  24h +1.20%  mark 100.1  funding +0.0100%`` from the latest ticker."""
        t = self.ticker
        if t is None:
            return None
        dp = self.price_decimals
        parts = [f"last {fmt.price(t.last_price, dp)}", f"24h {fmt.pct(t.rise_fall_rate, 2)}"]
        if t.fair_price:
            parts.append(f"mark {fmt.price(t.fair_price, dp)}")
        if t.funding_rate is not None:
            parts.append(f"funding {fmt.pct(t.funding_rate)}")
        parts.append(f"vol24 {t.volume24:,.0f}")
        return "  ".join(parts)


__all__ = ["ViewModel"]
