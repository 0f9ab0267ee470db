"""Account read commands and leverage: ``balance``, ``positions``, ``orders``, ``leverage``
(spec §5.1, §5.2, §5.5)."""

from __future__ import annotations

import click

from mexc_futures.cli.common import (
    CliError,
    confirm_live,
    emit_json,
    emit_table,
    json_option,
    open_target,
    options,
    run,
)
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.transport.rest import RestClient

SIDES = {1: "open long", 2: "close short", 3: "open short", 4: "close long"}
TYPES = {1: "limit", 2: "post-only", 3: "IOC", 4: "FOK", 5: "market", 6: "market→limit"}
STATES = {1: "pending", 2: "open", 3: "filled", 4: "cancelled", 5: "invalid"}


@click.command()
@json_option
@click.pass_context
def balance(ctx: click.Context, as_json: bool) -> None:
    """Balances of the futures account (needs keys on --live).

    \b
    Examples:
      mexc-futures balance
      mexc-futures --live balance --json
    """

    async def go() -> None:
        async with (
            open_target(options(ctx), keys=True) as t,
            RestClient(t.env, t.credentials) as rest,
        ):
            rows = await rest.get_assets()
        if as_json:
            emit_json(rows)
            return
        emit_table(
            "Balances",
            ["Currency", "available", "frozen", "position margin", "equity", "unrealised"],
            [
                (
                    a.currency,
                    a.available_balance,
                    a.frozen_balance,
                    a.position_margin,
                    a.equity,
                    a.unrealized,
                )
                for a in rows
            ],
            empty="No balances.",
        )

    run(go())


@click.command()
@click.option("--symbol", help="Only this contract.")
@json_option
@click.pass_context
def positions(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Open positions (contracts, entry, liquidation price, realised PnL).

    \b
    Examples:
      mexc-futures positions
      mexc-futures positions --symbol BTC_USDT --json
    """

    async def go() -> None:
        async with (
            open_target(options(ctx), keys=True) as t,
            RestClient(t.env, t.credentials) as rest,
        ):
            if symbol:
                await check_symbol(rest, symbol)
            rows = await rest.get_positions(symbol.upper() if symbol else None)
        if as_json:
            emit_json(rows)
            return
        emit_table(
            "Positions",
            ["Symbol", "Side", "contracts", "entry", "liquidation", "leverage", "realised"],
            [
                (
                    p.symbol,
                    "long" if p.position_type == 1 else "short",
                    p.hold_vol,
                    p.hold_avg_price,
                    p.liquidate_price,
                    p.leverage,
                    p.realised,
                )
                for p in rows
            ],
            empty="No open positions.",
        )

    run(go())


@click.command()
@click.option("--symbol", help="Only this contract.")
@json_option
@click.pass_context
def orders(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Open orders.

    \b
    Examples:
      mexc-futures orders
      mexc-futures orders --symbol BTC_USDT --json
    """

    async def go() -> None:
        async with (
            open_target(options(ctx), keys=True) as t,
            RestClient(t.env, t.credentials) as rest,
        ):
            if symbol:
                await check_symbol(rest, symbol)
            rows = await rest.get_open_orders()
        if symbol:
            rows = [o for o in rows if o.symbol == symbol.upper()]
        if as_json:
            emit_json(rows)
            return
        emit_table(
            "Open orders",
            ["Order id", "Symbol", "Side", "Type", "price", "vol", "filled", "State"],
            [
                (
                    o.order_id,
                    o.symbol,
                    SIDES.get(o.side, o.side),
                    TYPES.get(o.order_type, o.order_type),
                    o.price,
                    o.vol,
                    o.deal_vol,
                    STATES.get(o.state, o.state),
                )
                for o in rows
            ],
            empty="No open orders.",
        )

    run(go())


@click.command()
@click.argument("symbol")
@click.option("--set", "value", type=int, help="New leverage (omit to show the current one).")
@click.option(
    "--side", type=click.Choice(["long", "short", "both"]), default="both", show_default=True
)
@click.option(
    "--margin", type=click.Choice(["isolated", "cross"]), default="isolated", show_default=True
)
@click.option("--yes", is_flag=True, help="Do not ask on --live.")
@json_option
@click.pass_context
def leverage(
    ctx: click.Context,
    symbol: str,
    value: int | None,
    side: str,
    margin: str,
    yes: bool,
    as_json: bool,
) -> None:
    """Show or change the leverage of SYMBOL.

    \b
    Examples:
      mexc-futures leverage BTC_USDT
      mexc-futures leverage BTC_USDT --set 5 --side long
    """

    async def go() -> None:
        async with (
            open_target(options(ctx), keys=True) as t,
            RestClient(t.env, t.credentials) as rest,
        ):
            spec = await check_symbol(rest, symbol)
            sym = symbol.upper()
            if value is not None:
                if not spec.min_leverage <= value <= spec.max_leverage:
                    raise CliError(
                        f"Leverage {value} is outside {spec.min_leverage}..{spec.max_leverage} "
                        f"for {sym}; pick a value in that range."
                    )
                confirm_live(t, f"set {sym} leverage to {value}x", yes)
                kinds = {"long": [1], "short": [2], "both": [1, 2]}[side]
                for pt in kinds:
                    await rest.change_leverage(
                        value,
                        symbol=sym,
                        open_type=1 if margin == "isolated" else 2,
                        position_type=pt,
                    )
            rows = await rest.get_leverage(sym)
        if as_json:
            emit_json(rows)
            return
        emit_table(
            f"{sym} leverage",
            ["Side", "leverage", "margin", "max vol", "mmr"],
            [
                (
                    "long" if r.position_type == 1 else "short",
                    r.leverage,
                    "isolated" if r.open_type == 1 else "cross",
                    r.max_vol,
                    r.mmr,
                )
                for r in rows
            ],
        )

    run(go())


__all__ = ["balance", "leverage", "orders", "positions"]
