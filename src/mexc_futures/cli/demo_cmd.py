"""``mexc-futures demo``: emulator + market maker on a paper account + live dashboard + summary.

Starts the emulator in-process, runs ``examples/market_maker.py`` through a
:class:`~mexc_futures.strategy.session.StrategySession` on the emulator's account, shows the
dashboard (``dashboard.render``) and ends after ``--duration`` seconds or on Ctrl-C — both paths
stop the strategy, whose ``on_stop`` cancels its orders, and wait for the cancels to be
confirmed. Then it prints the summary: orders placed, filled, cancelled, PnL, and the
reconciliation line comparing the local view with the emulator (``cli.reconcile``). The exit code
is 1 when the reconciliation does not match.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from pathlib import Path

import click
from rich.live import Live

from mexc_futures.cli.common import CliError, console, explained, options, run
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.reconcile import Reconciliation, compare, local_snapshot, venue_snapshot
from mexc_futures.dashboard import render
from mexc_futures.emulator.server import Emulator
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.engine import HealthReport
from mexc_futures.strategy.loader import build_strategy, load_strategy_class
from mexc_futures.strategy.session import StrategySession

DEMO_FLOW_RATE = 12.0  # synthetic taker flow of the demo's emulator (trades per second)
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example_path(name: str) -> Path:
    """``examples/<name>.py`` of the source tree (the demo runs the real example file)."""
    path = EXAMPLES / f"{name}.py"
    if not path.is_file():
        raise CliError(f"{path} not found: the demo runs from a source checkout (./run demo).")
    return path


def summary_lines(
    session: StrategySession, model: ViewModel, rec: Reconciliation, seconds: float
) -> list[str]:
    """The end-of-run summary (plain text)."""
    acct = session.engine.account
    stats = session.engine.stats
    _, _, unreal = model.position()
    net, entry, _ = model.position()
    total = acct.realised + unreal
    return [
        f"Summary after {seconds:.0f} s on {', '.join(session.strategy.symbols)} "
        f"({session.strategy.name}, paper account on the emulator)",
        f"  Orders placed:    {acct.orders_seen()}",
        f"  Orders filled:    {acct.filled_orders()} ({acct.fill_count} fills)",
        f"  Orders cancelled: {acct.final_count(4)}",
        f"  Position:         {net:+} contracts" + (f" @ {entry}" if entry is not None else ""),
        f"  PnL:              realised {acct.realised:+.4f}, unrealised {unreal:+.4f}, "
        f"total {total:+.4f} USDT (fees {acct.fees:.4f})",
        f"  Engine:           {stats.handled} events handled, {stats.conflated} book updates "
        f"conflated, max handler {stats.max_handler_s * 1000:.2f} ms, "
        f"{stats.intents_sent} intents sent, {stats.intents_failed} failed",
        "  " + rec.line,
    ]


async def run_paper(
    strategy: Strategy,
    *,
    seed: int,
    duration: float,
    headless: bool,
    journal_dir: Path,
    emulator: Emulator | None = None,
) -> tuple[list[str], bool]:
    """Run ``strategy`` on an emulator's account; returns (summary lines, reconciled)."""
    symbol = strategy.symbols[0]
    async with contextlib.AsyncExitStack() as stack:
        ex: Emulator
        if emulator is not None:
            ex = emulator
        else:
            ex = await stack.enter_async_context(
                Emulator(
                    seed=seed,
                    symbols=list(strategy.symbols),
                    venue_options={"flow_rate": DEMO_FLOW_RATE},
                )
            )
        model = ViewModel(symbol, duration_s=duration)
        session = StrategySession(
            strategy,
            ex.env,
            ex.credentials,
            journal_path=journal_dir / "journal.sqlite",
            on_report=lambda r: _warn(model, r, headless),
            on_market=model.on_event,
            on_latency=lambda kind, ms: model.note_latency(f"{kind} p50", ms),
        )
        await stack.enter_async_context(session)
        spec = session.specs[symbol]
        model.account = session.engine.account
        model.contract_size = spec.contract_size
        model.price_decimals = max(0, spec.price_scale)
        model.depth = session.depth
        since = ex.clock.time_ms() if hasattr(ex, "clock") else 0
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        runner = asyncio.create_task(session.run(duration))
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, session.stop)
        try:
            await _show(runner, model, t0, headless)
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)
        await runner
        local = local_snapshot(session.engine.account, strategy.symbols)
        venue = await venue_snapshot(session.rest, strategy.symbols, since)
        rec = compare(local, venue)
        return summary_lines(session, model, rec, loop.time() - t0), rec.ok
    raise AssertionError("unreachable")  # pragma: no cover


def _warn(model: ViewModel, report: HealthReport, headless: bool) -> None:
    model.warn(f"{report.kind}: {report.detail}")
    if headless:
        click.echo(f"[engine] {report.kind}: {report.detail}", err=True)


async def _show(runner: asyncio.Task[None], model: ViewModel, t0: float, headless: bool) -> None:
    loop = asyncio.get_running_loop()
    if headless:
        while not runner.done():
            model.sample()
            await asyncio.wait({runner}, timeout=1.0)
        return
    with Live(render(model.snapshot()), console=console(), refresh_per_second=4) as live:
        while not runner.done():
            model.sample()
            await asyncio.wait({runner}, timeout=0.25)
            live.update(render(model.snapshot(loop.time() - t0)))


@click.command()
@click.option("--duration", default=60.0, show_default=True, help="Seconds before it stops.")
@click.option("--headless", is_flag=True, help="No live view; print the summary only (CI).")
@click.option("--symbol", default="BTC_USDT", show_default=True)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Market-maker parameter, e.g. -p size=2 -p max_position=6.",
)
@click.pass_context
def demo(
    ctx: click.Context, duration: float, headless: bool, symbol: str, params: tuple[str, ...]
) -> None:
    """Run the market maker on a paper account against the built-in emulator, with a dashboard.

    Shows the order book with our quotes marked, recent trades, position, PnL with a chart,
    latency and health, then prints orders placed/filled/cancelled, PnL and a reconciliation of
    the local view against the emulator. Ctrl-C stops early and cancels the orders cleanly.

    \b
    Examples:
      mexc-futures demo
      mexc-futures demo --duration 20 --headless
      mexc-futures demo --symbol ETH_USDT -p size=3
    """
    from mexc_futures.strategy.loader import parse_params

    with explained():
        cls = load_strategy_class(example_path("market_maker"))
        strategy = build_strategy(cls, [symbol.upper()], parse_params(params))
    opts = options(ctx)

    async def go() -> tuple[list[str], bool]:
        with tempfile.TemporaryDirectory(prefix="mexc-demo-") as tmp:
            return await run_paper(
                strategy,
                seed=opts.seed,
                duration=duration,
                headless=headless,
                journal_dir=Path(tmp),
            )

    lines, ok = run(go())
    for line in lines:
        click.echo(line)
    if not ok:
        ctx.exit(1)


__all__ = ["demo", "example_path", "run_paper", "summary_lines"]
