"""``mexc-futures watch SYMBOL``: live book ladder, trades tape and ticker (rich.Live).

``--plain`` prints one line per second (top of book, last, trades in that second) and ``--json``
one JSON object per second (NDJSON): both for logs and pipes (ux-audit finding 12). Ctrl-C ends
it with exit status 0, as documented (finding 16).
"""

from __future__ import annotations

import asyncio
import contextlib

import click
from rich.live import Live

from mexc_futures.cli import fmt
from mexc_futures.cli.common import connect, console, emit_json, options, run
from mexc_futures.cli.dashboard import Screen
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.marketdata import MarketData
from mexc_futures.model.events import MarketEvent, Trade

POSITIVE = click.FloatRange(min=0, min_open=True)


@click.command()
@click.argument("symbol")
@click.option(
    "--duration", type=POSITIVE, help="Stop after this many seconds (> 0; default: Ctrl-C)."
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0.1, max=30),
    default=4.0,
    show_default=True,
    help="Screen refreshes per second (0.1 to 30).",
)
@click.option("--plain", is_flag=True, help="One text line per second instead of a live view.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per second (NDJSON).")
@click.pass_context
def watch(
    ctx: click.Context,
    symbol: str,
    duration: float | None,
    refresh: float,
    plain: bool,
    as_json: bool,
) -> None:
    """Live order-book ladder, trades tape and ticker of SYMBOL until Ctrl-C.

    \b
    Examples:
      mexc-futures watch BTC_USDT
      mexc-futures --live watch ETH_USDT
      mexc-futures watch BTC_USDT --duration 10 --plain     # for logs
      mexc-futures watch BTC_USDT --json | jq .bid           # NDJSON, one object per second
    """
    mode = "json" if as_json else "plain" if plain else "live"

    async def go() -> None:
        sym = symbol.upper()
        async with connect(options(ctx), keys=False) as (t, rest):
            spec = await check_symbol(rest, sym)
            model = ViewModel(sym, price_decimals=spec.price_scale, duration_s=duration)
            model.vol_decimals = max(0, spec.vol_scale)
            model.banner = {"mode": "WATCH", "endpoint": t.env.rest_url}
            async with MarketData(t.env, rest=rest) as md:
                for channel in ("depth", "deal", "ticker"):
                    await md.subscribe(channel, sym)
                model.depth = lambda s, n: md.book(s).top(n)
                await _loop(md, model, duration, refresh, mode)

    with contextlib.suppress(KeyboardInterrupt, click.Abort):
        run(go())


async def _loop(
    md: MarketData, model: ViewModel, duration: float | None, refresh: float, mode: str
) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    trades: list[Trade] = []

    def on_event(event: MarketEvent) -> None:
        model.on_event(event)
        if isinstance(event, Trade) and event.symbol == model.symbol:
            trades.append(event)

    md.on(on_event)
    if mode != "live":
        while duration is None or loop.time() - t0 < duration:
            left = 1.0 if duration is None else duration - (loop.time() - t0)
            await asyncio.sleep(min(1.0, max(left, 0.0)))
            _print_tick(model, trades, mode)
            trades.clear()
        return
    screen = Screen(model.snapshot())
    with Live(screen, console=console(), refresh_per_second=refresh, screen=False):
        while duration is None or loop.time() - t0 < duration:
            await asyncio.sleep(1.0 / refresh)
            screen.state = model.snapshot(loop.time() - t0)  # drawn by Live's thread


def _print_tick(model: ViewModel, trades: list[Trade], mode: str) -> None:
    """One line (or one JSON object) for the last second."""
    dp = model.price_decimals
    buys = sum(t.vol for t in trades if t.side == 1)
    sells = sum(t.vol for t in trades if t.side != 1)
    t = model.ticker
    if mode == "json":
        emit_json(
            {
                "symbol": model.symbol,
                "bid": model.bid,
                "ask": model.ask,
                "last": model.last,
                "mark": t.fair_price if t is not None else None,
                "funding_rate": t.funding_rate if t is not None else None,
                "trades": len(trades),
                "buy_vol": buys,
                "sell_vol": sells,
                "book_synced": model.synced,
                "book_version": model.version,
            }
        )
        return
    sync = "synced" if model.synced else "RESYNCING"
    click.echo(
        f"{model.symbol} bid {fmt.price(model.bid, dp)} ask {fmt.price(model.ask, dp)} "
        f"last {fmt.price(model.last, dp)} trades {len(trades)} (buy {buys:g}, sell {sells:g}) "
        f"book {sync} v{model.version}"
    )


__all__ = ["watch"]
