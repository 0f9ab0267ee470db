"""Recompute a backtest's PnL, drawdown and Sharpe from its CSVs alone (acceptance A11).

    python examples/verify_backtest.py OUT_DIR

Independent of the toolkit on purpose (csv, json, math only): it reads ``fills.csv`` and
``equity.csv`` and checks ``report.json``: realised PnL and fees (sums of the fills), net PnL
(last equity - first equity), max drawdown (largest peak-to-bottom fall of equity) and Sharpe
(mean / sample stdev of interval returns x sqrt(periods per year)). Exit 1 on any difference
above 1e-9 (relative for Sharpe).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import sys
from pathlib import Path


def main(out: Path) -> int:
    rep = json.loads((out / "report.json").read_text())
    with open(out / "fills.csv", newline="") as f:
        fills = list(csv.DictReader(f))
    with open(out / "equity.csv", newline="") as f:
        eq = [float(r["equity"]) for r in csv.DictReader(f)]
    realised = sum(float(f["profit"]) for f in fills)
    fees = sum(float(f["fee"]) for f in fills)
    net = eq[-1] - rep["results"]["start_equity"]
    peak, max_dd = -math.inf, 0.0
    for e in eq:
        peak = max(peak, e)
        max_dd = max(max_dd, peak - e)
    r = [b / a - 1 for a, b in itertools.pairwise(eq) if a]
    n = rep["results"]["ratios"]["periods_per_year"]
    sharpe = None
    if len(r) >= 2:
        mean = sum(r) / len(r)
        sd = math.sqrt(sum((x - mean) ** 2 for x in r) / (len(r) - 1))
        sharpe = mean / sd * math.sqrt(n) if sd > 0 else None
    pnl = rep["results"]["pnl"]
    checks = {
        "realised": (realised, pnl["realised"]),
        "fees": (fees, pnl["maker_fees"] + pnl["taker_fees"]),
        "net": (net, pnl["net"]),
        "max_drawdown": (max_dd, rep["results"]["drawdown"]["max_drawdown"]),
    }
    bad = [k for k, (a, b) in checks.items() if abs(a - b) > 1e-9]
    rs = rep["results"]["ratios"]["sharpe"]
    if (sharpe is None) != (rs is None) or (
            sharpe is not None and abs(sharpe - rs) > 1e-9 * max(1.0, abs(rs))):
        bad.append("sharpe")
    for k, (a, b) in checks.items():
        print(f"{k:<13} recomputed {a:.10f}  report {b:.10f}")
    print(f"{'sharpe':<13} recomputed {sharpe}  report {rs}")
    print("AGREES" if not bad else f"DISAGREES: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
