"""``mexc-futures run STRATEGY [--paper | --live]``: run a strategy file.

Paper (default): on the account of an in-process emulator (or ``--emulator-url``). Live: on the
real exchange — refuses to start without keys from ``MEXC_API_KEY``/``MEXC_API_SECRET``, a 0600
``.env`` or the OS keyring (never from arguments; a ``.env`` readable by others is refused too),
refuses while the kill switch is tripped, and asks for confirmation unless ``--yes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from pathlib import Path

import click

from mexc_futures.cli.common import (
    CliError,
    confirm_live,
    explained,
    open_target,
    options,
    run,
)
from mexc_futures.cli.demo_cmd import run_paper
from mexc_futures.cli.order_cmds import refuse_if_killed
from mexc_futures.config import load_credentials
from mexc_futures.strategy.engine import HealthReport
from mexc_futures.strategy.loader import build_strategy, load_strategy_class, parse_params
from mexc_futures.strategy.session import StrategySession


@click.command("run")
@click.argument("strategy_file", metavar="STRATEGY", type=click.Path(dir_okay=False))
@click.option(
    "--paper/--live",
    "paper",
    default=True,
    show_default=True,
    help="Paper: the emulator's account. Live: the real exchange (real money).",
)
@click.option(
    "-s",
    "--symbol",
    "symbols",
    multiple=True,
    metavar="SYMBOL",
    help="Contract(s) to trade (default: the strategy's own).",
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Strategy parameter, e.g. -p size=2 (see the strategy's __init__).",
)
@click.option("--duration", type=float, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--yes", is_flag=True, help="Do not ask before going live.")
@click.pass_context
def run_strategy(
    ctx: click.Context,
    strategy_file: str,
    paper: bool,
    symbols: tuple[str, ...],
    params: tuple[str, ...],
    duration: float | None,
    yes: bool,
) -> None:
    """Run the Strategy subclass defined in the file STRATEGY.

    \b
    Examples:
      mexc-futures run examples/market_maker.py --duration 30
      mexc-futures run examples/breakout.py -s ETH_USDT -p lookback=50
      mexc-futures run examples/funding_monitor.py -s BTC_USDT -s ETH_USDT
      mexc-futures run examples/market_maker.py --live      # keys from env / .env / keyring

    Ctrl-C stops it; its orders are cancelled before it exits.
    """
    opts = options(ctx)
    live = opts.live or not paper
    with explained():
        cls = load_strategy_class(strategy_file)
        strategy = build_strategy(cls, [s.upper() for s in symbols], parse_params(params))
    if not live:

        async def paper_run() -> tuple[list[str], bool]:
            with tempfile.TemporaryDirectory(prefix="mexc-run-") as tmp:
                if opts.emulator_url:
                    raise CliError(
                        "run --paper uses its own in-process emulator; drop --emulator-url"
                    )
                return await run_paper(
                    strategy,
                    seed=opts.seed,
                    duration=duration or 1e9,
                    headless=True,
                    journal_dir=Path(tmp),
                )

        lines, ok = run(paper_run())
        for line in lines:
            click.echo(line)
        if not ok:
            ctx.exit(1)
        return
    try:
        load_credentials()
    except Exception as exc:
        raise CliError(f"run --live refused: {exc}") from None
    live_opts = type(opts)(live=True, state_dir=opts.state_dir, seed=opts.seed)

    async def live_run() -> None:
        async with open_target(live_opts, keys=True) as t:
            refuse_if_killed(t)
            confirm_live(t, f"run {cls.__name__} on {', '.join(strategy.symbols)}", yes)
            if t.credentials is None:
                raise CliError("run --live needs keys")
            async with StrategySession(
                strategy,
                t.env,
                t.credentials,
                journal_path=live_opts.journal_path,
                on_report=_print_report,
            ) as session:
                loop = asyncio.get_running_loop()
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signal.SIGINT, session.stop)
                await session.run(duration)
                acct = session.engine.account
                click.echo(
                    f"Stopped: {acct.orders_seen()} orders, {acct.fill_count} fills, "
                    f"realised {acct.realised:+.4f}"
                )

    run(live_run())


def _print_report(report: HealthReport) -> None:
    click.echo(f"[engine] {report.kind}: {report.detail}", err=True)


__all__ = ["run_strategy"]
