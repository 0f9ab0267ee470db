"""Strategy runs, shared by ``demo``, ``run --paper`` and ``run --live``: the cockpit.

``paper_command(ctx, strategy, duration=..., view=...)`` is the whole paper command: it refuses
while the kill switch of the emulator target is tripped, opens the target (a fresh in-process
emulator with the demo's taker flow, or ``--emulator-url`` with keys from the environment), runs
:func:`run_paper`, prints the summary and exits non-zero when something is wrong (see
``EXIT_*``).

``run_paper(strategy, target, ...)`` (live runs use it too, with the live target) runs a
:class:`~mexc_futures.strategy.session.StrategySession` and shows it (``view``):

* ``dashboard`` — the cockpit screen (``cli.screen``), sized to the terminal on every refresh;
* ``plain`` — one line per event on stdout (``cli.activity``: order decisions with reason and
  outcome, order ends, fills, position changes, errors, health changes), for logs and tmux;
* ``quiet`` — nothing until the summary (CI); engine warnings still go to stderr.

Every activity entry also goes to the ``mexc_futures.activity`` logger (``--log-file``). The first
strategy exception is printed in full (file and line) on stderr and written to the log; every
later one is counted. It ends after ``duration`` seconds, on Ctrl-C, or after ``max_errors``
strategy errors — all paths stop the strategy, whose ``on_stop`` cancels its orders, and wait for
the cancels to be confirmed. Then it reconciles the local view with the venue's REST answers and,
for an in-process emulator, with the venue's own truth (orders by ``externalOid``, reliability I1;
open orders, positions, fills) — see ``cli.reconcile``. The summary it prints and the exit
status: ``cli.run_summary``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.live import Live

from mexc_futures.cli.activity import Activity, Entry, log_sink
from mexc_futures.cli.bus_run import bus_summary, market_data_factory
from mexc_futures.cli.common import (
    Target,
    console,
    journal_path,
    open_target,
    options,
    run,
)
from mexc_futures.cli.dashboard import Screen
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.reconcile import (
    Reconciliation,
    compare,
    local_snapshot,
    oid_problems,
    truth_snapshot,
    venue_snapshot,
)
from mexc_futures.cli.run_summary import (
    EXIT_MISMATCH,
    EXIT_STRATEGY_FAILED,
    RunOutcome,
    strategy_title,
    summary_lines,
)
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.errors import MexcError
from mexc_futures.execution.alerts import WebhookAlert
from mexc_futures.model.risk import RiskLimits
from mexc_futures.protocol import convert
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.health import EngineConfig, HealthReport
from mexc_futures.strategy.session import StrategySession
from mexc_futures.transport.rest import RestClient

T = TypeVar("T")
SCREEN_FPS = 2  # frames per second of the live screen (drawn off the event loop)
TICKER_POLL_S = 5.0  # the screen's mark price and funding when the ticker is not streamed
DEMO_FLOW_RATE = 12.0  # synthetic taker flow of the in-process emulator (trades per second)
VIEWS = ("dashboard", "plain", "quiet")


@dataclass(frozen=True)
class RunExtras:
    """What a config file adds to a run: risk limits, a webhook and which events alert."""

    risk: RiskLimits | None = None
    webhook: WebhookAlert | None = None
    alert_events: tuple[str, ...] = ()
    bus: Any = None  # run --bus: a BusURL; market data from a gateway (cli/bus_run.py)
    account: str | None = None  # run --bus --account: orders by its exec service (cli/bus_exec)


ALERT_KINDS = {"KILL": "kill_switch", "ERROR": "strategy_error", "FILL": "fill"}


class Notifier:
    """Sends activity entries of the chosen kinds to the webhook (kill switch, strategy error,
    fill, a refused order, a connection change); never blocks the run, never raises."""

    def __init__(self, webhook: WebhookAlert | None, events: tuple[str, ...]) -> None:
        self.webhook, self.events = webhook, frozenset(events)
        self.tasks: set[asyncio.Task[None]] = set()
        self.sent = 0

    def kind(self, entry: Entry) -> str | None:
        if entry.kind == "ORDER" and entry.fields.get("outcome") == "refused":
            return "order_refused"
        if entry.kind == "HEALTH" and entry.text.startswith("connection"):
            return "connection"
        return ALERT_KINDS.get(entry.kind)

    def on_entry(self, entry: Entry) -> None:
        kind = self.kind(entry)
        if self.webhook is None or kind is None or kind not in self.events:
            return
        if kind == "kill_switch" and "kill_switch" in self.events:
            return  # the execution manager alerts the kill switch itself (once)
        task = asyncio.get_running_loop().create_task(
            self.webhook.send(f"mexc-futures {kind}", entry.text)
        )
        self.sent += 1
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for alerts still in flight (each is bounded by the webhook's timeout)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


def default_view() -> str:
    """``dashboard`` on a terminal, ``plain`` when stdout is a pipe or a file."""
    return "dashboard" if sys.stdout.isatty() else "plain"


def paper_command(
    ctx: click.Context,
    strategy: Strategy,
    *,
    duration: float | None,
    view: str,
    params: dict[str, str] | None = None,
    max_errors: int | None = None,
    extras: RunExtras | None = None,
) -> None:
    """Run ``strategy`` on a paper account, print the summary, exit non-zero on trouble."""
    opts = options(ctx)
    refuse_if_killed(opts, "the strategy was not started")

    async def go() -> RunOutcome:
        async with open_target(
            opts,
            keys=extras is None or extras.account is None,  # the exec service holds them
            symbols=strategy.symbols,
            venue_options={"flow_rate": DEMO_FLOW_RATE},
        ) as t:
            with journal_path(t, "mexc-paper-") as path:
                return await run_paper(
                    strategy,
                    t,
                    duration=duration,
                    view=view,
                    journal=path,
                    params=params,
                    max_errors=max_errors,
                    extras=extras,
                )

    outcome = run(go())
    for line in outcome.lines:
        click.echo(line)
    if outcome.exit_code:
        ctx.exit(outcome.exit_code)


def _mode(target: Target) -> str:
    if target.live:
        return "LIVE"
    return "PAPER" if target.emulator is not None else "EMULATOR"


async def run_paper(
    strategy: Strategy,
    target: Target,
    *,
    duration: float | None,
    view: str = "quiet",
    journal: Path,
    params: dict[str, str] | None = None,
    max_errors: int | None = None,
    extras: RunExtras | None = None,
) -> RunOutcome:
    """Run ``strategy`` on ``target``'s account (see the module docstring)."""
    extras = extras or RunExtras()
    if target.credentials is None and extras.account is None:
        raise click.ClickException("a strategy run needs the account's keys")
    symbol = strategy.symbols[0]
    model = ViewModel(symbol, duration_s=duration)
    model.banner = {
        "mode": _mode(target),
        "strategy": strategy_title(strategy, params),
        "account": target.credentials.masked_key
        if target.credentials is not None
        else f"{extras.account} (exec service)",
        "endpoint": target.env.rest_url,
    }
    decimals: dict[str, tuple[int, int]] = {}
    loop = asyncio.get_running_loop()
    activity = Activity(lambda s: decimals.get(s, (8, 0)), _wall_ms)
    activity.sinks += [lambda e: model.note_activity(e.line()), log_sink]
    if view == "plain":
        activity.sinks.append(_print_entry)
    notifier = Notifier(extras.webhook, extras.alert_events)
    activity.sinks.append(notifier.on_entry)
    failures: list[HealthReport] = []

    def on_report(report: HealthReport) -> None:
        model.warn(f"{report.kind}: {report.detail}")
        activity.report(report)
        if report.trace:
            failures.append(report)
            logging.getLogger("mexc_futures.activity").error(
                "strategy error: %s\n%s", report.detail, report.trace.rstrip()
            )
            if view != "dashboard":
                click.echo(_trace_text(report), err=True)
        elif view == "quiet":
            click.echo(f"[engine] {report.kind}: {report.detail}", err=True)

    remote: dict[str, Any] = {}
    if extras.account is not None:  # run --bus --account: the exec service executes
        from mexc_futures.cli.bus_exec import remote_factory
        from mexc_futures.strategy.remote_session import RemoteStrategySession

        remote["remote"] = remote_factory(extras.bus, extras.account, strategy.name, on_report)
    session = (RemoteStrategySession if remote else StrategySession)(
        strategy,
        target.env,
        target.credentials,  # type: ignore[arg-type]  # None only with --account (remote)
        journal_path=journal,
        config=EngineConfig(max_handler_errors=max_errors),
        on_report=on_report,
        on_market=lambda e: _both(model.on_event, activity.market, e),
        on_latency=model.note_latency,
        on_account=activity.account,
        on_intent=activity.decision,
        risk=extras.risk,
        alerts=extras.webhook if "kill_switch" in extras.alert_events else None,
        market_data=None if extras.bus is None else market_data_factory(
            extras.bus, f"run-{strategy.name}", on_report),
        **remote,
    )
    async with session:
        for sym, spec in session.specs.items():
            decimals[sym] = (max(0, spec.price_scale), max(0, spec.vol_scale))
        spec = session.specs[symbol]
        model.account = session.engine.account
        model.contract_size = spec.contract_size
        model.price_decimals, model.vol_decimals = decimals[symbol]
        model.depth = session.depth
        model.trading = session.trading_off
        model.errors = lambda: (
            session.engine.stats.handler_errors + session.engine.stats.bad_intents
        )
        model.status = strategy.status
        since = session.rest.clock.time_ms() + session.rest.offset_ms - 100
        t0 = loop.time()
        runner = asyncio.create_task(session.run(duration))
        stopped_at: list[float] = []

        def interrupt() -> None:
            stopped_at.append(loop.time())
            session.stop()

        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            await _show(session.rest, runner, model, activity, strategy, t0, view)
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)
        await runner
        activity.closing = True  # the streams closing now is not news
        ran = (stopped_at[0] if stopped_at else loop.time()) - t0
        if duration is not None:
            ran = min(ran, duration)
        if failures and view == "dashboard":
            click.echo(_trace_text(failures[0]), err=True)
        await notifier.drain()
        recs = await _reconcile(session, target, since)
        lines = summary_lines(session, model, recs, (ran, loop.time() - t0), target, params)
        at = len(lines) - len(recs)  # the bus line goes before the reconciliation lines
        lines[at:at] = bus_summary(session.md)
        stats = session.engine.stats
    return RunOutcome(lines, all(r.ok for r in recs), stats.handler_errors + stats.bad_intents)


def _both(first: Callable[[T], None], second: Callable[[T], None], event: T) -> None:
    first(event)
    second(event)


def _wall_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


def _print_entry(entry: Entry) -> None:
    click.echo(entry.line())


def _trace_text(report: HealthReport) -> str:
    return (
        f"Strategy error: {report.detail}\n{report.trace.rstrip()}\n"
        "(later errors are counted, not printed; the run exits with status "
        f"{EXIT_STRATEGY_FAILED})"
    )


async def _reconcile(
    session: StrategySession, target: Target, since_ms: int
) -> list[Reconciliation]:
    """Local view vs the venue's REST answers, and vs the in-process venue's truth."""
    symbols = session.strategy.symbols
    local = local_snapshot(session.engine.account, symbols, since_ms)
    if getattr(session, "remote_factory", None) is not None:  # the exec service reconciles
        return []
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


async def _show(
    rest: RestClient,
    runner: asyncio.Task[None],
    model: ViewModel,
    activity: Activity,
    strategy: Strategy,
    t0: float,
    view: str,
) -> None:
    poller = asyncio.create_task(_poll_ticker(rest, model, strategy))
    try:
        await _refresh(runner, model, activity, strategy, t0, view)
    finally:
        poller.cancel()


async def _poll_ticker(rest: RestClient, model: ViewModel, strategy: Strategy) -> None:
    """Mark price and funding for the screen, when the strategy does not stream the ticker."""
    if "ticker" in strategy.channels:
        return
    while True:
        with contextlib.suppress(MexcError):
            model.ticker = convert.ticker(await rest.get_ticker(model.symbol))
        await asyncio.sleep(TICKER_POLL_S)


async def _refresh(
    runner: asyncio.Task[None],
    model: ViewModel,
    activity: Activity,
    strategy: Strategy,
    t0: float,
    view: str,
) -> None:
    loop = asyncio.get_running_loop()
    if view != "dashboard":
        while not runner.done():
            model.sample(loop.time() - t0)
            activity.status(strategy_title(strategy), strategy.status())
            await asyncio.wait({runner}, timeout=1.0 if view == "quiet" else 0.25)
        return
    screen = Screen(model.snapshot())
    with Live(screen, console=console(), refresh_per_second=SCREEN_FPS):
        while not runner.done():
            model.sample(loop.time() - t0)
            activity.status(strategy_title(strategy), strategy.status())
            await asyncio.wait({runner}, timeout=0.25)
            screen.state = model.snapshot(loop.time() - t0)  # drawn by Live's thread


__all__ = [
    "DEMO_FLOW_RATE",
    "EXIT_MISMATCH",
    "EXIT_STRATEGY_FAILED",
    "VIEWS",
    "Notifier",
    "RunExtras",
    "RunOutcome",
    "default_view",
    "paper_command",
    "run_paper",
    "strategy_title",
    "summary_lines",
]
