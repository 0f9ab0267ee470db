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


Intent = PlaceOrder | CancelOrder | CancelAll | AmendOrder | ClosePosition

__all__ = [
    "AmendOrder",
    "CancelAll",
    "CancelOrder",
    "ClosePosition",
    "Intent",
    "MarginMode",
    "OrderKind",
    "PlaceOrder",
    "TradeSide",
]
