"""``backtest compare``: a backtest's simulated fills beside the fills a live or paper run got
(issue #17; design record-replay-bus.md §1.4 "Reconciliation" — hftbacktest #67's manual check,
built in).

Live fills come from the run's journal (the SQLite file every ``run`` writes), restricted to the
backtest's symbols and to the recording's time range (widened by the match window). Matching is
greedy in time order: each live fill takes the nearest unmatched simulated fill on the same
side (buy: open long / close short; sell: open short / close long) within ``window_ms`` and
``price_tol`` (a fraction of the live price); ties go to the closer price. Reported:

* counts, volumes, buys/sells on each side, matched fills and the **fill rate** both ways
  (matched / live: how much of what really filled the backtest reproduced; matched / backtest:
  how much of the backtest's fills really happened);
* for matched pairs, the **price difference** per fill, signed so that + means the backtest got
  the better price (bought lower or sold higher: optimistic), its mean/median in quote currency
  and in basis points, and the time difference (backtest minus live);
* **PnL** of each side's fills computed the same way: cash flow of the fills minus fees plus
  the net position marked at ``mark`` (the backtest's last mid), in quote currency.

Pure: ``compare`` takes rows; ``load_live`` and ``load_sim`` read the files.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mexc_futures.backtest.report import BUY_SIDES


@dataclass(frozen=True, slots=True)
class F:
    """One fill, either side of the comparison."""

    t_ms: int
    buy: bool
    price: float
    vol: float
    fee: float


def load_sim(report_dir: Path) -> tuple[dict[str, Any], list[F]]:
    """``report.json`` and ``fills.csv`` of a backtest."""
    rep_path = report_dir / "report.json"
    if not rep_path.exists():
        raise FileNotFoundError(f"{report_dir} holds no report.json: give the --report directory "
                                "of a `mexc-futures backtest` run")
    report = json.loads(rep_path.read_text())
    with open(report_dir / "fills.csv", newline="") as f:
        rows = [F(int(r["timestamp"]), int(r["side"]) in BUY_SIDES, float(r["price"]),
                  float(r["vol"]), float(r["fee"])) for r in csv.DictReader(f)]
    return report, rows


def load_live(journal: Path, symbols: Sequence[str], start_ms: int, end_ms: int) -> list[F]:
    """The journal's fills of ``symbols`` with ``start_ms <= time <= end_ms``."""
    from mexc_futures.execution.journal import Journal

    if not journal.is_file():
        raise FileNotFoundError(f"no journal at {journal}: give the journal.sqlite of the live "
                                "or paper run (`mexc-futures status` shows where it is)")
    j = Journal(journal)
    try:
        rows = j.fills(symbols=list(symbols), since_ms=start_ms)
    finally:
        j.close()
    out = [F(int(str(r["time_ms"])), int(str(r["side"])) in BUY_SIDES, float(str(r["price"])),
             float(str(r["vol"])), float(str(r["fee"])))
           for r in rows if int(str(r["time_ms"])) <= end_ms]
    return sorted(out, key=lambda x: (x.t_ms, not x.buy, x.price))


def pnl(fills: Sequence[F], mark: float | None, contract_size: float) -> dict[str, float]:
    """Cash flow minus fees plus the net position at ``mark`` (quote currency)."""
    cash = sum((-1 if f.buy else 1) * f.price * f.vol * contract_size for f in fills)
    pos = sum((1 if f.buy else -1) * f.vol for f in fills)
    fees = sum(f.fee for f in fills)
    value = pos * contract_size * mark if mark is not None else 0.0
    return {"cash_flow": cash, "fees": fees, "position": pos, "position_value": value,
            "net": cash - fees + value}


def _side(fills: Sequence[F], mark: float | None, cs: float) -> dict[str, Any]:
    return {"fills": len(fills), "volume": sum(f.vol for f in fills),
            "buys": sum(1 for f in fills if f.buy), "sells": sum(1 for f in fills if not f.buy),
            "pnl": pnl(fills, mark, cs)}


def _stats(xs: list[float]) -> dict[str, float | None]:
    if not xs:
        return {"mean": None, "median": None}
    return {"mean": statistics.fmean(xs), "median": statistics.median(xs)}


def compare(live: Sequence[F], sim: Sequence[F], *, window_ms: int = 5_000,
            price_tol: float = 0.001, mark: float | None = None,
            contract_size: float = 1.0) -> dict[str, Any]:
    """Match ``live`` and ``sim`` fills and summarise both (see the module docstring)."""
    free = sorted(range(len(sim)), key=lambda i: sim[i].t_ms)
    pairs: list[tuple[F, F]] = []
    for lf in sorted(live, key=lambda x: x.t_ms):
        best: tuple[int, float, int] | None = None
        for i in free:
            s = sim[i]
            dt = abs(s.t_ms - lf.t_ms)
            if s.t_ms > lf.t_ms + window_ms:
                break
            if dt > window_ms or s.buy != lf.buy or abs(s.price - lf.price) > price_tol * lf.price:
                continue
            key = (dt, abs(s.price - lf.price), i)
            if best is None or key < best:
                best = key
        if best is not None:
            free.remove(best[2])
            pairs.append((lf, sim[best[2]]))
    better = [(lf.price - s.price) if lf.buy else (s.price - lf.price) for lf, s in pairs]
    bps = [b / lf.price * 1e4 for b, (lf, _) in zip(better, pairs, strict=True)]
    dts = [float(s.t_ms - lf.t_ms) for lf, s in pairs]
    n_live, n_sim, n = len(live), len(sim), len(pairs)
    out: dict[str, Any] = {
        "match": {"window_ms": window_ms, "price_tolerance": price_tol, "mark": mark,
                  "contract_size": contract_size},
        "live": _side(live, mark, contract_size),
        "backtest": _side(sim, mark, contract_size),
        "matched": n,
        "live_only": n_live - n,
        "backtest_only": n_sim - n,
        "fill_rate_live": n / n_live if n_live else None,
        "fill_rate_backtest": n / n_sim if n_sim else None,
        "fill_count_ratio": n_sim / n_live if n_live else None,
        "price_better_in_backtest": _stats(better),
        "price_better_in_backtest_bps": _stats(bps),
        "time_diff_ms": _stats(dts),
    }
    out["pnl_diff"] = out["backtest"]["pnl"]["net"] - out["live"]["pnl"]["net"]
    return out


def _n(x: float | None, d: int = 4) -> str:
    return "-" if x is None else f"{x:,.{d}f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"


def table(res: dict[str, Any]) -> list[str]:
    """The comparison for people."""
    lv, bt, m = res["live"], res["backtest"], res["match"]
    bs_live, bs_bt = f"{lv['buys']} / {lv['sells']}", f"{bt['buys']} / {bt['sells']}"
    return [
        f"{'':22}{'live':>14}{'backtest':>14}{'backtest-live':>16}",
        f"{'fills':22}{lv['fills']:>14,}{bt['fills']:>14,}{bt['fills'] - lv['fills']:>+16,}",
        f"{'volume (contracts)':22}{lv['volume']:>14,.0f}{bt['volume']:>14,.0f}"
        f"{bt['volume'] - lv['volume']:>+16,.0f}",
        f"{'buys / sells':22}{bs_live:>14}{bs_bt:>14}",
        f"{'fees':22}{lv['pnl']['fees']:>14,.4f}{bt['pnl']['fees']:>14,.4f}"
        f"{bt['pnl']['fees'] - lv['pnl']['fees']:>+16,.4f}",
        f"{'net PnL (marked)':22}{lv['pnl']['net']:>14,.4f}{bt['pnl']['net']:>14,.4f}"
        f"{res['pnl_diff']:>+16,.4f}",
        "",
        f"matched     {res['matched']} fills within {m['window_ms'] / 1000:g} s and "
        f"{m['price_tolerance'] * 100:g} % of the price: {_pct(res['fill_rate_live'])} of live, "
        f"{_pct(res['fill_rate_backtest'])} of the backtest; {res['live_only']} live only, "
        f"{res['backtest_only']} backtest only",
        f"price       matched fills: the backtest's price better by "
        f"{_n(res['price_better_in_backtest']['mean'])} mean, "
        f"{_n(res['price_better_in_backtest']['median'])} median (price units; "
        f"{_n(res['price_better_in_backtest_bps']['mean'], 2)} bp; + = optimistic)",
        f"time        backtest - live {_n(res['time_diff_ms']['median'], 0)} ms median",
        f"PnL         each side's fills: cash flow - fees + position at "
        f"{_n(m['mark'])} (the backtest's last mid), contract size {m['contract_size']:g}",
    ]


__all__ = ["F", "compare", "load_live", "load_sim", "pnl", "table"]
