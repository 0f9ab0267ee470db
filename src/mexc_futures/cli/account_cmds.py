"""Account read commands and leverage: ``balance``, ``positions``, ``orders``, ``leverage``
(spec §5.1, §5.2, §5.5).

``positions`` and ``orders`` share ``_listing``: connect with keys, check the ``--symbol`` filter
(an unknown one gets the 1001 "unknown symbol" message), fetch, print a table or ``--json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import click

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
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.transport.rest import RestClient

SIDES = {1: "open long", 2: "close short", 3: "open short", 4: "close long"}
TYPES = {1: "limit", 2: "post-only", 3: "IOC", 4: "FOK", 5: "market", 6: "market→limit"}
STATES = {1: "pending", 2: "open", 3: "filled", 4: "cancelled", 5: "invalid"}


def _listing(
    ctx: click.Context,
    symbol: str | None,
    as_json: bool,
    fetch: Callable[[RestClient, str | None], Awaitable[Sequence[Any]]],
    title: str,
    columns: Sequence[str],
    row: Callable[[Any], Sequence[object]],
    empty: str,
) -> None:
    """Fetch rows (of ``symbol`` when given) with keys and print them."""
    sym = symbol.upper() if symbol else None

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (_, rest):
            if sym:
                await check_symbol(rest, sym)
            return [r for r in await fetch(rest, sym) if sym is None or r.symbol == sym]

    rows = run(go())
    emit(as_json, rows, title, columns, [row(r) for r in rows], empty=empty)


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

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (_, rest):
            return list(await rest.get_assets())

    rows = run(go())
    emit(
        as_json,
        rows,
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


@click.command()
@symbol_filter_option
@json_option
@click.pass_context
def positions(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Open positions (contracts, entry, liquidation price, realised PnL).

    \b
    Examples:
      mexc-futures positions
      mexc-futures positions --symbol BTC_USDT --json
    """
    _listing(
        ctx,
        symbol,
        as_json,
        lambda rest, sym: rest.get_positions(sym),
        "Positions",
        ["Symbol", "Side", "contracts", "entry", "liquidation", "leverage", "realised"],
        lambda p: (
            p.symbol,
            "long" if p.position_type == 1 else "short",
            p.hold_vol,
            p.hold_avg_price,
            p.liquidate_price,
            p.leverage,
            p.realised,
        ),
        "No open positions.",
    )


@click.command()
@symbol_filter_option
@json_option
@click.pass_context
def orders(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Open orders (ids for `order amend` / `order cancel`).

    \b
    Examples:
      mexc-futures orders
      mexc-futures orders --symbol BTC_USDT --json
    """
    _listing(
        ctx,
        symbol,
        as_json,
        lambda rest, _sym: rest.get_open_orders(),
        "Open orders",
        ["Order id", "Symbol", "Side", "Type", "price", "vol", "filled", "State"],
        lambda o: (
            o.order_id,
            o.symbol,
            SIDES.get(o.side, o.side),
            TYPES.get(o.order_type, o.order_type),
            o.price,
            o.vol,
            o.deal_vol,
            STATES.get(o.state, o.state),
        ),
        "No open orders.",
    )


@click.command()
@click.argument("symbol")
@click.option("--set", "value", type=int, help="New leverage (omit to show the current one).")
@click.option(
    "--side",
    type=click.Choice(["long", "short", "both"]),
    default="both",
    show_default=True,
    help="Which position side to change.",
)
@margin_option
@yes_option
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
    sym = symbol.upper()

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=True) as (t, rest):
            spec = await check_symbol(rest, sym)
            if value is not None:
                if not spec.min_leverage <= value <= spec.max_leverage:
                    raise CliError(
                        f"Leverage {value} is outside {spec.min_leverage}..{spec.max_leverage} "
                        f"for {sym}; pick a value in that range."
                    )
                confirm_live(t, f"set {sym} leverage to {value}x", yes)
                for pt in {"long": [1], "short": [2], "both": [1, 2]}[side]:
                    await rest.change_leverage(
                        value,
                        symbol=sym,
                        open_type=1 if margin == "isolated" else 2,
                        position_type=pt,
                    )
            return list(await rest.get_leverage(sym))

    rows = run(go())
    emit(
        as_json,
        rows,
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


__all__ = ["SIDES", "STATES", "TYPES", "balance", "leverage", "orders", "positions"]
