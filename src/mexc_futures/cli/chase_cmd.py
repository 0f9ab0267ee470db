"""``order chase``: a chase-limit order kept at the best price for a while (issue #15; spec §5.3
``order/chase_limit_order``; docs/order-types.md "Chase").

The order goes through the ``ExecutionManager`` like ``order place`` (kill switch, symbol and
contract rules, journal first, a lost answer looked up by its ``externalOid``). The command then
stays for ``--for`` seconds, reading the best prices every ``--every`` seconds (REST ticker) and
asking the venue to move the order back to its side's best whenever the book left it behind,
never past ``--limit``. When the time is up, what is left is cancelled (``--keep`` leaves it
resting where it is, no longer chased). ``--json`` prints one object at the end.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import click

from mexc_futures.cli import fmt
from mexc_futures.cli.common import (
    CliError,
    confirm_live,
    connect,
    emit,
    json_option,
    margin_option,
    options,
    run,
    yes_option,
)
from mexc_futures.cli.cond_fmt import describe
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.cli.order_cmds import SIDE_NAMES, decimal_arg, execution, order
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.execution.chase import TrackedChase
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.intents import CancelOrder, MarginMode, PlaceChase


async def _follow(ex: ExecutionManager, c: TrackedChase, seconds: float, every: float) -> None:
    """Feed the best prices to the chase until it ends or ``seconds`` pass."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while c.live and loop.time() < end:
        t = await ex.rest.get_ticker(c.symbol)
        ex.chases.on_top(c.symbol, t.bid1, t.ask1)
        await asyncio.sleep(min(every, max(0.0, end - loop.time())))
        await ex.reconcile()  # fills and the order's state, without a private stream
    await ex.chases.settle()  # a move in flight: let its read-back land


def _result(ex: ExecutionManager, intent: PlaceChase, c: TrackedChase) -> dict[str, object]:
    o = ex.order(c.oid)
    return {
        "what": describe(intent),
        "state": c.state.value,
        "external_oid": c.oid,
        "order_id": None if o is None else o.order_id,
        "price": None if c.price is None else str(c.price),
        "limit": None if c.limit_price is None else str(c.limit_price),
        "moves": c.moves,
        "filled": None if o is None else str(o.filled),
        "detail": c.detail or None,
    }


def _show(as_json: bool, result: dict[str, object], decimals: int) -> None:
    """``--json``: the record (decimal strings); else a table, prices grouped to the tick."""
    rows = []
    for k, v in result.items():
        if v is None:
            continue
        if k in ("price", "limit"):
            v = fmt.price(Decimal(str(v)), decimals)
        rows.append((k.replace("_", " "), v))
    emit(as_json, result, "Chase", ["Field", "Value"], rows)


async def _chase(
    ctx: click.Context, intent: PlaceChase, seconds: float, every: float, keep: bool, yes: bool
) -> tuple[dict[str, object], int]:
    async with connect(options(ctx), keys=True) as (t, rest):
        refuse_if_killed(t.options)
        await check_symbol(rest, intent.symbol)
        confirm_live(t, describe(intent), yes)
        async with execution(t, rest, intent.symbol) as ex:
            c = await ex.submit(intent)
            if c.state.value in ("not_placed", "rejected"):
                raise CliError(f"{describe(intent)}: {c.state.value} ({c.detail}).")
            await _follow(ex, c, seconds, every)
            o = ex.order(c.oid)
            if c.live and not keep and o is not None and o.order_id:
                await ex.submit(CancelOrder(symbol=c.symbol, order_id=o.order_id, label="cli"))
                await ex.reconcile()
            spec = ex.specs.get(c.symbol)
            return _result(ex, intent, c), 1 if spec is None else fmt.decimals_of(spec.price_unit)


@order.command("chase")
@click.argument("symbol")
@click.option("--side", type=click.Choice(list(SIDE_NAMES)), required=True, help="As `place`.")
@click.option("--vol", required=True, callback=decimal_arg, help="Contracts.")
@click.option(
    "--limit", "limit_price", callback=decimal_arg,
    help="Never chase past this price (a buy above it, a sell below it).",
)
@click.option("--price", callback=decimal_arg, help="Start here (default: the best price now).")
@click.option("--post-only", is_flag=True, help="Maker only: cancelled by the venue, never taking.")
@click.option("--leverage", type=int, help="Leverage for opening orders.")
@click.option(
    "--for", "seconds", type=click.FloatRange(min=0), default=60.0, show_default=True,
    help="How long to chase, in seconds.",
)
@click.option(
    "--every", type=click.FloatRange(min=0.2), default=1.0, show_default=True,
    help="Seconds between two looks at the book (and at most one move per look).",
)
@click.option("--keep", is_flag=True, help="When time is up, leave what is left resting.")
@margin_option
@yes_option
@json_option
@click.pass_context
def chase(
    ctx: click.Context,
    symbol: str,
    side: str,
    vol: Decimal,
    limit_price: Decimal | None,
    price: Decimal | None,
    post_only: bool,
    leverage: int | None,
    seconds: float,
    every: float,
    keep: bool,
    margin: str,
    yes: bool,
    as_json: bool,
) -> None:
    """A chase-limit order on SYMBOL: rests at the best price of its side (best bid for a buy,
    best ask for a sell) and is moved back there whenever the book leaves it behind, for --for
    seconds; then what is left is cancelled (--keep: left resting). The venue's move endpoint
    shares the 4-per-2-seconds budget of order placement.

    \b
    Examples:
      mexc-futures order chase BTC_USDT --side buy --vol 1 --limit 60500 --for 120
      mexc-futures order chase ETH_USDT --side close-long --vol 3 --post-only --keep
    """
    intent = PlaceChase(
        symbol=symbol.upper(),
        side=SIDE_NAMES[side],
        vol=vol,
        limit_price=limit_price,
        price=price,
        post_only=post_only,
        leverage=leverage,
        margin_mode=MarginMode.ISOLATED if margin == "isolated" else MarginMode.CROSS,
        min_interval=every,
        label="cli",
    )
    result, decimals = run(_chase(ctx, intent, seconds, every, keep, yes))
    _show(as_json, result, decimals)
