"""Domain events: what strategies and applications see. No MEXC wire knowledge lives here.

Every event is an immutable ``msgspec.Struct`` (frozen, tagged by class name) so that it is cheap to
build on the hot path, hashable, printable, and serialisable for recordings.

Producers:
  * ``mexc_futures.protocol.convert`` turns decoded wire frames (spec §7.5, §7.8) into these events;
  * ``mexc_futures.marketdata`` emits ``BookUpdate`` / ``BookResync`` after book sync (spec §8);
  * ``mexc_futures.execution`` emits ``OrderUpdate`` / ``Fill`` / ``KillSwitchTripped``.
Consumers: ``mexc_futures.strategy`` and user code.

Units (spec §17): ``vol``/``qty`` fields are in **contracts**, prices in quote currency, timestamps
in Unix **milliseconds** (kline ``open_time`` is in seconds, as on the wire, spec §4.4). Market-data
events use ``float`` (hot path); order-path events use ``Decimal`` so that filled quantities can be
compared exactly.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec


class Side(enum.IntEnum):
    """Taker / order direction in domain terms (spec §4.5 ``T``: 1 buy, 2 sell)."""

    BUY = 1
    SELL = 2


class PositionSide(enum.IntEnum):
    """Spec §10 ``positionType``."""

    LONG = 1
    SHORT = 2


class _Event(msgspec.Struct, frozen=True, tag=True, kw_only=True):
    """Base of every domain event; ``ts`` is the venue's push time in ms (0 when unknown)."""

    ts: int = 0


# ---------------------------------------------------------------- market data (public channels)


class Trade(_Event, frozen=True, kw_only=True):
    """One public deal (spec §7.5 ``push.deal`` item / §4.5)."""

    symbol: str
    price: float
    vol: float
    side: Side  # taker side
    open_flag: int  # ``O``
    self_trade: bool  # ``M == 1``
    time: int  # trade time, ms
    trade_id: str | None = None  # ``i`` on newer frames


class Ticker(_Event, frozen=True, kw_only=True):
    """``push.ticker`` (single contract) or one row of ``push.tickers``."""

    symbol: str
    last_price: float
    bid1: float | None = None
    ask1: float | None = None
    volume24: float = 0.0
    amount24: float = 0.0
    hold_vol: float | None = None
    fair_price: float | None = None
    index_price: float | None = None
    funding_rate: float | None = None
    rise_fall_rate: float = 0.0
    high24: float | None = None
    low24: float | None = None
    time: int = 0


class Tickers(_Event, frozen=True, kw_only=True):
    """``push.tickers``: the rows that changed since the last frame."""

    rows: tuple[Ticker, ...]


class Kline(_Event, frozen=True, kw_only=True):
    """``push.kline`` bar. ``open_time`` is the bar open time in **seconds** (spec §4.4)."""

    symbol: str
    interval: str
    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # contracts (``q``)
    amount: float  # quote turnover (``a``)


class FundingRate(_Event, frozen=True, kw_only=True):
    """``push.funding.rate``."""

    symbol: str
    rate: float
    next_settle_time: int | None = None


class IndexPrice(_Event, frozen=True, kw_only=True):
    """``push.index.price``."""

    symbol: str
    price: float


class FairPrice(_Event, frozen=True, kw_only=True):
    """``push.fair.price`` (mark price)."""

    symbol: str
    price: float


class DepthSnapshot(_Event, frozen=True, kw_only=True):
    """``push.depth.full``: a complete top-N, bids descending, asks ascending."""

    symbol: str
    version: int
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]


class BookUpdate(_Event, frozen=True, kw_only=True):
    """The local book of ``symbol`` advanced to ``version`` (spec §8); it is exact at that version.

    Best prices are ``None`` when a side is empty. The full book is read from
    ``MarketData.book(symbol)``; this event stays small so publishing costs little.
    """

    symbol: str
    version: int
    best_bid: float | None
    best_ask: float | None


class BookResync(_Event, frozen=True, kw_only=True):
    """The local book of ``symbol`` is not trustworthy until the next ``BookUpdate``.

    ``reason`` is one of ``gap``, ``duplicate``, ``reorder``, ``stale``, ``audit``, ``reconnect``,
    ``crossed``, ``start``. ``from_version`` is the last version known good (0 if none).
    """

    symbol: str
    reason: str
    from_version: int = 0


class DealGap(_Event, frozen=True, kw_only=True):
    """Public deals of ``symbol`` between ``since`` and ``until`` (ms) may be missing (I4)."""

    symbol: str
    since: int
    until: int


class DealsRecovered(_Event, frozen=True, kw_only=True):
    """The deals missing from a ``DealGap`` of ``symbol`` were fetched from REST (spec §4.5).

    ``count`` deals were delivered just before this event as ``Trade`` (in time order; with
    ``trade_id`` when the REST rows carry ``i``, as live and the emulator's do). ``complete`` is
    true when REST reached back to ``since`` (it lists at most 100 deals); otherwise deals
    between ``since`` and ``covered_since`` stay unknown.
    """

    symbol: str
    since: int
    until: int
    count: int
    complete: bool
    covered_since: int


class ConnectionState(_Event, frozen=True, kw_only=True):
    """A WebSocket connection changed state (``connecting``, ``open``, ``closed``, ``backoff``)."""

    conn_id: int
    state: str
    detail: str = ""


# ---------------------------------------------------------------- account (private channels / REST)


class OrderUpdate(_Event, frozen=True, kw_only=True):
    """An order's state as known by the venue (``push.personal.order`` or a REST order row).

    ``state`` uses spec §10 order states (1 pending, 2 open, 3 filled, 4 cancelled, 5 invalid).
    """

    order_id: str
    external_oid: str
    symbol: str
    side: int  # spec §10: 1 open long, 2 close short, 3 open short, 4 close long
    order_type: int
    price: Decimal
    vol: Decimal
    deal_vol: Decimal
    deal_avg_price: Decimal
    state: int
    error_code: int = 0
    version: int = 0
    leverage: int = 0
    open_type: int = 0
    position_id: int = 0
    create_time: int = 0
    update_time: int = 0


class Fill(_Event, frozen=True, kw_only=True):
    """One execution of one of our orders (``push.personal.order.deal`` or REST deal row)."""

    fill_id: str
    order_id: str
    symbol: str
    side: int
    vol: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    profit: Decimal
    is_taker: bool
    time: int
    external_oid: str = ""


class PositionUpdate(_Event, frozen=True, kw_only=True):
    """``push.personal.position`` or a REST position row. ``state`` 3 means closed."""

    position_id: int
    symbol: str
    position_type: PositionSide
    open_type: int
    state: int
    hold_vol: Decimal
    hold_avg_price: Decimal
    open_avg_price: Decimal
    liquidate_price: Decimal
    realised: Decimal
    leverage: int
    im: Decimal = Decimal(0)
    frozen_vol: Decimal = Decimal(0)
    close_vol: Decimal = Decimal(0)
    update_time: int = 0


class BalanceUpdate(_Event, frozen=True, kw_only=True):
    """``push.personal.asset`` or a REST asset row."""

    currency: str
    available: Decimal
    frozen: Decimal
    position_margin: Decimal
    equity: Decimal | None = None
    unrealized: Decimal | None = None


class KillSwitchTripped(_Event, frozen=True, kw_only=True):
    """The kill switch latched (reliability I8); trading stays off until an operator resets it."""

    reason: str
    detail: str = ""


MarketEvent = (
    Trade
    | Ticker
    | Tickers
    | Kline
    | FundingRate
    | IndexPrice
    | FairPrice
    | DepthSnapshot
    | BookUpdate
    | BookResync
    | DealGap
    | DealsRecovered
    | ConnectionState
)
AccountEvent = OrderUpdate | Fill | PositionUpdate | BalanceUpdate | KillSwitchTripped
Event = MarketEvent | AccountEvent

__all__ = [
    "AccountEvent",
    "BalanceUpdate",
    "BookResync",
    "BookUpdate",
    "ConnectionState",
    "DealGap",
    "DealsRecovered",
    "DepthSnapshot",
    "Event",
    "FairPrice",
    "Fill",
    "FundingRate",
    "IndexPrice",
    "KillSwitchTripped",
    "Kline",
    "MarketEvent",
    "OrderUpdate",
    "PositionSide",
    "PositionUpdate",
    "Side",
    "Ticker",
    "Tickers",
    "Trade",
]
