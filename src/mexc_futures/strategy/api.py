"""The Strategy API: typed events in, intents out. No MEXC wire knowledge lives here.

A strategy subclasses :class:`Strategy` and overrides the handlers it needs. Each handler receives
one domain event (``mexc_futures.model.events``) and a read-only :class:`StrategyView`, and returns
the intents (``mexc_futures.model.intents``) it wants executed — a list, a tuple, or ``None`` for
nothing. Handlers are plain synchronous functions: they must not block or do I/O. The engine
(``mexc_futures.strategy.engine``) times every call and reports a handler that runs over its budget.

Which data a strategy receives is declared on the class: ``channels`` (``depth``, ``deal``,
``ticker``, ``kline``, ``funding.rate``), ``kline_interval`` and ``timer_interval`` (seconds between
``on_timer`` calls, ``None`` for none). The instance carries ``symbols``.

Units follow spec §17: volumes in contracts, prices in quote currency, times in ms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from mexc_futures.model.events import (
    BalanceUpdate,
    BookResync,
    BookUpdate,
    Event,
    Fill,
    FundingRate,
    KillSwitchTripped,
    Kline,
    OrderUpdate,
    PositionUpdate,
    Ticker,
    Tickers,
    Trade,
)
from mexc_futures.model.intents import (
    CancelAll,
    CancelOrder,
    Intent,
    OrderKind,
    PlaceOrder,
    TradeSide,
)
from mexc_futures.strategy.account import AccountState
from mexc_futures.strategy.conditional import (
    LONG,
    SHORT,
    cancel_conditional,
    chase,
    close_all,
    protect,
    reverse,
    stop_loss,
    take_profit,
    trailing,
    trigger,
)

if TYPE_CHECKING:
    from mexc_futures.execution.conditional import TrackedConditional
    from mexc_futures.model.instrument import ContractSpec

Intents = Iterable[Intent] | None
Level = tuple[float, float]
DepthReader = Callable[[str, int], tuple[Sequence[Level], Sequence[Level]]]


class TopOfBook(msgspec.Struct, frozen=True):
    """Best bid and ask of one symbol at a book version (``None`` when a side is empty)."""

    symbol: str
    bid: float | None
    ask: float | None
    version: int
    synced: bool = True

    @property
    def mid(self) -> float | None:
        """Mid price, or ``None`` when either side is empty."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2

    @property
    def spread(self) -> float | None:
        """Ask minus bid, or ``None`` when either side is empty."""
        if self.bid is None or self.ask is None:
            return None
        return self.ask - self.bid


class StrategyView:
    """What a strategy may read: tops of book, our orders, positions, balances, specs, time.

    It only exposes methods that read; the engine owns the state behind it and keeps it fresh
    (account events and book tops are folded in as they arrive, before the strategy sees them).
    """

    def __init__(
        self,
        *,
        now_ms: Callable[[], int],
        account: AccountState,
        tops: Mapping[str, TopOfBook],
        specs: Mapping[str, ContractSpec] | None = None,
        depth: DepthReader | None = None,
        halted: Callable[[], bool] = lambda: False,
        conditionals: Callable[[str | None], Sequence[TrackedConditional]] | None = None,
    ) -> None:
        self._now_ms = now_ms
        self._account = account
        self._tops = tops
        self._specs: Mapping[str, ContractSpec] = specs or {}
        self._depth = depth
        self._halted = halted
        self._conditionals = conditionals

    def now_ms(self) -> int:
        """Current time in ms (from the injected clock)."""
        return self._now_ms()

    def top(self, symbol: str) -> TopOfBook | None:
        """Latest top of book of ``symbol`` (``None`` before the first book update)."""
        return self._tops.get(symbol)

    def depth(self, symbol: str, n: int = 10) -> tuple[Sequence[Level], Sequence[Level]]:
        """Top ``n`` levels ``(bids, asks)`` of ``(price, contracts)``; empty without a source."""
        if self._depth is None:
            return ((), ())
        return self._depth(symbol, n)

    def open_orders(self, symbol: str | None = None) -> Sequence[OrderUpdate]:
        """Our open orders (of ``symbol`` or all)."""
        return self._account.open_orders(symbol)

    def foreign_orders(self, symbol: str | None = None) -> Sequence[OrderUpdate]:
        """Open orders on the account placed elsewhere (web UI, other bots, an earlier run):
        visible, not ours; the shutdown clean-up leaves them alone."""
        return self._account.foreign_orders(symbol)

    def conditionals(self, symbol: str | None = None) -> Sequence[TrackedConditional]:
        """Our live triggers, TP/SL and trailing orders (``kind``, ``venue_id``, ``state``,
        ``body``: the levels asked), refreshed at each reconciliation."""
        return () if self._conditionals is None else self._conditionals(symbol)

    def positions(self, symbol: str | None = None) -> Sequence[PositionUpdate]:
        """Our held positions (of ``symbol`` or all)."""
        return self._account.positions(symbol)

    def position(self, symbol: str) -> Decimal:
        """Net contracts held on ``symbol``: long minus short."""
        return self._account.net_position(symbol)

    def balance(self, currency: str = "USDT") -> BalanceUpdate | None:
        """Latest balance row of ``currency``."""
        return self._account.balance(currency)

    def instrument(self, symbol: str) -> ContractSpec | None:
        """Contract spec of ``symbol`` (tick, step, minVol, contract size), if loaded."""
        return self._specs.get(symbol)

    def recent_fills(self) -> Sequence[Fill]:
        """Our most recent fills, oldest first."""
        return self._account.recent_fills()

    @property
    def realised_pnl(self) -> Decimal:
        """Sum of fills' realised profit minus fees since start."""
        return self._account.realised

    @property
    def halted(self) -> bool:
        """``True`` once the kill switch tripped: new orders will not be sent."""
        return self._halted()


class Strategy:
    """Base class of strategies: override the ``on_*`` handlers you need (all default to no-op).

    Example::

        class Joiner(Strategy):
            channels = ("depth",)

            def on_book(self, event, view):
                if not view.open_orders(event.symbol) and event.best_bid is not None:
                    return [post_only(event.symbol, TradeSide.OPEN_LONG, 1, event.best_bid)]
                return None
    """

    name: ClassVar[str] = "strategy"
    channels: ClassVar[tuple[str, ...]] = ("depth", "deal", "ticker")
    kline_interval: ClassVar[str] = "Min1"
    timer_interval: ClassVar[float | None] = None
    # Allowed range of numeric ``__init__`` parameters, inclusive: ``{"size": (1, 10_000)}``;
    # ``None`` leaves that end open. ``-p size=0`` is refused before anything starts.
    param_ranges: ClassVar[Mapping[str, tuple[float | None, float | None]]] = {}

    def __init__(self, symbols: Sequence[str] = ("BTC_USDT",)) -> None:
        self.symbols: tuple[str, ...] = tuple(symbols)

    def status(self) -> str | None:
        """One short line on what the strategy is doing (``warming up 37/100 prices``), shown by
        the live view and logged by ``--plain`` when it changes; ``None``: nothing to say."""
        return None

    # lifecycle
    def on_start(self, view: StrategyView) -> Intents:
        """Called once before any event."""
        return None

    def on_stop(self, view: StrategyView) -> Intents:
        """Called once at shutdown; the default cancels every open order of our symbols."""
        return [CancelAll(symbol=s, label=self.name) for s in self.symbols]

    def on_timer(self, now_ms: int, view: StrategyView) -> Intents:
        """Called every ``timer_interval`` seconds."""
        return None

    # market data
    def on_book(self, event: BookUpdate, view: StrategyView) -> Intents:
        """The book of ``event.symbol`` changed (possibly several versions conflated into one)."""
        return None

    def on_resync(self, event: BookResync, view: StrategyView) -> Intents:
        """The book of ``event.symbol`` is untrustworthy until its next ``on_book``."""
        return None

    def on_trade(self, event: Trade, view: StrategyView) -> Intents:
        """A public trade."""
        return None

    def on_ticker(self, event: Ticker, view: StrategyView) -> Intents:
        """A ticker row."""
        return None

    def on_kline(self, event: Kline, view: StrategyView) -> Intents:
        """A kline bar update (the current bar repeats until it closes)."""
        return None

    def on_funding(self, event: FundingRate, view: StrategyView) -> Intents:
        """A funding-rate update."""
        return None

    def on_other(self, event: Event, view: StrategyView) -> Intents:
        """Any other event (index/fair price, connection state, deal gap)."""
        return None

    # account
    def on_order(self, event: OrderUpdate, view: StrategyView) -> Intents:
        """One of our orders changed state."""
        return None

    def on_fill(self, event: Fill, view: StrategyView) -> Intents:
        """One of our orders (partly) filled."""
        return None

    def on_position(self, event: PositionUpdate, view: StrategyView) -> Intents:
        """One of our positions changed."""
        return None

    def on_balance(self, event: BalanceUpdate, view: StrategyView) -> Intents:
        """A balance changed."""
        return None

    def on_kill_switch(self, event: KillSwitchTripped, view: StrategyView) -> Intents:
        """The kill switch tripped: intents other than cancels are dropped from now on."""
        return None


def handler_name(event: Event) -> str:
    """Name of the handler ``dispatch`` calls for ``event`` (used in slow-handler reports)."""
    return _HANDLERS.get(type(event), "on_other")


_HANDLERS: dict[type, str] = {
    BookUpdate: "on_book",
    BookResync: "on_resync",
    Trade: "on_trade",
    Ticker: "on_ticker",
    Tickers: "on_ticker",
    Kline: "on_kline",
    FundingRate: "on_funding",
    OrderUpdate: "on_order",
    Fill: "on_fill",
    PositionUpdate: "on_position",
    BalanceUpdate: "on_balance",
    KillSwitchTripped: "on_kill_switch",
}


def dispatch(strategy: Strategy, event: Event, view: StrategyView) -> list[Any]:
    """Call the handler of ``strategy`` for ``event`` and return what it returned, as a list.

    ``Tickers`` is split into one ``on_ticker`` call per row of a symbol the strategy trades.
    The items are not checked here: a single intent or a string counts as one item (never
    iterated), and ``strategy.guard.check_intents`` refuses what is not an intent.
    """
    out: Intents
    match event:
        case BookUpdate():
            out = strategy.on_book(event, view)
        case BookResync():
            out = strategy.on_resync(event, view)
        case Trade():
            out = strategy.on_trade(event, view)
        case Ticker():
            out = strategy.on_ticker(event, view)
        case Tickers():
            rows: list[Any] = []
            for row in event.rows:
                if row.symbol in strategy.symbols:
                    rows.extend(as_list(strategy.on_ticker(row, view)))
            return rows
        case Kline():
            out = strategy.on_kline(event, view)
        case FundingRate():
            out = strategy.on_funding(event, view)
        case OrderUpdate():
            out = strategy.on_order(event, view)
        case Fill():
            out = strategy.on_fill(event, view)
        case PositionUpdate():
            out = strategy.on_position(event, view)
        case BalanceUpdate():
            out = strategy.on_balance(event, view)
        case KillSwitchTripped():
            out = strategy.on_kill_switch(event, view)
        case _:
            out = strategy.on_other(event, view)
    return as_list(out)


def as_list(out: object) -> list[Any]:
    """A handler's return value as a list: ``None`` -> ``[]``; one intent, a string or any other
    non-iterable -> ``[out]``; an iterable -> its items."""
    if out is None:
        return []
    if isinstance(out, str | bytes | msgspec.Struct) or not isinstance(out, Iterable):
        return [out]
    return list(out)


# ---------------------------------------------------------------- intent helpers


def _dec(x: Decimal | float | int | str) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _order(
    symbol: str,
    side: TradeSide,
    kind: OrderKind,
    vol: Decimal | float | int | str,
    price: Decimal | float | int | str | None,
    **fields: object,
) -> PlaceOrder:
    """A ``PlaceOrder`` with ``vol``/``price`` as exact decimals (no float artefacts)."""
    return PlaceOrder(
        symbol=symbol,
        side=side,
        kind=kind,
        vol=_dec(vol),
        price=None if price is None else _dec(price),
        **fields,  # type: ignore[arg-type]
    )


def post_only(
    symbol: str,
    side: TradeSide,
    vol: Decimal | float | int | str,
    price: Decimal | float | int | str,
    *,
    leverage: int | None = None,
    label: str = "",
    client_key: str | None = None,
) -> PlaceOrder:
    """A post-only (maker) limit order (spec §10 type 2)."""
    return _order(
        symbol,
        side,
        OrderKind.POST_ONLY,
        vol,
        price,
        leverage=leverage,
        label=label,
        client_key=client_key,
    )


def limit(
    symbol: str,
    side: TradeSide,
    vol: Decimal | float | int | str,
    price: Decimal | float | int | str,
    *,
    kind: OrderKind = OrderKind.LIMIT,
    leverage: int | None = None,
    label: str = "",
) -> PlaceOrder:
    """A limit order (or IOC/FOK with ``kind``)."""
    return _order(symbol, side, kind, vol, price, leverage=leverage, label=label)


def market(
    symbol: str,
    side: TradeSide,
    vol: Decimal | float | int | str,
    *,
    leverage: int | None = None,
    reduce_only: bool = False,
    label: str = "",
) -> PlaceOrder:
    """A market order (spec §10 type 5)."""
    return _order(
        symbol,
        side,
        OrderKind.MARKET,
        vol,
        None,
        leverage=leverage,
        reduce_only=reduce_only,
        label=label,
    )


def cancel(order: OrderUpdate, *, label: str = "") -> CancelOrder:
    """Cancel one of our open orders."""
    return CancelOrder(symbol=order.symbol, order_id=order.order_id, label=label)


__all__ = [
    "LONG",
    "SHORT",
    "DepthReader",
    "Intents",
    "Level",
    "Strategy",
    "StrategyView",
    "TopOfBook",
    "as_list",
    "cancel",
    "cancel_conditional",
    "chase",
    "close_all",
    "dispatch",
    "handler_name",
    "limit",
    "market",
    "post_only",
    "protect",
    "reverse",
    "stop_loss",
    "take_profit",
    "trailing",
    "trigger",
]
