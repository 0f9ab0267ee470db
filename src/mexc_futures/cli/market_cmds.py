"""Market-data commands: ``book``, ``ticker``, ``klines`` (spec §4.2, §4.4, §4.6).

Inputs are checked here before anything is sent (``--limit`` 1..1000, ``--bars`` >= 1: ux-audit
finding 10); tables print prices to the contract's tick and sizes to its volume step, funding as
a percentage, never scientific notation (finding 19); ``--json`` follows ``cli.schema``.
``klines --plot`` draws the closes as a terminal chart with a price axis and a time axis.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.progress import Progress

from mexc_futures.cli import fmt
from mexc_futures.cli.common import (
    CliError,
    connect,
    console,
    emit_json,
    emit_table,
    json_option,
    options,
    run,
)
from mexc_futures.cli.dashboard import chart
from mexc_futures.cli.schema import num
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
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Levels per side (1 to 1000).",
)
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
            spec = await check_symbol(rest, symbol)
            depth = await rest.get_depth(symbol.upper(), limit)
        asks, bids = list(depth.asks)[:limit], list(depth.bids)[:limit]
        if as_json:
            emit_json(
                {
                    "symbol": symbol.upper(),
                    "version": depth.version,
                    "asks": [
                        {"price": num(a.price), "vol": num(a.vol), "orders": a.count} for a in asks
                    ],
                    "bids": [
                        {"price": num(b.price), "vol": num(b.vol), "orders": b.count} for b in bids
                    ],
                }
            )
            return
        dp, vp = fmt.decimals_of(spec.price_unit), fmt.decimals_of(spec.vol_unit)
        rows: list[tuple[object, ...]] = [
            ("ask", fmt.price(a.price, dp), fmt.vol(a.vol, vp), a.count) for a in reversed(asks)
        ]
        if asks and bids:
            spread, mid = asks[0].price - bids[0].price, (asks[0].price + bids[0].price) / 2
            rows.append(("mid", fmt.price(mid, dp + 1), f"spread {fmt.price(spread, dp)}", ""))
        rows += [("bid", fmt.price(b.price, dp), fmt.vol(b.vol, vp), b.count) for b in bids]
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
            emit_json([_ticker_record(r) for r in rows])
            return
        emit_table(
            "Tickers",
            ["Symbol", "last", "bid", "ask", "24h", "funding", "mark", "24h volume"],
            [
                (
                    r.symbol,
                    _plain(r.last_price),
                    _plain(r.bid1),
                    _plain(r.ask1),
                    fmt.pct(r.rise_fall_rate, 2),
                    fmt.pct(r.funding_rate),
                    _plain(r.fair_price),
                    fmt.fixed(r.volume24, 0),
                )
                for r in rows
            ],
        )

    run(go())


def _plain(x: float | None) -> str:
    """A venue price as it was sent (``9.4999e-06`` -> ``0.0000094999``), grouped."""
    if x is None:
        return "-"
    text = num(x) or "-"
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "") if whole.lstrip("-").isdigit() else text


def _ticker_record(r: w.TickerData) -> dict[str, object]:
    return {
        "symbol": r.symbol,
        "last_price": num(r.last_price),
        "bid": num(r.bid1),
        "ask": num(r.ask1),
        "mark_price": num(r.fair_price),
        "index_price": num(r.index_price),
        "change_24h": num(r.rise_fall_rate),
        "funding_rate": num(r.funding_rate),
        "high_24h": num(r.high24_price),
        "low_24h": num(r.lower24_price),
        "volume_24h": num(r.volume24),
        "open_interest": num(r.hold_vol),
        "time_ms": r.timestamp,
    }


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
@click.option(
    "--bars",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Bars when --start is not given (>= 1).",
)
@click.option("--plot", is_flag=True, help="Draw the closes as a chart in the terminal.")
@json_option
@click.pass_context
def klines(
    ctx: click.Context,
    symbol: str,
    interval: str,
    start: str | None,
    end: str | None,
    bars: int,
    plot: bool,
    as_json: bool,
) -> None:
    """OHLCV bars of SYMBOL. Long ranges are fetched in 2000-bar pages with a progress bar.

    \b
    Examples:
      mexc-futures klines BTC_USDT --interval Min5 --bars 50
      mexc-futures klines BTC_USDT --start 2026-01-01 --end 2026-01-08 --json > week.json
      mexc-futures klines BTC_USDT --interval Min5 --bars 200 --plot
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
        wanted = (end_s - start_s) // step
        if rows and len(rows) < wanted - 1 and not as_json:  # one bar may still be open
            click.echo(
                f"Note: {len(rows)} of the {wanted} bars asked for exist in that range "
                f"(the venue's history starts at "
                f"{datetime.fromtimestamp(rows[0][0], UTC):%Y-%m-%d %H:%M} UTC).",
                err=True,
            )
        if as_json:
            emit_json(
                [
                    {
                        "time_s": ts,
                        "open": num(o),
                        "high": num(h),
                        "low": num(lo),
                        "close": num(c),
                        "vol": num(v),
                    }
                    for ts, (o, h, lo, c, v) in rows
                ]
            )
            return
        if plot:
            _plot(symbol.upper(), interval, rows)
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


def _plot(symbol: str, interval: str, rows: list[tuple[int, tuple[float, ...]]]) -> None:
    """Closes as a chart: price axis on the left, time axis (oldest .. newest) below."""
    if not rows:
        click.echo("No bars in that range.")
        return
    width = max(40, min(console().size.width, 160, len(rows) + 12))
    closes = [vals[3] for _, vals in rows]
    span = rows[-1][0] - rows[0][0]
    first = datetime.fromtimestamp(rows[0][0], UTC).strftime("%Y-%m-%d %H:%M")
    last = datetime.fromtimestamp(rows[-1][0], UTC).strftime("%Y-%m-%d %H:%M")
    lines = chart(closes, width, 12, "USDT", span, axis=(first, last))
    click.echo(f"{symbol} {interval} close, {len(rows)} bars, {first} .. {last} UTC")
    click.echo("\n".join(lines))


__all__ = ["book", "klines", "ticker"]
