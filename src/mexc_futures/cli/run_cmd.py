"""``mexc-futures run STRATEGY [--paper | --live]``: run a strategy.

STRATEGY is a ``.py`` file, a built-in name (``market_maker``, ``breakout``, ``funding_monitor``)
or an importable module (``strategy.loader.load_strategy``).

Paper (default): on the account of a fresh in-process emulator, or of an emulator you started
(``--emulator-url``; its test keys from ``MEXC_API_KEY``/``MEXC_API_SECRET``) — see ``cli.paper``.
Live: on the real exchange — refuses to start without keys from the environment, a 0600 ``.env``
or the OS keyring (never from arguments; a ``.env`` readable by others is refused too), refuses
while the kill switch is tripped, and asks for confirmation unless ``--yes``. Both refuse while
the kill switch of their target is tripped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import signal

import click

from mexc_futures.cli.common import (
    CliError,
    Options,
    confirm_live,
    explained,
    open_target,
    options,
    params_option,
    run,
)
from mexc_futures.cli.paper import paper_command
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.config import load_credentials
from mexc_futures.errors import MexcError
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.health import HealthReport
from mexc_futures.strategy.loader import build_strategy, load_strategy, parse_params
from mexc_futures.strategy.session import StrategySession


@click.command("run")
@click.argument("strategy_ref", metavar="STRATEGY")
@click.option(
    "--paper/--live",
    "paper",
    default=True,
    show_default=True,
    help="Paper: an emulator's account. Live: the real exchange (real money).",
)
@click.option(
    "-s",
    "--symbol",
    "symbols",
    multiple=True,
    metavar="SYMBOL",
    help="Contract(s) to trade; repeat for several (default: the strategy's own).",
)
@params_option("Strategy")
@click.option("--duration", type=float, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--show-params", is_flag=True, help="List the strategy's parameters and exit.")
@click.option("--yes", is_flag=True, help="Do not ask before going live.")
@click.pass_context
def run_strategy(
    ctx: click.Context,
    strategy_ref: str,
    paper: bool,
    symbols: tuple[str, ...],
    params: tuple[str, ...],
    duration: float | None,
    show_params: bool,
    yes: bool,
) -> None:
    """Run STRATEGY: a .py file, or a built-in (market_maker, breakout, funding_monitor).

    Paper by default: a fresh emulator in this process (add --emulator-url to use one you
    started with `mexc-futures emulator`). At the end it prints orders, fills, PnL and the
    reconciliation of the local view with the venue; exit code 1 on a mismatch.

    \b
    Examples:
      mexc-futures run market_maker --duration 30
      mexc-futures run examples/breakout.py -s ETH_USDT -p lookback=50
      mexc-futures run funding_monitor -s BTC_USDT -s ETH_USDT
      mexc-futures run market_maker --show-params
      mexc-futures --emulator-url http://127.0.0.1:8000 run market_maker   # keys from env
      mexc-futures run market_maker --live      # keys from env / .env / keyring

    Ctrl-C stops it; its orders are cancelled before it exits.
    """
    opts = options(ctx)
    live = opts.live or not paper
    with explained():
        cls = load_strategy(strategy_ref)
        if show_params:
            _print_params(cls)
            return
        strategy = build_strategy(cls, [s.upper() for s in symbols], parse_params(params))
    if not live:
        paper_command(ctx, strategy, duration=duration, headless=True)
        return
    try:
        load_credentials()
    except MexcError as exc:
        raise CliError(f"run --live refused: {exc}") from None
    live_opts = dataclasses.replace(opts, live=True, emulator_url=None)
    refuse_if_killed(live_opts, "the strategy was not started")
    run(_live(strategy, live_opts, duration, yes))


async def _live(strategy: Strategy, opts: Options, duration: float | None, yes: bool) -> None:
    async with open_target(opts, keys=True) as t:
        confirm_live(t, f"run {strategy.name} on {', '.join(strategy.symbols)}", yes)
        assert t.credentials is not None  # load_credentials() succeeded above
        async with StrategySession(
            strategy,
            t.env,
            t.credentials,
            journal_path=opts.journal_path,
            on_report=_print_report,
        ) as session:
            off = session.trading_off()
            if off is not None:
                click.echo(f"[run] trading is OFF: {off}", err=True)
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal.SIGINT, session.stop)
            await session.run(duration)
            acct = session.engine.account
            off = session.trading_off()
            click.echo(
                f"Stopped: {acct.orders_seen()} orders, {acct.fill_count} fills, "
                f"realised {acct.realised:+.4f}"
                + ("" if off is None else f"; trading was OFF: {off}")
            )


def _print_params(cls: type[Strategy]) -> None:
    sig = inspect.signature(cls.__init__)
    click.echo(f"{cls.__name__} ({cls.__module__}) parameters, set with -p KEY=VALUE:")
    for name, p in sig.parameters.items():
        if name in ("self", "symbols") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = "required" if p.default is inspect.Parameter.empty else repr(p.default)
        click.echo(f"  {name:<20} {default}")
    click.echo("Symbols: -s SYMBOL (repeat for several).")


def _print_report(report: HealthReport) -> None:
    click.echo(f"[engine] {report.kind}: {report.detail}", err=True)


__all__ = ["run_strategy"]
