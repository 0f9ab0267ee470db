"""Intents: what a strategy (or a person at the CLI) asks the execution manager to do.

Intents are venue-neutral: quantities are in contracts (spec §17; convert base-coin quantities
with ``mexc_futures.model.instrument``), prices are ``Decimal``. The execution manager checks each
intent against the risk gate, journals it with a deterministic ``externalOid`` and only then sends
it (spec §5.3–§5.4).
"""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec


class OrderKind(enum.IntEnum):
    """Spec §10 order ``type``."""

    LIMIT = 1
    POST_ONLY = 2
    IOC = 3
    FOK = 4
    MARKET = 5
    MARKET_TO_LIMIT = 6


class TradeSide(enum.IntEnum):
    """Spec §5.3 / §10 order ``side``."""

    OPEN_LONG = 1
    CLOSE_SHORT = 2
    OPEN_SHORT = 3
    CLOSE_LONG = 4


class MarginMode(enum.IntEnum):
    """Spec §10 ``openType``."""

    ISOLATED = 1
    CROSS = 2


class PriceType(enum.IntEnum):
    """Which price triggers a conditional order (spec §5.3 ``lossTrend``/``profitTrend``, §5.6
    ``trend``, §5.8 ``trend``)."""

    LAST = 1
    FAIR = 2
    INDEX = 3


class TriggerWhen(enum.IntEnum):
    """Spec §5.6 ``triggerType``: fire when the price rises to (>=) or falls to (<=) the level."""

    RISES_TO = 1
    FALLS_TO = 2


class _Intent(msgspec.Struct, frozen=True, tag=True, kw_only=True):
    """Base of all intents. ``tag`` is a free label (strategy name) kept in the journal."""

    label: str = ""


class PlaceOrder(_Intent, frozen=True, kw_only=True):
    """Place one order. ``client_key`` makes the externalOid deterministic across retries."""

    symbol: str
    side: TradeSide
    kind: OrderKind
    vol: Decimal
    price: Decimal | None = None
    leverage: int | None = None
    margin_mode: MarginMode = MarginMode.ISOLATED
    reduce_only: bool = False
    position_id: int | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    #: Which price triggers the attached stop-loss / take-profit (sent only with that price).
    stop_loss_trigger: PriceType = PriceType.LAST
    take_profit_trigger: PriceType = PriceType.LAST
    client_key: str | None = None


class CancelOrder(_Intent, frozen=True, kw_only=True):
    """Cancel one order by venue id or by external id."""

    symbol: str
    order_id: str | None = None
    external_oid: str | None = None


class CancelAll(_Intent, frozen=True, kw_only=True):
    """Cancel every open order this run placed (of ``symbol``, or all contracts when ``None``).

    ``all_orders=True`` also cancels orders placed elsewhere (the web UI, another bot, an earlier
    run): the venue's symbol-wide ``cancel_all``."""

    symbol: str | None = None
    all_orders: bool = False


class AmendOrder(_Intent, frozen=True, kw_only=True):
    """Change price and/or volume of an open limit order (spec §5.3 ``change_limit_order``)."""

    symbol: str
    order_id: str
    price: Decimal
    vol: Decimal


class ClosePosition(_Intent, frozen=True, kw_only=True):
    """Close a position (all of it when ``vol`` is ``None``) with a reduce-only market order."""

    symbol: str
    position_side: int  # 1 long, 2 short
    vol: Decimal | None = None


class PlaceTrigger(_Intent, frozen=True, kw_only=True):
    """A plan (trigger) order (spec §5.6): when ``price_type`` reaches ``trigger_price`` in the
    ``when`` direction, the venue places ``kind`` (market by default; a limit needs ``price``).
    It expires after 24 h (``expires_in_days=1``) or 7 days (``7``)."""

    symbol: str
    side: TradeSide
    vol: Decimal
    trigger_price: Decimal
    when: TriggerWhen
    price_type: PriceType = PriceType.LAST
    kind: OrderKind = OrderKind.MARKET
    price: Decimal | None = None
    leverage: int | None = None
    margin_mode: MarginMode = MarginMode.ISOLATED
    reduce_only: bool = False
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    expires_in_days: int = 1
    client_key: str | None = None


class PlaceStop(_Intent, frozen=True, kw_only=True):
    """Stop-loss and/or take-profit on an open position (spec §5.7 ``stoporder/place``): closes
    ``vol`` (the whole position when ``None``) at market when a level is reached."""

    symbol: str
    position_side: int  # 1 long, 2 short
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    stop_loss_trigger: PriceType = PriceType.LAST
    take_profit_trigger: PriceType = PriceType.LAST
    vol: Decimal | None = None
    client_key: str | None = None


class AmendStop(_Intent, frozen=True, kw_only=True):
    """Move the levels of a TP/SL: a position's stop (``stop_id``, §5.7 ``change_plan_price``) or
    the TP/SL attached to a limit order (``order_id``, §5.7 ``change_price``). ``0`` removes."""

    symbol: str
    stop_id: str | None = None
    order_id: str | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    stop_loss_trigger: PriceType | None = None
    take_profit_trigger: PriceType | None = None


class PlaceTrailing(_Intent, frozen=True, kw_only=True):
    """A trailing stop (spec §5.8): once ``activation_price`` is crossed (at once when ``None``)
    it follows the best price and fires when the price comes back by ``callback_rate`` (0.01 =
    1 %) or by the absolute ``callback_distance``; exactly one of the two."""

    symbol: str
    side: TradeSide
    vol: Decimal
    callback_rate: Decimal | None = None
    callback_distance: Decimal | None = None
    activation_price: Decimal | None = None
    price_type: PriceType = PriceType.LAST
    leverage: int | None = None
    margin_mode: MarginMode = MarginMode.ISOLATED
    reduce_only: bool = False
    client_key: str | None = None


class ReversePosition(_Intent, frozen=True, kw_only=True):
    """Close the position on ``position_side`` and open the same size the other way (spec §5.2
    ``position/reverse``)."""

    symbol: str
    position_side: int  # 1 long, 2 short
    client_key: str | None = None


class CloseAll(_Intent, frozen=True, kw_only=True):
    """Market-close every position on the account (spec §5.2 ``position/close_all``)."""

    client_key: str | None = None


class CancelConditional(_Intent, frozen=True, kw_only=True):
    """Cancel one trigger (``kind="trigger"``), TP/SL (``"stop"``) or trailing (``"trailing"``)
    order by its venue id."""

    symbol: str
    kind: str
    venue_id: str


class PlaceChase(_Intent, frozen=True, kw_only=True):
    """A chase-limit order: a limit order kept at the best price of its own side of the book
    (best bid for a buy, best ask for a sell) until it fills or is cancelled (issue #15; the venue's
    ``order/chase_limit_order``, spec §5.3, moves it). ``limit_price`` is the most it may chase
    to: a buy is not moved while the best ask is above it, a sell while the best bid is below it
    (the venue's target side is unconfirmed, fidelity row 11: both bests must be inside).
    ``price`` is where it starts (``None``: today's best price of its side, capped at
    ``limit_price``). ``min_interval``: seconds between two moves of this order (the endpoint
    shares the 4-per-2-s budget of ``order/create``)."""

    symbol: str
    side: TradeSide
    vol: Decimal
    limit_price: Decimal | None = None
    price: Decimal | None = None
    post_only: bool = False
    leverage: int | None = None
    margin_mode: MarginMode = MarginMode.ISOLATED
    reduce_only: bool = False
    position_id: int | None = None
    min_interval: float = 1.0
    client_key: str | None = None


class PlaceBatch(_Intent, frozen=True, kw_only=True):
    """Up to 50 orders in one ``order/submit_batch`` (spec §5.3): journaled in one transaction,
    one outcome per order. ``stp_mode`` (self-trade prevention, required by v2): 0 none,
    1 cancel both, 2 cancel maker, 3 cancel taker. The venue serves it to market makers only."""

    orders: tuple[PlaceOrder, ...]
    stp_mode: int = 0


ConditionalIntent = (
    PlaceTrigger
    | PlaceStop
    | AmendStop
    | PlaceTrailing
    | ReversePosition
    | CloseAll
    | CancelConditional
)
CONDITIONAL_TYPES = (
    PlaceTrigger,
    PlaceStop,
    AmendStop,
    PlaceTrailing,
    ReversePosition,
    CloseAll,
    CancelConditional,
)

Intent = (
    PlaceOrder
    | CancelOrder
    | CancelAll
    | AmendOrder
    | ClosePosition
    | PlaceBatch
    | PlaceChase
    | ConditionalIntent
)

__all__ = [
    "CONDITIONAL_TYPES",
    "AmendOrder",
    "AmendStop",
    "CancelAll",
    "CancelConditional",
    "CancelOrder",
    "CloseAll",
    "ClosePosition",
    "ConditionalIntent",
    "Intent",
    "MarginMode",
    "OrderKind",
    "PlaceBatch",
    "PlaceChase",
    "PlaceOrder",
    "PlaceStop",
    "PlaceTrailing",
    "PlaceTrigger",
    "PriceType",
    "ReversePosition",
    "TradeSide",
    "TriggerWhen",
]
