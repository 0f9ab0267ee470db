"""``mexc-futures emulator``: run the local MEXC Futures exchange until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import errno

import click

from mexc_futures.cli.common import CliError, check_emulator_symbols
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.server import Emulator

HELP = """Run a local MEXC Futures exchange (REST + WebSocket on one port).

\b
It speaks the real protocol, so any MEXC futures client can point at it:
  REST       http://HOST:PORT/api/v1/...      (public and signed private endpoints)
  WebSocket  ws://HOST:PORT/edge              (ping, login, personal.filter, sub.*)
  Control    http://HOST:PORT/_emulator/...   (faults, ground truth; needs the token)

\b
The market is synthetic and deterministic for a given --seed: makers and takers
move a drifting mid, producing depth versions, deals, klines, tickers, index,
fair price and funding. Signed requests must use the printed test key pair
(fixed ones with --api-key/--api-secret: local test keys, never real MEXC keys).
Other mexc-futures commands use it with --emulator-url and the keys in the
environment (MEXC_API_KEY / MEXC_API_SECRET), as they would for --live.
--speed scales venue time (limits, funding, klines); with --speed != 1 sign with
the server's time (GET /api/v1/contract/ping), not your own clock.

\b
Examples:
  mexc-futures emulator
  mexc-futures emulator --api-key test-key --api-secret test-secret-0001
    then, in another shell:
    export MEXC_EMULATOR_URL=http://127.0.0.1:8000
    export MEXC_API_KEY=test-key MEXC_API_SECRET=test-secret-0001
    mexc-futures order place BTC_USDT --side buy --vol 1 --price 60000 --type post-only
    mexc-futures orders
  mexc-futures emulator --port 9000 --seed 7 --symbols BTC_USDT,ETH_USDT
  mexc-futures emulator --contracts 800 --speed 60 --no-ws-limits
  curl -H "X-Emulator-Token: T" -d '{"fault":"stall"}' http://127.0.0.1:8000/_emulator/faults
"""


@click.command("emulator", help=HELP)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Keep loopback unless you know why not.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=int,
    help="TCP port for REST, WebSocket and control (0 = pick a free one).",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=int,
    help="Seed of the synthetic market: same seed, same market.",
)
@click.option(
    "--symbols",
    default=None,
    help="Comma-separated contracts to list, e.g. BTC_USDT,ETH_USDT (default: all).",
)
@click.option(
    "--contracts",
    "n_contracts",
    default=None,
    type=int,
    help="Pad the contract list to this many (e.g. 800 for scale tests).",
)
@click.option(
    "--api-key",
    default=None,
    help="TEST access key this local emulator accepts (default: generated). Never a real "
    "MEXC key: this is the one command that takes keys as arguments, because they are "
    "throw-away test keys of the emulator only.",
)
@click.option(
    "--api-secret",
    default=None,
    help="TEST secret for --api-key, for this local emulator only (default: generated). Clients "
    "read it from MEXC_API_SECRET, never from their command line.",
)
@click.option(
    "--balance",
    default=10_000.0,
    show_default=True,
    type=float,
    help="Starting USDT balance of the test account.",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=float,
    help="Venue time per real second (60 = one minute per second).",
)
@click.option(
    "--control-token",
    default=None,
    help="Token for /_emulator/... (default: generated and printed).",
)
@click.option(
    "--ws-limits/--no-ws-limits",
    default=True,
    show_default=True,
    help="Enforce 30 subs/connection, 100 msgs/s, 30 s first sub, 60 s ping, 24 h.",
)
@click.option(
    "--rest-limits/--no-rest-limits",
    default=True,
    show_default=True,
    help="Answer code 510 above the per-endpoint rate limits of spec §9.1.",
)
def emulator(
    host: str,
    port: int,
    seed: int,
    symbols: str | None,
    n_contracts: int | None,
    api_key: str | None,
    api_secret: str | None,
    balance: float,
    speed: float,
    control_token: str | None,
    ws_limits: bool,
    rest_limits: bool,
) -> None:
    if (api_key is None) != (api_secret is None):
        raise click.UsageError("give both --api-key and --api-secret, or neither")
    chosen = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    if chosen:
        check_emulator_symbols(chosen)  # it would otherwise invent a contract for any name
    ex = Emulator(
        host=host,
        port=port,
        seed=seed,
        symbols=chosen,
        n_contracts=n_contracts,
        api_key=api_key,
        api_secret=api_secret,
        balance=balance,
        speed=speed,
        limits=WsLimits() if ws_limits else WsLimits.off(),
        rest_limits=rest_limits,
        control_token=control_token,
    )

    async def run() -> None:
        async with ex:
            click.echo(f"REST       {ex.rest_url}/api/v1/contract/ping")
            click.echo(f"WebSocket  {ex.ws_url}")
            click.echo(f"Control    {ex.control_url}/state  (header X-Emulator-Token)")
            click.echo(f"API key    {ex.credentials.api_key}")
            click.echo(f"API secret {ex.credentials.secret}   (test key pair, trade enabled)")
            click.echo(
                f"Read-only  {ex.readonly_credentials.api_key} / {ex.readonly_credentials.secret}"
            )
            click.echo(f"Token      {ex.control_token}")
            click.echo(f"Contracts  {len(ex.venue.symbols())}   speed x{speed}   seed {seed}")
            click.echo("Serving; press Ctrl-C to stop.")
            await asyncio.Event().wait()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise CliError(
            f"Port {port} on {host} is already in use (another emulator?). Stop it, or pick "
            "another port with --port N (--port 0 picks a free one and prints it)."
        ) from None
    click.echo("Stopped.")


__all__ = ["emulator"]
