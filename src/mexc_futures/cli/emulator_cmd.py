"""``mexc-futures emulator``: run the local MEXC Futures exchange until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import errno
from pathlib import Path
from typing import Any

import click

from mexc_futures.cli.common import CliError, check_emulator_symbols
from mexc_futures.cli.emulator_ctl import add_control_commands
from mexc_futures.cli.replay_opts import replay_options
from mexc_futures.emulator.server.latency import LatencyModel
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.venue.rules import VenueRules

HELP = """Run a local MEXC Futures exchange (REST + WebSocket on one port).

\b
It speaks the real protocol, so any MEXC futures client can point at it:
  REST       http://HOST:PORT/api/v1/...      (public and signed private endpoints)
  WebSocket  ws://HOST:PORT/edge              (ping, login, personal.filter, sub.*)
  Control    http://HOST:PORT/_emulator/...   (faults, ground truth; needs the token)

\b
The market is synthetic and deterministic for a given --seed: a crowd of
liquidity providers keeps a deep book around a fair price that moves with the
contract's volatility, and takers trade against it (deals, klines, tickers,
index, fair price and funding all come from those trades). A resting order far
from the market stays unfilled unless the price gets there. --market light is
the thin, cheap market the test suite uses. With --replay DIR the market is a
recording (`mexc-futures record`): your orders rest in the recorded queues
(--queue-model), fill from recorded trades and pay the recorded fees.
Signed requests must use the printed test key pair (fixed ones with
--api-key/--api-secret: local test keys, never real MEXC keys).
Other mexc-futures commands use it with --emulator-url and the keys in the
environment (MEXC_API_KEY / MEXC_API_SECRET), as they would for --live.
--speed scales venue time (limits, funding, klines); with --speed != 1 sign with
the server's time (GET /api/v1/contract/ping), not your own clock.

\b
Examples:
  mexc-futures emulator
  mexc-futures emulator --api-key test-key --api-secret test-secret-0001
  mexc-futures emulator --replay rec/day1 --speed 10   # a recording as the market
    then, in another shell:
    export MEXC_EMULATOR_URL=http://127.0.0.1:8000
    export MEXC_API_KEY=test-key MEXC_API_SECRET=test-secret-0001
    mexc-futures order place BTC_USDT --side buy --vol 1 --price 60000 --type post-only
    mexc-futures orders
  mexc-futures emulator --port 9000 --seed 7 --symbols BTC_USDT,ETH_USDT
  mexc-futures emulator --contracts 800 --speed 60 --no-ws-limits
  curl -H "X-Emulator-Token: T" -d '{"fault":"stall"}' http://127.0.0.1:8000/_emulator/faults

\b
Control a running emulator (token from --token or MEXC_EMULATOR_TOKEN):
  mexc-futures emulator shock BTC_USDT --move -5 --pull 80 --for 60
  mexc-futures emulator price BTC_USDT 80000
  mexc-futures emulator pause            (resume: mexc-futures emulator resume)
  mexc-futures emulator balance 2500     (reset: mexc-futures emulator reset)
"""


@click.group("emulator", help=HELP, invoke_without_command=True)
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
    "--market",
    type=click.Choice(["realistic", "light"]),
    default="realistic",
    show_default=True,
    help="realistic: calibrated per contract (deep books, real volatility, deal rates); "
    "light: a thin, cheap market (the test suite's).",
)
@click.option(
    "--jumps",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Random price jumps per day per contract (±2 % typical size); 0 = none.",
)
@click.option(
    "--ws-limits/--no-ws-limits",
    default=True,
    show_default=True,
    help="Enforce the 60 s ping rule (the futures venue's only observed connection rule).",
)
@click.option(
    "--spot-ws-rules",
    is_flag=True,
    help="Also enforce the spot docs' rules: 30 subscriptions, 100 msgs/s, first "
    "subscription within 30 s, 24 h lifetime.",
)
@click.option(
    "--rest-limits/--no-rest-limits",
    default=True,
    show_default=True,
    help="Answer code 510 above the per-endpoint rate limits of spec §9.1.",
)
@click.option(
    "--position-open-type-rule",
    "open_type_rule",
    type=click.Choice(["rest", "ws"]),
    default="rest",
    show_default=True,
    help="How the venue reads a contract's positionOpenType (the docs conflict): rest = "
    "1 isolated, 2 cross, 3 both (REST docs); ws = 1 both, 2 cross, 3 isolated (v2 WebSocket "
    "docs). An opening order in a margin mode the contract forbids gets code 2002.",
)
@click.option(
    "--position-open-type",
    "open_types",
    multiple=True,
    metavar="SYMBOL=N",
    help="Set a contract's positionOpenType (1, 2 or 3; every contract is 3 unless set), "
    "e.g. --position-open-type SILVER_USDT=1. Repeatable.",
)
@click.option(
    "--replay",
    "replay_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Replay a recording (`mexc-futures record`) as the market instead of the synthetic "
    "one: venue time starts at the recording's start and runs at --speed.",
)
@click.option(
    "--queue-model",
    default="risk-averse",
    show_default=True,
    help="With --replay: where your resting orders stand in the recorded queues: "
    "risk-averse, prob[:N] (N=2 default) or front (optimistic bound).",
)
@click.option(
    "--fees",
    default=None,
    metavar="maker=R,taker=R",
    help="With --replay: your account's fee rates (default: the recorded contract's rates).",
)
@click.option(
    "--latency",
    default="0",
    show_default=True,
    metavar="SPEC",
    help="Added one-way delays in venue time: entry (request -> venue), response, md "
    "(pushes), fixed or seeded by --seed: 'entry=20ms,response=20ms,md=5ms', 'uniform:10-30', "
    "'lognormal:20:0.5'.",
)
@click.pass_context
def emulator(
    ctx: click.Context,
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
    market: str,
    jumps: float,
    ws_limits: bool,
    spot_ws_rules: bool,
    rest_limits: bool,
    open_type_rule: str,
    open_types: tuple[str, ...],
    replay_dir: Path | None,
    queue_model: str,
    fees: str | None,
    latency: str,
) -> None:
    if ctx.invoked_subcommand is not None:
        return  # a control subcommand talks to a running emulator
    if (api_key is None) != (api_secret is None):
        raise click.UsageError("give both --api-key and --api-secret, or neither")
    try:
        lat = LatencyModel.parse(latency, seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--latency") from None
    replay_kw: dict[str, Any] = {}
    replay_note = ""
    venue_options: dict[str, Any] = {
        "flow_rate": None if market == "realistic" else 5.0,
        "jump_rate": jumps,
        "rules": VenueRules(position_open_type="ws" if open_type_rule == "ws" else "rest"),
        "position_open_types": _open_types(open_types),
    }
    if replay_dir is not None:  # the market is a recording (#17)
        replay_kw, replay_note = replay_options(replay_dir, queue_model, symbols, fees)
        symbols = ",".join(replay_kw.pop("symbols"))
        venue_options.update(replay_kw.pop("venue_options"))
    chosen = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    if chosen and replay_dir is None:  # a replay brings its own contracts (recorded_contracts)
        check_emulator_symbols(chosen)  # it would otherwise invent a contract for any name
    try:
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
            limits=_limits(ws_limits, spot_ws_rules),
            rest_limits=rest_limits,
            control_token=control_token,
            venue_options=venue_options,
            latency=lat,
            **replay_kw,
        )
    except ValueError as exc:  # e.g. --position-open-type for a contract not listed
        raise CliError(f"{exc}. List the contracts with --symbols, or drop that option.") from None

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
            click.echo(
                f"Contracts  {len(ex.venue.symbols())}   speed x{speed}   seed {seed}   "
                f"market {market if replay_dir is None else 'replay'}"
            )
            if replay_note:
                click.echo(replay_note)
            if not lat.zero:
                d = lat.describe()
                click.echo(f"Latency    entry {d['entry']}, response {d['response']}, "
                           f"market data {d['market_data']} (venue time)")
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


def _open_types(items: tuple[str, ...]) -> dict[str, int]:
    """``("SILVER_USDT=1", ...)`` -> ``{"SILVER_USDT": 1}`` (a usage error says what is wrong)."""
    out: dict[str, int] = {}
    for item in items:
        sym, _, value = item.partition("=")
        if not sym.strip() or value.strip() not in ("1", "2", "3"):
            raise click.BadParameter(
                f"{item!r}: write SYMBOL=N with N 1, 2 or 3, e.g. SILVER_USDT=1",
                param_hint="--position-open-type",
            )
        out[sym.strip().upper()] = int(value)
    return out


def _limits(ws_limits: bool, spot_ws_rules: bool) -> WsLimits:
    if not ws_limits:
        return WsLimits.off()
    return WsLimits.spot_rules() if spot_ws_rules else WsLimits()


add_control_commands(emulator)

__all__ = ["emulator"]
