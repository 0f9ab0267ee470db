"""``mexc-futures backtest STRATEGY --data DIR``: a strategy against a recorded market."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mexc_futures.cli.common import CliError, explained, params_option, run

HELP = """Backtest STRATEGY against a recording, through the real client stack.

\b
The strategy runs unchanged (same StrategySession, REST client, order lane, journal,
risk gate and private stream as `run --live`) against an in-process emulator whose
market is the recording (`emulator --replay`): your orders queue behind the recorded
volume (--queue-model), fill from recorded trades, pay the recorded fee rates (or
--fees) and settle the recorded funding. Writes OUT/report.json, fills.csv, equity.csv
and report.png (with the `plot` extra: pip install 'mexc-futures[plot]').

\b
Deterministic (default): emulator and client share one virtual clock that
moves only when every component is idle, over in-process socket pairs carrying
the real protocol bytes; as fast as the CPU allows, and the same inputs give
byte-identical report.json, fills.csv and equity.csv (the determinism hash
says so). --paced runs on scaled wall time at --speed instead (what
`emulator --replay` does): not repeatable, real loopback latency x --speed.

\b
Examples:
  mexc-futures record BTC_USDT --duration 10m --out rec/btc     # make a recording
  mexc-futures backtest market_maker --data rec/btc -p size=2 --report out/bt1
  mexc-futures backtest market_maker --data rec/btc --queue-model prob:2
  mexc-futures backtest market_maker --data rec/btc --paced --speed 10
  mexc-futures backtest my_strategy.py --data rec/btc --fees maker=0,taker=0.0002
"""


class _Backtest(click.Group):
    """``backtest STRATEGY ...`` runs a backtest (the ``run`` subcommand, implied);
    ``backtest compare ...`` sets one beside a live run."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("backtest", cls=_Backtest, help=HELP + """
\b
`backtest STRATEGY ...` is `backtest run STRATEGY ...`; `backtest compare
--live-journal JOURNAL REPORT_DIR` sets a backtest's fills beside a real run's.
""")
def backtest() -> None:
    pass


@backtest.command("run", help=HELP)
@click.argument("strategy")
@click.option("--data", "data", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A recording directory (`mexc-futures record`).")
@params_option("Strategy")
@click.option("--symbol", "symbols", multiple=True, help="Trade these recorded symbols.")
@click.option("--deterministic/--paced", "deterministic", default=True, show_default=True,
              help="Lockstep virtual time (repeatable, max speed) or scaled wall time.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Seed of the run's randomness (keys, session id, jitter) when deterministic.")
@click.option("--speed", default=None, type=float,
              help="With --paced: venue time per real second (default 20).")
@click.option("--latency", "latency", default=None, metavar="SPEC",
              help="One-way delays in venue time: entry (request -> venue), response, md "
                   "(pushes); fixed or seeded: 'entry=20ms,response=20ms,md=5ms', "
                   "'uniform:10-30', 'lognormal:20:0.5', '0'. Default: 20 ms each.")
@click.option("--queue-model", default="risk-averse", show_default=True,
              help="risk-averse, prob[:N] or front (optimistic bound).")
@click.option("--fees", default=None, metavar="maker=R,taker=R",
              help="Fee rates of your account (default: the recorded contract's).")
@click.option("--balance", default=10_000.0, show_default=True, type=float,
              help="Starting USDT balance.")
@click.option("--sample", "sample_s", default=1.0, show_default=True, type=float,
              help="Equity sampling interval, seconds of venue time (Sharpe/Sortino use it).")
@click.option("--report", "out", default=Path("backtest-report"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Output directory.")
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of a summary.")
def run_cmd(strategy: str, data: Path, params: tuple[str, ...], symbols: tuple[str, ...],
             deterministic: bool, seed: int, speed: float | None, latency: str | None,
             queue_model: str,
             fees: str | None, balance: float, sample_s: float,
             out: Path, as_json: bool) -> None:
    from mexc_futures.backtest import lockstep
    from mexc_futures.backtest import report as rp
    from mexc_futures.backtest.runner import run_backtest
    from mexc_futures.cli.replay_opts import parse_fees
    from mexc_futures.emulator.market.queue import parse_model
    from mexc_futures.emulator.server.latency import DEFAULT as DEFAULT_LATENCY
    from mexc_futures.emulator.server.latency import LatencyModel
    from mexc_futures.strategy.loader import build_strategy, load_strategy, parse_params

    try:
        fee_rates = parse_fees(fees)
        parse_model(queue_model)
        lat = LatencyModel.parse(DEFAULT_LATENCY if latency is None else latency, seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if speed is not None and deterministic:
        raise click.BadParameter("--speed paces a --paced run; a deterministic run has no "
                                 "pace (it runs as fast as it can): add --paced or drop --speed")
    speed = 20.0 if speed is None else speed
    if speed <= 0 or sample_s <= 0:
        raise click.BadParameter("--speed and --sample must be > 0")
    pp = parse_params(params)
    cls = load_strategy(strategy)
    strat = build_strategy(cls, [s.upper() for s in symbols], pp)
    bar = _Bar()
    job = run_backtest(strat, data, deterministic=deterministic, seed=seed, speed=speed,
                       latency=lat, queue_model=queue_model, fees=fee_rates or None,
                       balance=balance, sample_s=sample_s, params=pp, progress=bar)
    try:
        if deterministic:
            with explained():
                try:
                    res = lockstep.run(job)
                except KeyboardInterrupt:
                    raise click.Abort() from None
        else:
            res = run(job)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    bar.done()
    paths = rp.write(out, res.report, res.fills, res.points)
    if as_json:
        click.echo(paths[0].read_text())
        return
    for line in summary(res.report):
        click.echo(line)
    click.echo("files       " + ", ".join(str(p) for p in paths)
               + ("" if len(paths) == 4 else "  (report.png: pip install 'mexc-futures[plot]')"))


@backtest.command("compare")
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--live-journal", "journal", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="journal.sqlite of the live or paper run over the same period.")
@click.option("--window", "window_s", default=5.0, show_default=True, type=float,
              help="Seconds a backtest fill may be away from the live fill it matches.")
@click.option("--price-tol", default=0.001, show_default=True, type=float,
              help="Largest price difference of a match, as a fraction of the live price.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare_cmd(report_dir: Path, journal: Path, window_s: float, price_tol: float,
                as_json: bool) -> None:
    """Set a backtest's simulated fills beside the fills a live or paper run actually got.

    \b
    Live fills: the journal's, for the backtest's symbols, over the recording's
    time range. Each live fill is matched to the nearest backtest fill on the same
    side within --window and --price-tol. Prints counts, fill rates both ways,
    price and time differences of the matches and each side's PnL, and writes
    REPORT_DIR/compare.json.

    \b
    Example:
      mexc-futures backtest compare out/bt1 --live-journal ~/.mexc-futures/paper/journal.sqlite
    """
    from mexc_futures.backtest import compare as cp

    if window_s < 0 or not 0 <= price_tol < 1:
        raise click.BadParameter("--window must be >= 0 and --price-tol in [0, 1)")
    try:
        rep, sim = cp.load_sim(report_dir)
        rec = rep["inputs"]["recording"]
        window_ms = int(window_s * 1000)
        live = cp.load_live(journal, rep["inputs"]["symbols"], rec["start_ms"] - window_ms,
                            rec["end_ms"] + window_ms)
    except (FileNotFoundError, KeyError) as exc:
        raise CliError(f"cannot compare: {exc}") from None
    points = rep_mid(report_dir)
    res = cp.compare(live, sim, window_ms=window_ms, price_tol=price_tol, mark=points,
                     contract_size=float(rep["inputs"].get("contract_size", 1.0)))
    res["inputs"] = {"report": str(report_dir), "live_journal": str(journal)}
    (report_dir / "compare.json").write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")
    if as_json:
        click.echo(json.dumps(res, indent=2, sort_keys=True))
        return
    click.echo(f"compare     {report_dir} (backtest) with {journal} (live), "
               f"{len(live)} live fill(s) in the recording's range")
    for line in cp.table(res):
        click.echo(line)


def rep_mid(report_dir: Path) -> float | None:
    """The last mid of a backtest's ``equity.csv`` (``None`` without one)."""
    import csv

    mid = None
    with open(report_dir / "equity.csv", newline="") as f:
        for row in csv.DictReader(f):
            mid = float(row["mid"]) if row["mid"] else mid
    return mid


class _Bar:
    """A progress bar of recorded time on stderr (a terminal only)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = -1

    def __call__(self, frac: float) -> None:
        pct = int(min(max(frac, 0.0), 1.0) * 100)
        if self.tty and pct != self.last:
            self.last = pct
            filled = pct * 30 // 100
            click.echo(f"\rbacktest [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% of the "
                       "recording", nl=False, err=True)

    def done(self) -> None:
        if self.tty:
            click.echo("", err=True)


def _f(x: Any, digits: int = 4) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.4f} %"


def _lat(m: Any) -> str:
    if not isinstance(m, dict):
        return str(m)
    return (f"entry {m['entry']}, response {m['response']}, market data {m['market_data']} "
            f"(+ {m['on_top']})")


def summary(rep: dict[str, Any]) -> list[str]:
    """The report for people: inputs first, then results."""
    i, r = rep["inputs"], rep["results"]
    pnl, dd, ratios, fills = r["pnl"], r["drawdown"], r["ratios"], r["fills"]
    span = (i["recording"]["end_ms"] - i["recording"]["start_ms"]) / 1000
    mk = ", ".join(f"{h} {_f(v['mean'])} ({v['fills']})" for h, v in r["markouts"].items())
    params = " ".join(f"{k}={v}" for k, v in i["params"].items()) or "defaults"
    gaps = len(i["recording"]["gaps"])
    return [
        f"strategy    {i['strategy']} {params} on {', '.join(i['symbols'])}",
        f"data        {i['data']}: {span:,.0f} s recorded, {gaps} connection gap(s), "
        f"resyncs {i['recording']['resyncs'] or 'none'}",
        f"model       queue {i['queue_model']}; latency {_lat(i['latency_model'])}; fees maker "
        f"{_pct(i['fees'].get('maker_fee_rate'))}, taker {_pct(i['fees'].get('taker_fee_rate'))}",
        f"pacing      {i['pacing']}: {rep['determinism']}",
        f"hash        {rep['hash']} (sha256 of fills and equity; equal runs, equal hash)",
        f"PnL         net {_f(pnl['net'])} = realised {_f(pnl['realised'])} - maker fees "
        f"{_f(pnl['maker_fees'])} - taker fees {_f(pnl['taker_fees'])} + funding "
        f"{_f(pnl['funding'])} + unrealised {_f(pnl['unrealised'])} USDT",
        f"equity      {_f(r['start_equity'], 2)} -> {_f(r['end_equity'], 2)} USDT; max drawdown "
        f"{_f(dd['max_drawdown'])} ({_f(dd['max_drawdown_pct'] * 100, 3)} %, "
        f"{dd['duration_s']:,.0f} s)",
        f"ratios      Sharpe {_f(ratios['sharpe'], 2)}, Sortino {_f(ratios['sortino'], 2)} "
        f"({ratios['sampling_interval_s']:g} s returns x sqrt({ratios['periods_per_year']:,.0f}))",
        f"orders      {r['orders']['placed']} placed; by state {r['orders']['by_state']}; "
        f"error codes {r['orders']['rejected_or_cancelled_by_code'] or 'none'}",
        f"fills       {fills['fills']} ({fills['buys']} buys, {fills['sells']} sells), maker "
        f"share {_f(fills['maker_share'], 3)}",
        f"markouts    {mk} USDT per fill (mean, count)",
        "latency     " + (", ".join(
            f"{k} p50 {_f(v['p50_ms'], 1)} / p99 {_f(v['p99_ms'], 1)} ms"
            for k, v in r["latency_venue_ms"].items() if v["n"]) or "none") + " (venue time)",
        f"ledger      start + realised - fees + funding = wallet: "
        f"{'holds' if rep['reconciliation']['holds'] else 'BROKEN'}",
    ]


__all__ = ["backtest", "compare_cmd", "run_cmd", "summary"]
