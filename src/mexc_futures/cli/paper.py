"""Paper runs, shared by ``demo`` and ``run --paper``: a strategy on an emulator's account.

``paper_command(ctx, strategy, duration=..., headless=...)`` is the whole command: it refuses
while the kill switch of the emulator target is tripped, opens the target (a fresh in-process
emulator with the demo's taker flow, or ``--emulator-url`` with keys from the environment), runs
:func:`run_paper`, prints the summary and exits 1 when the reconciliation does not match.

``run_paper(strategy, target, ...)`` runs a :class:`~mexc_futures.strategy.session.StrategySession`
on the target's account, shows the dashboard (``dashboard.render``; ``headless``: none) and ends
after ``duration`` seconds or on Ctrl-C — both paths stop the strategy, whose ``on_stop`` cancels
its orders, and wait for the cancels to be confirmed. Then it reconciles the local view with the
venue's REST answers and, for an in-process emulator, with the venue's own truth (orders by
``externalOid``, reliability I1; open orders, positions, fills) — see ``cli.reconcile``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click
from rich.live import Live

from mexc_futures.cli.common import (
    Target,
    console,
    journal_path,
    open_target,
    options,
    run,
)
from mexc_futures.cli.dashboard import render
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.reconcile import (
    Reconciliation,
    compare,
    local_snapshot,
    oid_problems,
    truth_snapshot,
    venue_snapshot,
)
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.health import HealthReport
from mexc_futures.strategy.session import StrategySession

DEMO_FLOW_RATE = 12.0  # synthetic taker flow of the in-process emulator (trades per second)


def paper_command(
    ctx: click.Context, strategy: Strategy, *, duration: float | None, headless: bool
) -> None:
    """Run ``strategy`` on a paper account, print the summary, exit 1 unless reconciled."""
    opts = options(ctx)
    refuse_if_killed(opts, "the strategy was not started")

    async def go() -> tuple[list[str], bool]:
        async with open_target(
            opts,
            keys=True,
            symbols=strategy.symbols,
            venue_options={"flow_rate": DEMO_FLOW_RATE},
        ) as t:
            with journal_path(t, "mexc-paper-") as path:
                return await run_paper(
                    strategy, t, duration=duration, headless=headless, journal=path
                )

    lines, ok = run(go())
    for line in lines:
        click.echo(line)
    if not ok:
        ctx.exit(1)


async def run_paper(
    strategy: Strategy,
    target: Target,
    *,
    duration: float | None,
    headless: bool,
    journal: Path,
) -> tuple[list[str], bool]:
    """Run ``strategy`` on ``target``'s account; returns (summary lines, reconciled)."""
    if target.credentials is None:
        raise click.ClickException("a paper run needs the account's keys")
    symbol = strategy.symbols[0]
    model = ViewModel(symbol, duration_s=duration)
    session = StrategySession(
        strategy,
        target.env,
        target.credentials,
        journal_path=journal,
        on_report=lambda r: _warn(model, r, headless),
        on_market=model.on_event,
        on_latency=model.note_latency,
    )
    async with session:
        spec = session.specs[symbol]
        model.account = session.engine.account
        model.contract_size = spec.contract_size
        model.price_decimals = max(0, spec.price_scale)
        model.depth = session.depth
        model.trading = session.trading_off
        since = session.rest.clock.time_ms() + session.rest.offset_ms - 100
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
        recs = await _reconcile(session, target, since)
        lines = summary_lines(session, model, recs, loop.time() - t0, target)
    return lines, all(r.ok for r in recs)


async def _reconcile(
    session: StrategySession, target: Target, since_ms: int
) -> list[Reconciliation]:
    """Local view vs the venue's REST answers, and vs the in-process venue's truth."""
    symbols = session.strategy.symbols
    local = local_snapshot(session.engine.account, symbols)
    recs = [compare(local, await venue_snapshot(session.rest, symbols, since_ms))]
    ex = target.emulator
    if ex is not None and target.credentials is not None:
        journal = session.execution.journal
        rows = journal.orders(live_only=False) if journal is not None else []
        checked, problems = oid_problems(ex.venue, rows)
        truth = truth_snapshot(ex.venue, target.credentials.api_key, symbols, since_ms)
        recs.append(
            compare(
                local,
                truth,
                label="emulator's own state",
                title="Ground truth",
                extra=problems,
                detail=f"{checked} externalOids, each on exactly one venue order"
                if not problems
                else f"{checked} externalOids checked",
            )
        )
    return recs


def summary_lines(
    session: StrategySession,
    model: ViewModel,
    recs: list[Reconciliation],
    seconds: float,
    target: Target,
) -> list[str]:
    """The end-of-run summary (plain text)."""
    acct = session.engine.account
    stats = session.engine.stats
    net, entry, unreal = model.position()
    total = acct.realised + unreal
    where = (
        "in-process emulator"
        if target.emulator is not None
        else f"emulator at {target.env.rest_url}"
    )
    legs = model.legs()
    held = f"{net:+} contracts" + (f" @ {entry}" if entry is not None else "")
    if len(legs) > 1:
        held += " (" + ", ".join(legs) + ")"
    off = session.trading_off()
    lat = model.latency_summary()
    return [
        f"Summary after {seconds:.0f} s on {', '.join(session.strategy.symbols)} "
        f"({session.strategy.name}, paper account on the {where})",
        f"  Orders placed:    {acct.orders_seen()}",
        f"  Orders filled:    {acct.filled_orders()} ({acct.fill_count} fills)",
        f"  Orders cancelled: {acct.final_count(4)}",
        f"  Position:         {held}",
        f"  PnL:              realised {_signed(acct.realised)}, unrealised {_signed(unreal)}, "
        f"total {_signed(total)} USDT (fees {acct.fees:.4f})",
        f"  Trading:          {'on' if off is None else 'OFF — ' + off}",
        f"  Latency:          {lat or 'no orders sent'}",
        f"  Engine:           {stats.handled} events handled, {stats.conflated} book updates "
        f"conflated, max handler {stats.max_handler_s * 1000:.2f} ms, "
        f"{stats.intents_sent} intents sent, {stats.intents_failed} failed",
        *("  " + r.line for r in recs),
    ]


def _signed(x: object) -> str:
    """``+1.2345`` / ``-1.2345``, and ``+0.0000`` rather than ``-0.0000``."""
    text = f"{float(str(x)):+.4f}"
    return "+0.0000" if text == "-0.0000" else text


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


__all__ = ["DEMO_FLOW_RATE", "paper_command", "run_paper", "summary_lines"]
