"""``mexc-futures gateway`` and ``mexc-futures bus status`` (issue #18; docs/bus.md)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

import click

from mexc_futures.cli.common import CliError, emit_json, open_target, options, run
from mexc_futures.errors import ConfigError, MexcError
from mexc_futures.marketdata.config import market_data_limiter

BUS_HELP = ("Redis bus URL, e.g. redis://127.0.0.1:6379/0 (or MEXC_BUS_URL; a password only "
            "in MEXC_BUS_PASSWORD).")


def resolve_bus(given: str | None) -> Any:
    """``--bus`` / ``MEXC_BUS_URL`` -> ``BusURL``; ``CliError`` when neither is set or bad."""
    from mexc_futures.bus.url import resolve_bus_url

    try:
        url = resolve_bus_url(given, os.environ)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if url is None:
        raise CliError("no bus given: pass --bus redis://HOST:PORT/DB or set MEXC_BUS_URL "
                       "(start one with `redis-server --bind 127.0.0.1 --save ''`).")
    return url


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


@click.command("gateway")
@click.option("--bus", "bus_url", help=BUS_HELP)
@click.option("--symbols", required=True,
              help="Comma-separated contracts, or `all` for every perpetual the venue lists.")
@click.option("--channels", default="depth,deal,ticker,funding.rate", show_default=True,
              help="Channels per symbol: depth, deal, ticker, funding.rate, index.price, "
              "fair.price.")
@click.option("--name", default="gateway", show_default=True,
              help="This gateway's name (heartbeat key mx:gw:NAME, control events).")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True),
              help="Stop after this many seconds (default: until Ctrl-C).")
@click.option("--quiet", is_flag=True, help="No status line.")
@click.pass_context
def gateway(ctx: click.Context, bus_url: str | None, symbols: str, channels: str, name: str,
            duration: float | None, quiet: bool) -> None:
    """Ingest market data once and publish it on a Redis bus for other processes.

    One market-data stack (connections, exact books, resyncs, deal recovery) publishes every
    received frame with its receive time and a per-stream sequence to
    mx:md:{channel}:{symbol} (kept 120 s), control events to mx:md:ctl, and answers book
    snapshots from its exact books, so `run --bus` strategies, recorders and dashboards never
    connect to the venue and never spend its snapshot budget (10 per 2 s).

    \b
    Examples:
      redis-server --bind 127.0.0.1 --save '' --appendonly no &
      mexc-futures --live gateway --bus redis://127.0.0.1:6379/0 --symbols BTC_USDT,ETH_USDT
      mexc-futures --live gateway --bus redis://127.0.0.1:6379/0 --symbols all
      mexc-futures run market_maker --bus redis://127.0.0.1:6379/0   # market data from it
      mexc-futures bus status --bus redis://127.0.0.1:6379/0
    """
    from mexc_futures.bus.conn import BusConnection
    from mexc_futures.bus.gateway import check_channels, run_gateway
    from mexc_futures.transport.rest import RestClient

    url = resolve_bus(bus_url)
    try:
        chans = check_channels(_split(channels))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    wanted = [s.upper() for s in _split(symbols)]
    if not wanted:
        raise CliError("--symbols: give contracts like BTC_USDT,ETH_USDT or `all`.")
    opts = options(ctx)

    async def go() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        every = None if wanted == ["ALL"] else wanted
        async with open_target(opts, keys=False, symbols=every) as t:
            clock: Any = t.emulator.clock if t.emulator is not None else None
            kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
            async with RestClient(t.env, limiter=market_data_limiter(), **kw) as rest, \
                    BusConnection(url, name=name) as bus:
                syms = every or sorted(c.symbol for c in await rest.get_contracts())
                click.echo(f"gateway {name}: {len(syms)} symbols x {len(chans)} channels -> "
                           f"{url} (Ctrl-C stops)", err=True)
                return await run_gateway(t.env, bus, syms, rest=rest, channels=chans,
                                         name=name, duration=duration, stop=stop,
                                         progress=None if quiet else _Status(), **kw)

    try:
        stats = run(go())
    except MexcError as exc:
        raise CliError(str(exc)) from None
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"gateway {name}: {stats.frames:,} frames received, {stats.published:,} "
               f"published, {stats.dropped:,} dropped while the bus was down, "
               f"{stats.snapshots:,} snapshots served")


class _Status:
    """A status line on stderr every 10 s (every 0.5 s on a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._n = 0

    def __call__(self, md: Any) -> None:
        self._n += 1
        if not self.tty and self._n % 20:
            return
        synced = int(md.sync_progress().get("synced", 0))
        text = (f"bus {md.bus.state}  frames {md.stats.frames:,}  published "
                f"{md.writer.published:,}  dropped {md.writer.dropped:,}  books synced "
                f"{synced}  control events {md.stats.ctl_events:,}")
        click.echo(("\r" + text.ljust(100)) if self.tty else text, nl=not self.tty, err=True)


@click.group("bus")
def bus() -> None:
    """The Redis bus: `bus status` shows streams, consumer groups, lag and memory."""


@bus.command("status")
@click.option("--bus", "bus_url", help=BUS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(bus_url: str | None, as_json: bool) -> None:
    """Stream lengths, consumer groups (lag, pending), gateways and Redis memory.

    \b
    Examples:
      mexc-futures bus status --bus redis://127.0.0.1:6379/0
      MEXC_BUS_URL=redis://127.0.0.1:6379/0 mexc-futures bus status --json
    """
    from mexc_futures.bus.conn import BusConnection
    from mexc_futures.bus.status import collect, render

    url = resolve_bus(bus_url)

    async def go() -> Any:
        async with BusConnection(url, name="bus-status") as conn:
            return await collect(conn)

    try:
        data = run(go())
    except MexcError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        emit_json(data)
    else:
        click.echo(render(data))


__all__ = ["bus", "gateway", "resolve_bus"]
