"""Strategy helpers for every conditional order type (issue #15), as short as ``post_only``.

Return the intent from a handler like any other::

    def on_fill(self, event, view):
        if event.side == 1:  # our long opened: protect it
            return protect("BTC_USDT", LONG, stop_loss=83_000, take_profit=90_000)

``stop_loss`` / ``take_profit`` / ``protect`` put TP/SL on an open position (spec §5.7);
``trigger`` a plan order (§5.6); ``trailing`` a trailing stop (§5.8); ``reverse`` and
``close_all`` act on positions (§5.2); ``cancel_conditional`` removes one of them; ``chase`` a
chase-limit order kept at the best price (§5.3). The view's
``conditionals(symbol)`` lists the ones still live.
"""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.model.intents import (
    CancelConditional,
    CloseAll,
    OrderKind,
    PlaceChase,
    PlaceStop,
    PlaceTrailing,
    PlaceTrigger,
    PriceType,
    ReversePosition,
    TradeSide,
    TriggerWhen,
)

Num = Decimal | float | int | str
#: Position sides for ``stop_loss`` / ``take_profit`` / ``protect`` / ``reverse``.
LONG, SHORT = 1, 2


def _dec(x: Num) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _opt(x: Num | None) -> Decimal | None:
    return None if x is None else _dec(x)


def protect(
    symbol: str,
    position_side: int,
    *,
    stop_loss: Num | None = None,
    take_profit: Num | None = None,
    trigger: PriceType = PriceType.LAST,
    vol: Num | None = None,
    label: str = "",
    client_key: str | None = None,
) -> PlaceStop:
    """Stop-loss and/or take-profit on the open position (``vol``: part of it; whole when None).
    ``trigger``: which price fires it (last, fair or index)."""
    if stop_loss is None and take_profit is None:
        raise ValueError("give stop_loss, take_profit or both")
    return PlaceStop(
        symbol=symbol,
        position_side=position_side,
        stop_loss_price=_opt(stop_loss),
        take_profit_price=_opt(take_profit),
        stop_loss_trigger=trigger,
        take_profit_trigger=trigger,
        vol=_opt(vol),
        label=label,
        client_key=client_key,
    )


def stop_loss(
    symbol: str,
    position_side: int,
    price: Num,
    *,
    trigger: PriceType = PriceType.LAST,
    vol: Num | None = None,
    label: str = "",
) -> PlaceStop:
    """A stop-loss on the open position."""
    return protect(symbol, position_side, stop_loss=price, trigger=trigger, vol=vol, label=label)


def take_profit(
    symbol: str,
    position_side: int,
    price: Num,
    *,
    trigger: PriceType = PriceType.LAST,
    vol: Num | None = None,
    label: str = "",
) -> PlaceStop:
    """A take-profit on the open position."""
    return protect(symbol, position_side, take_profit=price, trigger=trigger, vol=vol, label=label)


def trigger(
    symbol: str,
    side: TradeSide,
    vol: Num,
    trigger_price: Num,
    *,
    when: TriggerWhen,
    price: Num | None = None,
    price_type: PriceType = PriceType.LAST,
    leverage: int | None = None,
    reduce_only: bool = False,
    label: str = "",
    client_key: str | None = None,
) -> PlaceTrigger:
    """A plan order: when ``price_type`` price ``when`` (RISES_TO / FALLS_TO) ``trigger_price``,
    place a market order (a limit at ``price`` when given). Expires after 24 h."""
    return PlaceTrigger(
        symbol=symbol,
        side=side,
        vol=_dec(vol),
        trigger_price=_dec(trigger_price),
        when=when,
        price_type=price_type,
        kind=OrderKind.MARKET if price is None else OrderKind.LIMIT,
        price=_opt(price),
        leverage=leverage,
        reduce_only=reduce_only,
        label=label,
        client_key=client_key,
    )


def trailing(
    symbol: str,
    side: TradeSide,
    vol: Num,
    *,
    callback_rate: Num | None = None,
    callback_distance: Num | None = None,
    activation_price: Num | None = None,
    price_type: PriceType = PriceType.LAST,
    leverage: int | None = None,
    reduce_only: bool = False,
    label: str = "",
    client_key: str | None = None,
) -> PlaceTrailing:
    """A trailing stop: fires when the price comes back ``callback_rate`` (0.01 = 1 %) or
    ``callback_distance`` from its best since ``activation_price`` was crossed."""
    return PlaceTrailing(
        symbol=symbol,
        side=side,
        vol=_dec(vol),
        callback_rate=_opt(callback_rate),
        callback_distance=_opt(callback_distance),
        activation_price=_opt(activation_price),
        price_type=price_type,
        leverage=leverage,
        reduce_only=reduce_only,
        label=label,
        client_key=client_key,
    )


def reverse(symbol: str, position_side: int, *, label: str = "") -> ReversePosition:
    """Close the position on ``position_side`` and open the same size the other way."""
    return ReversePosition(symbol=symbol, position_side=position_side, label=label)


def close_all(*, label: str = "") -> CloseAll:
    """Market-close every position on the account."""
    return CloseAll(label=label)


def chase(
    symbol: str,
    side: TradeSide,
    vol: Num,
    *,
    limit: Num | None = None,
    price: Num | None = None,
    post_only: bool = False,
    leverage: int | None = None,
    reduce_only: bool = False,
    min_interval: float = 1.0,
    label: str = "",
    client_key: str | None = None,
) -> PlaceChase:
    """A chase-limit order: rests at the best price of its side and is moved back there each
    time the book leaves it behind, never past ``limit``; it starts at ``price`` (default: the
    best price now). Moves are at most one per ``min_interval`` seconds."""
    return PlaceChase(
        symbol=symbol,
        side=side,
        vol=_dec(vol),
        limit_price=_opt(limit),
        price=_opt(price),
        post_only=post_only,
        leverage=leverage,
        reduce_only=reduce_only,
        min_interval=min_interval,
        label=label,
        client_key=client_key,
    )


def cancel_conditional(
    kind: str, symbol: str, venue_id: str, *, label: str = ""
) -> CancelConditional:
    """Cancel a ``trigger``, ``stop`` or ``trailing`` order by its venue id."""
    return CancelConditional(symbol=symbol, kind=kind, venue_id=venue_id, label=label)


__all__ = [
    "LONG",
    "SHORT",
    "cancel_conditional",
    "chase",
    "close_all",
    "protect",
    "reverse",
    "stop_loss",
    "take_profit",
    "trailing",
    "trigger",
]
