"""Market-data commands: ``book``, ``ticker``, ``klines`` (spec §4.2, §4.4, §4.6)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.progress import Progress

from mexc_futures.cli.common import (
    CliError,
    connect,
    emit_json,
    emit_table,
    json_option,
    options,
    run,
)
from mexc_futures.protocol import rest as w
from mexc_futures.transport.rest import RestClient

INTERVALS = {
    "Min1": 60,
    "Min5": 300,
    "Min15": 900,
    "Min30": 1800,
    "Min60": 3600,
    "Hour4": 14_400,
    "Hour8": 28_800,
    "Day1": 86_400,
    "Week1": 604_800,
    "Month1": 2_592_000,
}
MAX_BARS = 2000  # per request, spec §4.4


async def check_symbol(rest: RestClient, symbol: str) -> w.ContractDetail:
    """The contract of ``symbol``; the venue's 1001 becomes an 'unknown symbol' message."""
    return await rest.get_contract(symbol.upper())


@click.command()
@click.argument("symbol")
@click.option("--limit", default=10, show_default=True, help="Levels per side.")
@json_option
@click.pass_context
def book(ctx: click.Context, symbol: str, limit: int, as_json: bool) -> None:
    """Order-book snapshot of SYMBOL: asks above, bids below (prices, contracts, orders).

    \b
    Examples:
      mexc-futures book BTC_USDT
      mexc-futures book ETH_USDT --limit 20 --json
    """

    async def go() -> None:
        async with connect(options(ctx), keys=False) as (_, rest):
            await check_symbol(rest, symbol)
            depth = await rest.get_depth(symbol.upper(), limit)
        asks, bids = list(depth.asks)[:limit], list(depth.bids)[:limit]
        if as_json:
            emit_json(
                {"symbol": symbol.upper(), "version": depth.version, "asks": asks, "bids": bids}
            )
            return
        rows = [("ask", a.price, a.vol, a.count) for a in reversed(asks)]
        rows += [("bid", b.price, b.vol, b.count) for b in bids]
        emit_table(
            f"{symbol.upper()} book v{depth.version}",
            ["Side", "price", "contracts", "orders"],
            rows,
        )

    run(go())


@click.command()
@click.argument("symbol", required=False)
@json_option
@click.pass_context
def ticker(ctx: click.Context, symbol: str | None, as_json: bool) -> None:
    """Ticker of SYMBOL, or of every contract when SYMBOL is omitted.

    \b
    Examples:
      mexc-futures ticker BTC_USDT
      mexc-futures ticker --json          # every contract, for scripts
    """

    async def go() -> None:
        async with connect(options(ctx), keys=False) as (_, rest):
            if symbol:
                await check_symbol(rest, symbol)
                rows = [await rest.get_ticker(symbol.upper())]
            else:
                rows = await rest.get_tickers()
        if as_json:
            emit_json(rows)
            return
        emit_table(
            "Tickers",
            ["Symbol", "last", "bid", "ask", "24h %", "funding", "mark"],
            [
                (
                    r.symbol,
                    r.last_price,
                    r.bid1,
                    r.ask1,
                    f"{r.rise_fall_rate * 100:+.2f}",
                    r.funding_rate,
                    r.fair_price,
                )
                for r in rows
            ],
        )

    run(go())


def parse_time(text: str) -> int:
    """Unix seconds from ``1700000000`` or an ISO date/time (UTC when no zone is given)."""
    if text.isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: use Unix seconds or ISO like 2026-01-31T12:00"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


@click.command()
@click.argument("symbol")
@click.option("--interval", type=click.Choice(list(INTERVALS)), default="Min1", show_default=True)
@click.option("--start", help="Start (Unix s or ISO, UTC). Default: --bars before --end.")
@click.option("--end", help="End (Unix s or ISO, UTC). Default: now.")
@click.option("--bars", default=100, show_default=True, help="Bars when --start is not given.")
@json_option
@click.pass_context
def klines(
    ctx: click.Context,
    symbol: str,
    interval: str,
    start: str | None,
    end: str | None,
    bars: int,
    as_json: bool,
) -> None:
    """OHLCV bars of SYMBOL. Long ranges are fetched in 2000-bar pages with a progress bar.

    \b
    Examples:
      mexc-futures klines BTC_USDT --interval Min5 --bars 50
      mexc-futures klines BTC_USDT --start 2026-01-01 --end 2026-01-08 --json > week.json
    """

    async def go() -> None:
        step = INTERVALS[interval]
        async with connect(options(ctx), keys=False) as (_, rest):
            await check_symbol(rest, symbol)
            end_s = parse_time(end) if end else (await rest.ping()) // 1000
            start_s = parse_time(start) if start else end_s - bars * step
            if start_s >= end_s:
                raise CliError("--start must be before --end.")
            pages = max(1, -(-(end_s - start_s) // (step * MAX_BARS)))
            out: dict[int, tuple[float, ...]] = {}
            with Progress(transient=True, disable=pages < 2) as progress:
                task = progress.add_task(f"{symbol.upper()} {interval}", total=pages)
                cursor = start_s
                while cursor < end_s:
                    upto = min(end_s, cursor + step * MAX_BARS)
                    k = await rest.get_klines(symbol.upper(), interval, cursor, upto)
                    for i, ts in enumerate(k.time):
                        if start_s <= ts <= end_s:
                            vol = k.vol[i] if i < len(k.vol) else 0.0
                            out[ts] = (k.open[i], k.high[i], k.low[i], k.close[i], vol)
                    cursor = upto
                    progress.advance(task)
        rows = sorted(out.items())
        if as_json:
            emit_json(
                [
                    {"time": ts, "open": o, "high": h, "low": lo, "close": c, "vol": v}
                    for ts, (o, h, lo, c, v) in rows
                ]
            )
            return
        emit_table(
            f"{symbol.upper()} {interval} ({len(rows)} bars)",
            ["Time (UTC)", "open", "high", "low", "close", "vol"],
            [
                (datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M"), *vals)
                for ts, vals in rows
            ],
            empty="No bars in that range.",
        )

    run(go())


__all__ = ["book", "klines", "ticker"]
