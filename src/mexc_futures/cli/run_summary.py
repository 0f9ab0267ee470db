"""What a strategy run produced (``cli.paper``): the end-of-run summary and the exit status.

``summary_lines`` is the plain-text summary printed after ``demo``, ``run --paper`` and
``run --live``: where it ran, orders placed = filled + cancelled + rejected + open, fills,
position, PnL (signed, fixed decimals as a trader reads them), tick-to-order and REST round-trip
medians, trading on/off with the reason, engine counters, strategy errors and the
reconciliation lines (``cli.reconcile``). ``RunOutcome.exit_code`` is 0, ``EXIT_STRATEGY_FAILED``
or ``EXIT_MISMATCH`` (a mismatch wins).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from mexc_futures.cli import fmt
from mexc_futures.cli.common import Target
from mexc_futures.cli.live_view import ViewModel
from mexc_futures.cli.reconcile import Reconciliation
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.guard import display_name
from mexc_futures.strategy.session import StrategySession

EXIT_MISMATCH = 1  # the local view and the venue disagree after the run
EXIT_STRATEGY_FAILED = 3  # the strategy raised or returned something that is not an intent


@dataclass
class RunOutcome:
    """What a run produced: the summary, whether the views reconciled, strategy errors."""

    lines: list[str]
    reconciled: bool
    strategy_errors: int

    @property
    def exit_code(self) -> int:
        """0, ``EXIT_STRATEGY_FAILED`` or ``EXIT_MISMATCH`` (a mismatch wins)."""
        if not self.reconciled:
            return EXIT_MISMATCH
        return EXIT_STRATEGY_FAILED if self.strategy_errors else 0


def strategy_title(strategy: Strategy, params: dict[str, str] | None = None) -> str:
    """``market_maker size=2``; a class that kept the default name shows its class name."""
    name = display_name(strategy)
    extra = " ".join(f"{k}={v}" for k, v in (params or {}).items())
    return f"{name} {extra}".strip()


def summary_lines(
    session: StrategySession,
    model: ViewModel,
    recs: list[Reconciliation],
    seconds: tuple[float, float],
    target: Target,
    params: dict[str, str] | None = None,
) -> list[str]:
    """The end-of-run summary (plain text); ``seconds``: (ran, ran + shutdown and checks)."""
    acct = session.engine.account
    stats = session.engine.stats
    net, entry, unreal = model.position()
    total = acct.realised + unreal
    if target.live:
        where = f"LIVE account at {target.env.rest_url}"
    elif target.emulator is not None:
        where = "paper account on the in-process emulator"
    else:
        where = f"paper account on the emulator at {target.env.rest_url}"
    dp, vp = model.price_decimals, model.vol_decimals
    legs = model.legs()
    held = f"{fmt.vol(net, vp, sign=True)} contracts" + (
        f" @ {fmt.price(entry, dp)}" if entry is not None else ""
    )
    if len(legs) > 1:
        held += " (" + ", ".join(legs) + ")"
    off = session.trading_off()
    ran, total_s = seconds
    out = acct.outcomes()
    title = strategy_title(session.strategy, params)
    lines = [
        f"Summary after {ran:.0f} s on {', '.join(session.strategy.symbols)}: {title}",
        f"  Account:          {where}",
    ]
    if total_s - ran >= 1:
        lines[0] += f" (+{total_s - ran:.0f} s to stop and check)"
    if acct.orders_seen() == 0 and stats.intents_emitted == 0:
        lines.append("  Orders:           none (this strategy sent no order)")
    else:
        partly = f" ({out['partly_filled']} of them partly filled)" if out["partly_filled"] else ""
        lines += [
            f"  Orders placed:    {acct.orders_seen()} = {out['filled']} filled + "
            f"{out['cancelled']} cancelled{partly} + {out['invalid']} rejected + "
            f"{out['open']} open",
            f"  Fills:            {acct.fill_count} on {acct.filled_orders()} orders",
            f"  Position:         {held}",
            f"  PnL:              realised {_signed(acct.realised)}, unrealised {_signed(unreal)}, "
            f"total {_signed(total)} USDT (fees {fmt.fixed(acct.fees, 4)})",
            *_latency_lines(model),
        ]
    lines += [
        f"  Trading:          {'on' if off is None else 'OFF — ' + off}",
        f"  Engine:           {stats.handled} events handled, {stats.conflated} book updates "
        f"conflated, max handler {stats.max_handler_s * 1000:.2f} ms, "
        f"{stats.intents_sent} intents sent, {stats.intents_failed} failed",
        _errors_line(stats.handler_errors, stats.bad_intents, stats.first_failure, title),
        *("  " + r.line for r in recs),
    ]
    return lines


def _latency_lines(model: ViewModel) -> list[str]:
    lines = []
    for tick, title in ((True, "Tick→order p50"), (False, "REST RTT p50")):
        vals = {k: v for k, v in model.medians(tick).items() if not k.endswith("(bus)")}
        if vals:
            text = ", ".join(f"{k} {v:.2f} ms" for k, v in vals.items())
            lines.append(f"  {title + ':':<18}{text}")
    bus = {k: v for k, v in model.latencies.items() if v and k.endswith("(bus)")}
    if bus:  # run --bus --account: what the bus adds, apart from the in-process figures (B10)
        text = ", ".join(
            f"{k.removesuffix(' (bus)')} p50 {statistics.median(v):.2f} ms "
            f"p99 {sorted(v)[min(len(v) - 1, int(len(v) * 0.99))]:.2f} ms"
            for k, v in bus.items()
        )
        lines.append(f"  {'Bus latency:':<18}{text}")
    return lines or ["  Latency:          no orders sent"]


def _errors_line(raised: int, refused: int, first: object, name: str) -> str:
    if not raised and not refused:
        return "  Strategy errors:  none"
    where = f"; first: {first.line(name)}" if first is not None and hasattr(first, "line") else ""
    return (
        f"  Strategy errors:  {raised} exception(s), {refused} refused return value(s){where} "
        f"— FAILED (exit status {EXIT_STRATEGY_FAILED})"
    )


def _signed(x: object) -> str:
    """``+1.2345`` / ``-1.2345``, and ``+0.0000`` rather than ``-0.0000``."""
    text = f"{float(str(x)):+.4f}"
    return "+0.0000" if text == "-0.0000" else text


__all__ = [
    "EXIT_MISMATCH",
    "EXIT_STRATEGY_FAILED",
    "RunOutcome",
    "strategy_title",
    "summary_lines",
]
