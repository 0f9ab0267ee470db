"""``order place|amend|cancel|cancel-all`` (spec §5.3–§5.4).

``place`` is checked before anything is sent — the kill-switch latch, the symbol (1001 → "unknown
symbol"), the contract's ``minVol``/``volUnit``/``priceUnit``/leverage (``ContractSpec
.validate_order``) — then goes through the ``ExecutionManager`` (risk gate, journal with a
deterministic ``externalOid``, lookup on a lost answer). On ``--live`` it asks before sending
unless ``--yes``. Cancels are always allowed, even with the kill switch tripped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation

import click
import msgspec

from mexc_futures.cli.account_cmds import STATES
from mexc_futures.cli.common import (
    CliError,
    Target,
    confirm_live,
    connect,
    emit,
    journal_path,
    json_option,
    margin_option,
    open_type_for,
    options,
    run,
    symbol_filter_option,
    yes_option,
)
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.execution.facade import ExecutionConfig, ExecutionManager
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import MarginMode, OrderKind, PlaceOrder, PriceType, TradeSide
from mexc_futures.protocol.convert import contract_spec
from mexc_futures.transport.rest import RestClient

KINDS = {
    "limit": OrderKind.LIMIT,
    "post-only": OrderKind.POST_ONLY,
    "ioc": OrderKind.IOC,
    "fok": OrderKind.FOK,
    "market": OrderKind.MARKET,
}
PRICE_TYPE_NAMES = {"last": PriceType.LAST, "fair": PriceType.FAIR, "index": PriceType.INDEX}
SIDE_NAMES = {
    "buy": TradeSide.OPEN_LONG,
    "sell": TradeSide.OPEN_SHORT,
    "open-long": TradeSide.OPEN_LONG,
    "open-short": TradeSide.OPEN_SHORT,
    "close-long": TradeSide.CLOSE_LONG,
    "close-short": TradeSide.CLOSE_SHORT,
}


def decimal_arg(_ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    """Click callback: a decimal number or ``None``."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None


@contextlib.asynccontextmanager
async def execution(
    target: Target, rest: RestClient, symbol: str | None
) -> AsyncIterator[ExecutionManager]:
    """An ``ExecutionManager`` journaled in the state dir (a throw-away journal for an
    in-process emulator, whose account dies with the command). ``CliError`` when it finds
    trading off for ``symbol`` (e.g. ``apiAllowed`` false), saying why."""
    with journal_path(target) as path:
        cfg = ExecutionConfig(symbols=(symbol,) if symbol else ())
        async with ExecutionManager(rest, journal_path=path, clock=rest.clock, config=cfg) as ex:
            why = ex.trading_off_reason or ex.capabilities.contracts.get(symbol or "", "ok")
            if why != "ok":
                raise CliError(
                    f"Trading is off for {symbol}: {why.rstrip('.')}. Nothing was sent. "
                    + (KEY_HELP if _is_key_problem(why) else TRADING_OFF_HELP)
                )
            yield ex


_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def notional_to_contracts(text: str, spec: ContractSpec, price: Decimal) -> Decimal:
    """``100USDT`` at ``price`` -> whole volume steps of ``spec`` (rounded down); ``CliError``
    when the amount buys less than the minimum volume."""
    match = _AMOUNT.match(text)
    if match is None:
        raise CliError(f"--notional {text!r}: write an amount such as 100USDT or 100.")
    amount, coin = Decimal(match.group(1)), match.group(2).upper()
    if coin and coin != spec.quote_coin:
        raise CliError(
            f"--notional {text}: {spec.symbol} is quoted in {spec.quote_coin}; "
            f"write e.g. {match.group(1)}{spec.quote_coin}."
        )
    contracts = spec.contracts_from_notional(amount, price)
    if contracts < spec.min_vol:
        one = spec.notional(spec.min_vol, price)
        raise CliError(
            f"--notional {text} buys {contracts} contracts at {price}; the minimum is "
            f"{spec.min_vol} (about {one:.2f} {spec.quote_coin}). Nothing was sent."
        )
    return contracts


KEY_HELP = (
    "The key pair was refused: check MEXC_API_KEY and MEXC_API_SECRET (an emulator accepts only "
    "the test keys it printed at start)."
)


def _is_key_problem(why: str) -> bool:
    """Whether trading is off because the key itself was refused (401, 602, 704)."""
    return any(code in why for code in ("error 401", "error 602", "error 704", "key cannot"))


TRADING_OFF_HELP = (
    "Pick another contract (`mexc-futures ticker` lists them), or check the key's permissions "
    "and the contract's state with `mexc-futures audit`."
)


@click.group()
def order() -> None:
    """Place, amend and cancel orders.

    \b
    Examples:
      mexc-futures order place BTC_USDT --side buy --vol 1 --price 60000 --type post-only
      mexc-futures order place BTC_USDT --side sell --vol 2 --type market
      mexc-futures order amend 7391135770 --price 60010 --vol 1
      mexc-futures order cancel 7391135770
      mexc-futures order cancel-all --symbol BTC_USDT
      mexc-futures order trigger BTC_USDT --side buy --vol 1 --when falls-to --at 58000
      mexc-futures order trailing BTC_USDT --side close-long --vol 1 --callback 1%
      mexc-futures order batch orders.json
      mexc-futures order triggers; mexc-futures order stops
    """


@order.command("place")
@click.argument("symbol")
@click.option(
    "--side",
    type=click.Choice(list(SIDE_NAMES)),
    required=True,
    help="buy/sell open a long/short; close-long/close-short reduce a position.",
)
@click.option("--vol", callback=decimal_arg, help="Contracts (not coins).")
@click.option(
    "--notional",
    metavar="AMOUNT",
    help="Size by value instead of --vol: 100USDT (or 100) is converted to contracts at --price "
    "(or the mark price for market orders), rounded down to the volume step.",
)
@click.option("--price", callback=decimal_arg, help="Limit price (not for --type market).")
@click.option("--type", "kind", type=click.Choice(list(KINDS)), default="limit", show_default=True)
@click.option("--leverage", type=int, help="Leverage for opening orders.")
@click.option(
    "--stop-loss", callback=decimal_arg, help="Attach a stop-loss at this price (spec §5.3)."
)
@click.option("--take-profit", callback=decimal_arg, help="Attach a take-profit at this price.")
@click.option(
    "--trigger-price-type",
    "trigger_type",
    type=click.Choice(list(PRICE_TYPE_NAMES)),
    default="last",
    show_default=True,
    help="Which price fires --stop-loss/--take-profit.",
)
@click.option(
    "--reduce-only", is_flag=True, help="Only reduce a position (one-way mode; hedge: use close-*)."
)
@margin_option
@yes_option
@json_option
@click.pass_context
def place(
    ctx: click.Context,
    symbol: str,
    side: str,
    vol: Decimal | None,
    notional: str | None,
    price: Decimal | None,
    kind: str,
    leverage: int | None,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    trigger_type: str,
    reduce_only: bool,
    margin: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Place one order on SYMBOL; --vol is in contracts (see `mexc-futures book`).

    Checked before sending: the kill switch, the symbol, minVol / volUnit / priceUnit and the
    leverage range; an error names the nearest valid value. Then it is journaled with a unique
    externalOid, so a lost answer is looked up, never sent twice.

    \b
    Examples:
      mexc-futures order place BTC_USDT --side buy --vol 1 --price 60000 --type post-only
      mexc-futures order place BTC_USDT --side sell --vol 2 --type market
      mexc-futures order place BTC_USDT --side close-long --vol 1 --type market
      mexc-futures order place BTC_USDT --side buy --vol 1 --type market \\
          --stop-loss 58000 --take-profit 66000 --trigger-price-type fair
      mexc-futures --live order place ETH_USDT --side buy --vol 1 --price 2000 --json
    """
    if kind != "market" and price is None:
        raise click.UsageError(f"--type {kind} needs --price (or use --type market).")
    if kind == "market" and price is not None:
        raise click.UsageError(
            "--type market takes no --price: it fills at the best prices available. "
            "For a price limit use --type limit (or ioc/fok) with --price."
        )

    if (vol is None) == (notional is None):
        raise click.UsageError("give the size as --vol CONTRACTS or as --notional AMOUNT (one).")

    async def go() -> dict[str, object]:
        sym = symbol.upper()
        async with connect(options(ctx), keys=True) as (t, rest):
            refuse_if_killed(t.options)
            spec = contract_spec(await check_symbol(rest, sym))
            size = vol
            if notional is not None:
                at = price
                if at is None:
                    tick = await rest.get_ticker(sym)
                    at = Decimal(str(tick.fair_price or tick.last_price))
                size = notional_to_contracts(notional, spec, at)
            vol_ = size if size is not None else Decimal(0)
            spec.validate_order(vol_, price if kind != "market" else None, leverage)
            long_side = 1 if SIDE_NAMES[side] in (TradeSide.OPEN_LONG, TradeSide.CLOSE_LONG) else 2
            intent = PlaceOrder(
                symbol=sym,
                side=SIDE_NAMES[side],
                kind=KINDS[kind],
                vol=vol_,
                price=price if kind != "market" else None,
                leverage=leverage,
                margin_mode=MarginMode.ISOLATED if margin != "cross" else MarginMode.CROSS,
                reduce_only=reduce_only,
                stop_loss_price=stop_loss,
                take_profit_price=take_profit,
                stop_loss_trigger=PRICE_TYPE_NAMES[trigger_type],
                take_profit_trigger=PRICE_TYPE_NAMES[trigger_type],
                label="cli",
            )
            what = f"{side} {vol_} {sym} {kind}" + (f" @ {price}" if price is not None else "")
            if stop_loss is not None or take_profit is not None:
                what += f" (stop-loss {stop_loss or '-'}, take-profit {take_profit or '-'})"
            confirm_live(t, what, yes)
            async with execution(t, rest, sym) as ex:
                if margin is None:  # keep the contract's current mode (ux finding 13)
                    mode = MarginMode(await open_type_for(rest, sym, None, long_side))
                    intent = msgspec.structs.replace(intent, margin_mode=mode)
                tracked = await ex.submit(intent)
                if tracked is not None and kind in ("market", "ioc", "fok"):
                    tracked = await ex.settle(tracked)  # they end at once: say how
            if tracked is None:
                raise CliError("The order was not placed.")
            return {
                "order_id": tracked.order_id,
                "external_oid": tracked.external_oid,
                "symbol": sym,
                "side": side,
                "type": kind,
                "vol": str(vol_),
                "price": None if price is None else str(price),
                "state": tracked.state.value,
                "filled": str(tracked.filled),
                "stop_loss": None if stop_loss is None else str(stop_loss),
                "take_profit": None if take_profit is None else str(take_profit),
                "reduce_only": reduce_only,
                "avg_price": str(tracked.avg_price) if tracked.avg_price else None,
                "outcome": tracked.outcome,
            }

    result = run(go())
    emit(as_json, result, "Order placed", ["Field", "Value"], list(result.items()))


@order.command("amend")
@click.argument("order_id")
@click.option("--price", required=True, callback=decimal_arg, help="New limit price.")
@click.option("--vol", required=True, callback=decimal_arg, help="New volume in contracts.")
@yes_option
@json_option
@click.pass_context
def amend(
    ctx: click.Context, order_id: str, price: Decimal, vol: Decimal, yes: bool, as_json: bool
) -> None:
    """Change price and volume of open limit order ORDER_ID (the venue gives it a new id).

    \b
    Examples:
      mexc-futures orders                                    # find the order id
      mexc-futures order amend 739001000000000001 --price 60010 --vol 2
    """

    async def go() -> dict[str, object]:
        async with connect(options(ctx), keys=True) as (t, rest):
            refuse_if_killed(t.options)
            row = await rest.get_order(order_id)
            spec = contract_spec(await check_symbol(rest, row.symbol))
            spec.validate_order(vol, price)
            confirm_live(t, f"amend {order_id} to {vol} @ {price}", yes)
            new_id = await rest.change_limit_order(order_id, price, vol)
            return {
                "old_order_id": order_id,
                "order_id": new_id,
                "price": str(price),
                "vol": str(vol),
            }

    result = run(go())
    emit(as_json, result, "Order amended", ["Field", "Value"], list(result.items()))


@order.command("cancel")
@click.argument("order_ids", nargs=-1, required=True)
@json_option
@click.pass_context
def cancel(ctx: click.Context, order_ids: tuple[str, ...], as_json: bool) -> None:
    """Cancel one or more orders by venue id (allowed even with the kill switch tripped).

    \b
    Examples:
      mexc-futures order cancel 739001000000000001
      mexc-futures order cancel 739001000000000001 739001000000000002 --json
    """

    async def go() -> list[dict[str, object]]:
        async with connect(options(ctx), keys=True) as (_t, rest):
            results = await rest.cancel_orders(list(order_ids))
        return [msgspec.to_builtins(r) for r in results]

    rows = run(go())
    failed = [r for r in rows if r.get("errorCode") not in (0, None)]
    emit(
        as_json,
        rows,
        "Cancel",
        ["Order id", "Result"],
        [
            (
                r.get("orderId"),
                "cancelled"
                if r.get("errorCode") in (0, None)
                else f"error {r.get('errorCode')}: {r.get('errorMsg', '')}",
            )
            for r in rows
        ],
    )
    if failed:
        raise CliError(
            f"{len(failed)} order(s) not cancelled (2040: no such order; 2041: already filled or "
            "cancelled). List open orders with `mexc-futures orders`."
        )


@order.command("cancel-all")
@symbol_filter_option
@click.pass_context
def cancel_all(ctx: click.Context, symbol: str | None) -> None:
    """Cancel every open order, then check that none is left (allowed even with the kill switch
    tripped).

    \b
    Examples:
      mexc-futures order cancel-all
      mexc-futures --live order cancel-all --symbol BTC_USDT
    """

    async def go() -> int:
        async with connect(options(ctx), keys=True) as (_t, rest):
            if symbol:
                await check_symbol(rest, symbol)
            await rest.cancel_all(symbol.upper() if symbol else None)
            left = [
                o
                for o in await rest.get_open_orders()
                if symbol is None or o.symbol == symbol.upper()
            ]
        return len(left)

    left = run(go())
    if left:
        raise CliError(
            f"{left} order(s) still open after cancel-all (an order may have been placed "
            "meanwhile); run it again, or trip the kill switch: `mexc-futures kill`."
        )
    click.echo("All orders cancelled. None is left open.")


__all__ = [
    "KINDS",
    "PRICE_TYPE_NAMES",
    "SIDE_NAMES",
    "STATES",
    "decimal_arg",
    "execution",
    "order",
]
