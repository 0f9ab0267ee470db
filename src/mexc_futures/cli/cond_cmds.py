"""``order trigger|trailing|batch|triggers|stops|trailings|cancel-trigger|cancel-stop|
cancel-trailing|amend-stop`` (issue #15; spec §5.3, §5.6–§5.8).

Placements go through the ``ExecutionManager`` like ``order place``: the kill switch, the symbol
and the contract's rules are checked first, the request is journaled before it is sent, and a
lost answer is looked up in the venue's lists, never sent twice. Lists and cancels read and act
on the venue directly (cancels stay allowed with the kill switch tripped). ``--json`` on all.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
import msgspec

from mexc_futures.cli import cond_schema
from mexc_futures.cli.common import (
    CliError,
    confirm_live,
    connect,
    emit,
    json_option,
    margin_option,
    options,
    run,
    symbol_filter_option,
    yes_option,
)
from mexc_futures.cli.cond_fmt import describe
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.cli.order_cmds import (
    KINDS,
    PRICE_TYPE_NAMES,
    SIDE_NAMES,
    decimal_arg,
    execution,
    order,
)
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.execution.conditional import TrackedConditional
from mexc_futures.model.intents import (
    AmendStop,
    CancelConditional,
    ConditionalIntent,
    MarginMode,
    OrderKind,
    PlaceBatch,
    PlaceOrder,
    PlaceTrailing,
    PlaceTrigger,
    TriggerWhen,
)
from mexc_futures.protocol.convert import contract_spec
from mexc_futures.transport.rest import BATCH_MAX

WHEN = {"rises-to": TriggerWhen.RISES_TO, "falls-to": TriggerWhen.FALLS_TO}


def _price_type(_c: click.Context, _p: click.Parameter, v: str) -> Any:
    return PRICE_TYPE_NAMES[v]


price_type_option = click.option(
    "--price-type",
    type=click.Choice(list(PRICE_TYPE_NAMES)),
    default="last",
    show_default=True,
    callback=_price_type,
    help="Which price is watched: last trade, fair (mark) or index.",
)


def conditional_result(c: TrackedConditional) -> dict[str, object]:
    """What a placed conditional shows: key, kind, venue id, state (``cond_schema.tracked``)."""
    return cond_schema.tracked(c)


async def submit_conditional(
    ctx: click.Context, symbol: str | None, intent: ConditionalIntent, yes: bool
) -> dict[str, object]:
    """Connect, check the switch (placements only), confirm on --live, submit, report."""
    async with connect(options(ctx), keys=True) as (t, rest):
        if not isinstance(intent, CancelConditional):
            refuse_if_killed(t.options)
        if symbol:
            await check_symbol(rest, symbol)
        confirm_live(t, describe(intent), yes)
        async with execution(t, rest, symbol) as ex:
            c = await ex.submit(intent)
    if c.state.value in ("not_placed", "rejected"):
        raise CliError(f"{describe(intent)}: {c.state.value} ({c.detail}). Nothing is resting.")
    return {"what": describe(intent), **conditional_result(c)}


def show(as_json: bool, title: str, result: dict[str, object]) -> None:
    """A result as ``--json`` or a two-column table (times and empty values left out)."""
    rows = [
        (k.replace("_", " "), v)
        for k, v in result.items()
        if v is not None and not k.endswith("_ms")
    ]
    emit(as_json, result, title, ["Field", "Value"], rows)


@order.command("trigger")
@click.argument("symbol")
@click.option("--side", type=click.Choice(list(SIDE_NAMES)), required=True, help="As `place`.")
@click.option("--vol", required=True, callback=decimal_arg, help="Contracts.")
@click.option("--when", type=click.Choice(list(WHEN)), required=True, help="Direction.")
@click.option("--at", "trigger_price", required=True, callback=decimal_arg, help="Trigger price.")
@click.option("--price", callback=decimal_arg, help="Limit price once fired (default: market).")
@price_type_option
@click.option("--leverage", type=int, help="Leverage for opening orders.")
@click.option("--expires", type=click.Choice(["24h", "7d"]), default="24h", show_default=True)
@margin_option
@yes_option
@json_option
@click.pass_context
def trigger(
    ctx: click.Context,
    symbol: str,
    side: str,
    vol: Decimal,
    when: str,
    trigger_price: Decimal,
    price: Decimal | None,
    price_type: Any,
    leverage: int | None,
    expires: str,
    margin: str,
    yes: bool,
    as_json: bool,
) -> None:
    """A trigger (plan) order on SYMBOL: when the watched price reaches --at, the venue places
    the order (market, or limit at --price). Waits 24 h (or 7 d), then expires.

    \b
    Examples:
      mexc-futures order trigger BTC_USDT --side buy --vol 1 --when falls-to --at 58000
      mexc-futures order trigger BTC_USDT --side close-long --vol 1 --when rises-to \\
          --at 66000 --price 65990 --price-type fair
    """
    sym = symbol.upper()
    intent = PlaceTrigger(
        symbol=sym,
        side=SIDE_NAMES[side],
        vol=vol,
        trigger_price=trigger_price,
        when=WHEN[when],
        price_type=price_type,
        kind=OrderKind.MARKET if price is None else OrderKind.LIMIT,
        price=price,
        leverage=leverage,
        margin_mode=MarginMode.ISOLATED if margin == "isolated" else MarginMode.CROSS,
        expires_in_days=7 if expires == "7d" else 1,
        label="cli",
    )
    show(as_json, "Trigger order", run(submit_conditional(ctx, sym, intent, yes)))


def _callback(_c: click.Context, _p: click.Parameter, v: str) -> tuple[str, Decimal]:
    try:
        if v.endswith("%"):
            return "rate", Decimal(v[:-1]) / 100
        return "distance", Decimal(v)
    except InvalidOperation:
        raise click.BadParameter(f"{v!r}: give a percentage (1%) or a price distance") from None


@order.command("trailing")
@click.argument("symbol")
@click.option("--side", type=click.Choice(list(SIDE_NAMES)), required=True, help="As `place`.")
@click.option("--vol", required=True, callback=decimal_arg, help="Contracts.")
@click.option(
    "--callback",
    required=True,
    callback=_callback,
    help="How far back from the best price fires it: 1% (rate) or 250 (price distance).",
)
@click.option("--activation", callback=decimal_arg, help="Start trailing once crossed.")
@price_type_option
@click.option("--leverage", type=int, help="Leverage for opening orders.")
@margin_option
@yes_option
@json_option
@click.pass_context
def trailing(
    ctx: click.Context,
    symbol: str,
    side: str,
    vol: Decimal,
    callback: tuple[str, Decimal],
    activation: Decimal | None,
    price_type: Any,
    leverage: int | None,
    margin: str,
    yes: bool,
    as_json: bool,
) -> None:
    """A trailing stop on SYMBOL (spec §5.8): follows the best price and fires a market order
    when the price comes back by --callback.

    \b
    Examples:
      mexc-futures order trailing BTC_USDT --side close-long --vol 1 --callback 1%
      mexc-futures order trailing BTC_USDT --side close-short --vol 2 --callback 150 \\
          --activation 59000
    """
    sym = symbol.upper()
    how, amount = callback
    intent = PlaceTrailing(
        symbol=sym,
        side=SIDE_NAMES[side],
        vol=vol,
        callback_rate=amount if how == "rate" else None,
        callback_distance=amount if how == "distance" else None,
        activation_price=activation,
        price_type=price_type,
        leverage=leverage,
        margin_mode=MarginMode.ISOLATED if margin == "isolated" else MarginMode.CROSS,
        label="cli",
    )
    show(as_json, "Trailing order", run(submit_conditional(ctx, sym, intent, yes)))


class BatchItem(msgspec.Struct, forbid_unknown_fields=True):
    """One order of ``order batch FILE``."""

    symbol: str
    side: str
    vol: Decimal
    type: str = "limit"
    price: Decimal | None = None
    leverage: int | None = None


@order.command("batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--stp-mode", type=click.IntRange(0, 3), default=0, show_default=True)
@yes_option
@json_option
@click.pass_context
def batch(ctx: click.Context, file: Path, stp_mode: int, yes: bool, as_json: bool) -> None:
    """Place up to 50 orders from FILE (a JSON list) in one request, one result per order.
    The venue serves batches to market-maker accounts only (v2 docs); --stp-mode: 0 none,
    1 cancel both, 2 cancel maker, 3 cancel taker.

    \b
    FILE example:
      [{"symbol": "BTC_USDT", "side": "buy", "vol": 1, "price": 58000, "leverage": 10},
       {"symbol": "BTC_USDT", "side": "sell", "vol": 1, "price": 66000, "leverage": 10}]
    """
    try:
        items = msgspec.json.decode(file.read_bytes(), type=list[BatchItem])
    except msgspec.DecodeError as e:
        msg = f"{file}: {e}. See `mexc-futures order batch --help` for the format."
        raise CliError(msg) from None
    if not 0 < len(items) <= BATCH_MAX:
        raise CliError(f"{file}: a batch holds 1 to {BATCH_MAX} orders, not {len(items)}.")
    for i in items:
        if i.side not in SIDE_NAMES or i.type not in KINDS:
            raise CliError(f"{file}: side must be one of {list(SIDE_NAMES)}, type of {list(KINDS)}")

    async def go() -> list[dict[str, object]]:
        async with connect(options(ctx), keys=True) as (t, rest):
            refuse_if_killed(t.options)
            orders = []
            for i in items:
                sym = i.symbol.upper()
                spec = contract_spec(await check_symbol(rest, sym))
                spec.validate_order(i.vol, i.price, i.leverage)
                orders.append(
                    PlaceOrder(
                        symbol=sym,
                        side=SIDE_NAMES[i.side],
                        kind=KINDS[i.type],
                        vol=i.vol,
                        price=i.price,
                        leverage=i.leverage,
                        label="cli batch",
                    )
                )
            confirm_live(t, f"batch of {len(orders)} orders", yes)
            async with execution(t, rest, orders[0].symbol) as ex:
                tracked = await ex.submit(PlaceBatch(orders=tuple(orders), stp_mode=stp_mode))
        return [
            {
                "symbol": o.symbol,
                "order_id": o.order_id,
                "external_oid": o.external_oid,
                "state": o.state.value,
                "error_code": o.error_code,
            }
            for o in tracked
        ]

    rows = run(go())
    emit(
        as_json,
        rows,
        "Batch",
        ["Symbol", "Order id", "State", "error"],
        [(r["symbol"], r["order_id"] or "-", r["state"], r["error_code"]) for r in rows],
    )
    if any(r["error_code"] for r in rows):
        raise CliError("Some orders of the batch were refused (see the error column).")


@order.command("triggers")
@symbol_filter_option
@click.option("--all", "every", is_flag=True, help="Also executed, cancelled and expired ones.")
@json_option
@click.pass_context
def triggers(ctx: click.Context, symbol: str | None, every: bool, as_json: bool) -> None:
    """Trigger (plan) orders: waiting ones (with --all: the last 7 days)."""

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (_t, rest):
            states = None if every else "1"
            return await rest.list_plan_orders(symbol.upper() if symbol else None, states=states)

    rows = [cond_schema.plan(r) for r in run(go())]
    emit(
        as_json,
        rows,
        "Trigger orders",
        ["Id", "Symbol", "Side", "vol", "when", "trigger", "watch", "price", "State"],
        [
            (
                r["trigger_id"],
                r["symbol"],
                r["side"],
                r["vol"],
                ">=" if r["when"] == "rises to" else "<=",
                r["trigger_price"],
                r["price_type"],
                r["price"] or "market",
                r["state"],
            )
            for r in rows
        ],
        empty="No trigger orders.",
    )


@order.command("stops")
@symbol_filter_option
@json_option
@click.pass_context
def stops(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Open stop-loss / take-profit orders on positions."""

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (_t, rest):
            return await rest.get_stop_orders(symbol.upper() if symbol else None)

    rows = [cond_schema.stop(r) for r in run(go())]
    emit(
        as_json,
        rows,
        "Stop-loss / take-profit",
        ["Id", "Symbol", "Position", "vol", "stop-loss", "take-profit", "watch SL/TP"],
        [
            (
                r["stop_id"],
                r["symbol"],
                r["position"] or r["position_id"],
                r["vol"] or "all",
                r["stop_loss"] or "-",
                r["take_profit"] or "-",
                f"{r['stop_loss_price_type']}/{r['take_profit_price_type']}",
            )
            for r in rows
        ],
        empty="No stop-loss / take-profit orders.",
    )


@order.command("trailings")
@symbol_filter_option
@json_option
@click.pass_context
def trailings(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Waiting and active trailing orders."""

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (_t, rest):
            return await rest.list_track_orders(symbol.upper() if symbol else None, states="0,1")

    rows = [cond_schema.track(r) for r in run(go())]
    emit(
        as_json,
        rows,
        "Trailing orders",
        ["Id", "Symbol", "Side", "vol", "callback", "activation", "State"],
        [
            (
                r["trailing_id"],
                r["symbol"],
                r["side"],
                r["vol"],
                f"{Decimal(r['callback_rate']) * 100:f}%"
                if r["callback_rate"]
                else r["callback_distance"],
                r["activation_price"] or "-",
                r["state"],
            )
            for r in rows
        ],
        empty="No trailing orders.",
    )


def _cancel_command(kind: str, name: str) -> click.Command:
    @click.command(name)
    @click.argument("venue_id")
    @click.option("--symbol", required=True, help="Contract of the order, e.g. BTC_USDT.")
    @json_option
    @click.pass_context
    def cmd(ctx: click.Context, venue_id: str, symbol: str, as_json: bool) -> None:
        sym = symbol.upper()
        intent = CancelConditional(symbol=sym, kind=kind, venue_id=venue_id, label="cli")
        show(as_json, f"Cancel {kind}", run(submit_conditional(ctx, sym, intent, True)))

    cmd.help = (
        f"Cancel the {kind} order VENUE_ID (allowed with the kill switch tripped); "
        f"`mexc-futures order {kind}s` lists them."
    )
    return cmd


for _kind in ("trigger", "stop", "trailing"):
    order.add_command(_cancel_command(_kind, f"cancel-{_kind}"))


@order.command("amend-stop")
@click.argument("stop_id")
@click.option("--symbol", required=True, help="Contract, e.g. BTC_USDT.")
@click.option("--stop-loss", callback=decimal_arg, help="New stop-loss (0 removes it).")
@click.option("--take-profit", callback=decimal_arg, help="New take-profit (0 removes it).")
@yes_option
@json_option
@click.pass_context
def amend_stop(
    ctx: click.Context,
    stop_id: str,
    symbol: str,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Move the levels of stop-loss / take-profit STOP_ID (`mexc-futures order stops`)."""
    if stop_loss is None and take_profit is None:
        raise click.UsageError("give --stop-loss, --take-profit or both.")
    sym = symbol.upper()
    intent = AmendStop(
        symbol=sym,
        stop_id=stop_id,
        stop_loss_price=stop_loss,
        take_profit_price=take_profit,
        label="cli",
    )
    show(as_json, "Stop amended", run(submit_conditional(ctx, sym, intent, yes)))


__all__ = ["conditional_result", "show", "submit_conditional"]
