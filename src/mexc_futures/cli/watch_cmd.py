"""``mexc-futures watch SYMBOL``: live book ladder, trades tape and ticker (rich.Live)."""

from __future__ import annotations

import asyncio
import contextlib

import click
from rich.live import Live

from mexc_futures.cli.common import connect, console, options, run
from mexc_futures.cli.dashboard import render, render_text
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.model.events import MarketEvent


@click.command()
@click.argument("symbol")
@click.option("--duration", type=float, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--refresh", default=4.0, show_default=True, help="Screen refreshes per second.")
@click.option(
    "--plain", is_flag=True, help="Print one text frame per second instead of a live view."
)
@click.pass_context
def watch(
    ctx: click.Context, symbol: str, duration: float | None, refresh: float, plain: bool
) -> None:
    """Live order-book ladder, trades tape and ticker of SYMBOL until Ctrl-C.

    \b
    Examples:
      mexc-futures watch BTC_USDT
      mexc-futures --live watch ETH_USDT
      mexc-futures watch BTC_USDT --duration 10 --plain     # for logs
    """

    async def go() -> None:
        sym = symbol.upper()
        async with connect(options(ctx), keys=False) as (t, rest):
            spec = await check_symbol(rest, sym)
            model = ViewModel(sym, price_decimals=spec.price_scale, duration_s=duration)
            async with MarketData(t.env, rest=rest) as md:
                for channel in ("depth", "deal", "ticker"):
                    await md.subscribe(channel, sym)
                model.depth = lambda s, n: md.book(s).top(n)
                await _loop(md, model, duration, refresh, plain)

    with contextlib.suppress(KeyboardInterrupt):
        run(go())


async def _loop(
    md: MarketData, model: ViewModel, duration: float | None, refresh: float, plain: bool
) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    def on_event(event: MarketEvent) -> None:
        model.on_event(event)

    md.on(on_event)
    period = 1.0 if plain else 1.0 / max(refresh, 0.5)
    if plain:
        while duration is None or loop.time() - t0 < duration:
            await asyncio.sleep(period)
            click.echo(render_text(model.snapshot(loop.time() - t0)))
        return
    with Live(
        render(model.snapshot()), console=console(), refresh_per_second=refresh, screen=False
    ) as live:
        while duration is None or loop.time() - t0 < duration:
            await asyncio.sleep(period)
            live.update(render(model.snapshot(loop.time() - t0)))


__all__ = ["watch"]
