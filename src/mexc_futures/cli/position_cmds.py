"""``position close|reverse|margin|auto-margin|protect`` (issue #15; spec §5.2, §5.7).

Closing, reversing and protecting go through the ``ExecutionManager``: journaled before they are
sent, a lost answer looked up (positions, stop lists), never sent twice. ``close`` is allowed
with the kill switch tripped (it only reduces); ``reverse`` and ``protect`` are refused then.
``--json`` on all.
"""

from __future__ import annotations

from decimal import Decimal

import click

from mexc_futures.cli.common import (
    CliError,
    confirm_live,
    connect,
    json_option,
    options,
    run,
    yes_option,
)
from mexc_futures.cli.cond_cmds import price_type_option, show, submit_conditional
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.cli.order_cmds import decimal_arg, execution
from mexc_futures.model.intents import CloseAll, ClosePosition, PlaceStop, ReversePosition

SIDES = {"long": 1, "short": 2}
side_option = click.option(
    "--side",
    type=click.Choice(list(SIDES)),
    help="Which position (needed in hedge mode when both sides are held).",
)


@click.group()
def position() -> None:
    """Close, reverse, protect and fund positions.

    \b
    Examples:
      mexc-futures position protect BTC_USDT --stop-loss 58000 --take-profit 66000
      mexc-futures position close BTC_USDT
      mexc-futures position close --all
      mexc-futures position reverse BTC_USDT
      mexc-futures position margin BTC_USDT --add 50
    """


async def _side(ctx: click.Context, symbol: str, side: str | None) -> tuple[int, int, Decimal]:
    """``(position side, position id, held)`` of the one position named."""
    async with connect(options(ctx), keys=True) as (_t, rest):
        await check_symbol(rest, symbol)
        held = [p for p in await rest.get_positions(symbol) if p.hold_vol > 0]
    if side is not None:
        held = [p for p in held if p.position_type == SIDES[side]]
    if not held:
        raise CliError(f"No {side or ''} {symbol} position is open (see `mexc-futures positions`).")
    if len(held) > 1:
        raise CliError(f"Both a long and a short {symbol} position are open: add --side.")
    p = held[0]
    return p.position_type, int(p.position_id), p.hold_vol


@position.command("close")
@click.argument("symbol", required=False)
@click.option("--all", "every", is_flag=True, help="Close every position on the account.")
@side_option
@yes_option
@json_option
@click.pass_context
def close(
    ctx: click.Context, symbol: str | None, every: bool, side: str | None, yes: bool, as_json: bool
) -> None:
    """Market-close the SYMBOL position (or, with --all, every position) and check it is gone.

    \b
    Examples:
      mexc-futures position close BTC_USDT
      mexc-futures position close BTC_USDT --side short
      mexc-futures --live position close --all --yes
    """
    if every == (symbol is not None):
        raise click.UsageError("give SYMBOL or --all (not both).")

    async def go() -> dict[str, object]:
        sym = symbol.upper() if symbol else None
        ptype = None
        if sym is not None:
            ptype, _pid, _held = await _side(ctx, sym, side)
        async with connect(options(ctx), keys=True) as (t, rest):
            confirm_live(t, f"close {'every position' if sym is None else sym} at market", yes)
            async with execution(t, rest, sym) as ex:
                if sym is None:
                    await ex.submit(CloseAll(label="cli"))
                else:
                    assert ptype is not None  # nosec B101  # narrowing
                    await ex.submit(ClosePosition(symbol=sym, position_side=ptype, label="cli"))
            left = [p for p in await rest.get_positions(sym) if p.hold_vol > 0]
        return {"symbol": sym or "all", "positions_left": len(left)}

    result = run(go())
    show(as_json, "Close", result)
    if result["positions_left"]:
        raise CliError("A position is still open; run the command again or check `positions`.")


@position.command("reverse")
@click.argument("symbol")
@side_option
@yes_option
@json_option
@click.pass_context
def reverse(ctx: click.Context, symbol: str, side: str | None, yes: bool, as_json: bool) -> None:
    """Close the SYMBOL position and open the same size the other way (spec §5.2).

    \b
    Example:
      mexc-futures position reverse BTC_USDT
    """
    sym = symbol.upper()

    async def go() -> dict[str, object]:
        ptype, _pid, _held = await _side(ctx, sym, side)
        return await submit_conditional(
            ctx, sym, ReversePosition(symbol=sym, position_side=ptype, label="cli"), yes
        )

    result = run(go())
    show(as_json, "Reverse", result)


@position.command("protect")
@click.argument("symbol")
@click.option("--stop-loss", callback=decimal_arg, help="Close at market at this price.")
@click.option("--take-profit", callback=decimal_arg, help="Close at market at this price.")
@click.option("--vol", callback=decimal_arg, help="Contracts to protect (default: all).")
@side_option
@price_type_option
@yes_option
@json_option
@click.pass_context
def protect(
    ctx: click.Context,
    symbol: str,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
    vol: Decimal | None,
    side: str | None,
    price_type: object,
    yes: bool,
    as_json: bool,
) -> None:
    """Put a stop-loss and/or take-profit on the open SYMBOL position (spec §5.7); the
    watched price is --price-type (last, fair or index). `mexc-futures order stops` lists them.

    \b
    Examples:
      mexc-futures position protect BTC_USDT --stop-loss 58000 --take-profit 66000
      mexc-futures position protect BTC_USDT --stop-loss 58000 --price-type fair --vol 1
    """
    if stop_loss is None and take_profit is None:
        raise click.UsageError("give --stop-loss, --take-profit or both.")
    sym = symbol.upper()

    async def go() -> dict[str, object]:
        ptype, _pid, _held = await _side(ctx, sym, side)
        intent = PlaceStop(
            symbol=sym,
            position_side=ptype,
            stop_loss_price=stop_loss,
            take_profit_price=take_profit,
            stop_loss_trigger=price_type,  # type: ignore[arg-type]
            take_profit_trigger=price_type,  # type: ignore[arg-type]
            vol=vol,
            label="cli",
        )
        return await submit_conditional(ctx, sym, intent, yes)

    result = run(go())
    show(as_json, "Protected", result)


@position.command("margin")
@click.argument("symbol")
@click.option("--add", "add", callback=decimal_arg, help="Add this much margin (USDT).")
@click.option("--remove", callback=decimal_arg, help="Take this much margin out.")
@click.option("--auto/--no-auto", default=None, help="Switch automatic margin top-up.")
@side_option
@yes_option
@json_option
@click.pass_context
def margin(
    ctx: click.Context,
    symbol: str,
    add: Decimal | None,
    remove: Decimal | None,
    auto: bool | None,
    side: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Add or remove isolated margin of the SYMBOL position, or switch auto top-up
    (spec §5.2; removing more than it can spare answers 2018).

    \b
    Examples:
      mexc-futures position margin BTC_USDT --add 50
      mexc-futures position margin BTC_USDT --remove 20 --side long
      mexc-futures position margin BTC_USDT --auto
    """
    if sum(x is not None for x in (add, remove, auto)) != 1:
        raise click.UsageError("give exactly one of --add, --remove, --auto/--no-auto.")
    sym = symbol.upper()

    async def go() -> dict[str, object]:
        _ptype, pid, _held = await _side(ctx, sym, side)
        async with connect(options(ctx), keys=True) as (t, rest):
            if auto is not None:
                await rest.change_auto_add_margin(pid, auto)
            else:
                amount = add if add is not None else remove
                assert amount is not None  # nosec B101  # checked above
                confirm_live(t, f"{'add' if add else 'remove'} {amount} margin on {sym}", yes)
                await rest.change_margin(pid, amount, add=add is not None)
            row = next(p for p in await rest.get_positions(sym) if int(p.position_id) == pid)
        return {
            "symbol": sym,
            "position_id": pid,
            "margin": str(row.im),
            "liquidation_price": str(row.liquidate_price),
            "auto_add_margin": row.auto_add_im,
        }

    result = run(go())
    show(as_json, "Margin", result)


__all__ = ["position"]
