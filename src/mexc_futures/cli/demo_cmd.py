"""``mexc-futures demo``: emulator + market maker on a paper account + live dashboard + summary.

Runs the built-in ``market_maker`` strategy (``mexc_futures.strategies.market_maker``, so an
installed package can run it too) through ``cli.paper``: a fresh in-process emulator (or
``--emulator-url``), the dashboard, and the summary with its reconciliation lines. The exit code
is 1 when the reconciliation does not match.
"""

from __future__ import annotations

import click

from mexc_futures.cli.common import explained, params_option
from mexc_futures.cli.paper import paper_command
from mexc_futures.strategy.loader import build_strategy, load_strategy, parse_params


@click.command()
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds before it stops (> 0).",
)
@click.option("--headless", is_flag=True, help="No live view; print the summary only (CI).")
@click.option("--plain", is_flag=True, help="One line per event instead of the live screen.")
@click.option(
    "-s",
    "--symbol",
    default="BTC_USDT",
    show_default=True,
    metavar="SYMBOL",
    help="Contract to make a market in.",
)
@params_option("Market-maker")
@click.pass_context
def demo(
    ctx: click.Context,
    duration: float,
    headless: bool,
    plain: bool,
    symbol: str,
    params: tuple[str, ...],
) -> None:
    """Run the market maker on a paper account against the built-in emulator, with a dashboard.

    Shows the order book with our quotes marked, recent trades, position, PnL with a chart,
    latency (tick-to-order and REST round trips), health and the kill switch; then prints orders
    placed/filled/cancelled, PnL and two reconciliation lines: the local view against the
    emulator's REST answers and against the emulator's own state. Ctrl-C stops early and cancels
    the orders cleanly.

    \b
    Examples:
      mexc-futures demo                          # 60 s with the live dashboard
      mexc-futures demo --duration 20 --headless # summary only, exit code 1 on mismatch
      mexc-futures demo -s ETH_USDT -p size=3
    """
    with explained():
        cls = load_strategy("market_maker")
        given = parse_params(params)
        strategy = build_strategy(cls, [symbol.upper()], given)
    view = "quiet" if headless else "plain" if plain else "dashboard"
    paper_command(ctx, strategy, duration=duration, view=view, params=given)


__all__ = ["demo"]
