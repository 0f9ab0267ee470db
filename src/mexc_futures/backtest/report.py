"""Backtest report: metrics from the venue's fills and an equity sampler (pure, no I/O but
``write``). Definitions (so that ``benchmarks``-independent scripts can recompute them, A11):

* equity ``e_i`` = wallet + unrealised PnL at the fair (mark) price, sampled every
  ``interval_s`` seconds of venue time; returns ``r_i = e_i / e_{i-1} - 1``;
* Sharpe = ``mean(r) / stdev(r) * sqrt(N)`` and Sortino = ``mean(r) / sqrt(mean(min(r, 0)^2))
  * sqrt(N)``, ``N = 365 * 86400 / interval_s`` (a 24/7 market; sample stdev, n - 1);
* max drawdown = the largest ``peak - e`` over the curve (absolute, and as a fraction of the
  peak), with its duration from the peak to the bottom;
* PnL split: realised (the fills' ``profit``), maker fees, taker fees, funding, unrealised at the
  end; net = realised - fees + funding + unrealised = last equity - starting balance;
* markout of a fill at ``h``: ``sign * (mid(t + h) - price) * vol * contract_size`` (quote
  currency; sign +1 for buys), mid from the replayed book; the adverse-selection measure.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import statistics
from bisect import bisect_left
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BUY_SIDES = frozenset({1, 2})  # open long, close short (spec §10)
MARKOUT_MS = (1_000, 10_000, 60_000)


@dataclass(frozen=True)
class EquityPoint:
    """One sample of the account at venue time ``t_ms``."""

    t_ms: int
    wallet: float
    unrealised: float
    equity: float
    position: float  # net contracts, long positive
    mid: float | None


def returns(equity: list[float]) -> list[float]:
    return [b / a - 1.0 for a, b in itertools.pairwise(equity) if a]


def ratio_metrics(equity: list[float], interval_s: float) -> dict[str, Any]:
    """Sharpe and Sortino of the equity curve, annualised for a 24/7 market."""
    r = returns(equity)
    n_year = 365 * 86400 / interval_s
    out: dict[str, Any] = {"sampling_interval_s": interval_s, "periods_per_year": n_year,
                           "returns": len(r), "sharpe": None, "sortino": None}
    if len(r) >= 2:
        mean = statistics.fmean(r)
        sd = statistics.stdev(r)
        down = math.sqrt(statistics.fmean([min(x, 0.0) ** 2 for x in r]))
        out["sharpe"] = mean / sd * math.sqrt(n_year) if sd > 0 else None
        out["sortino"] = mean / down * math.sqrt(n_year) if down > 0 else None
    return out


def drawdown(points: list[EquityPoint]) -> dict[str, Any]:
    """Largest peak-to-bottom fall of equity."""
    peak, peak_t = -math.inf, 0
    best = {"max_drawdown": 0.0, "max_drawdown_pct": 0.0, "duration_s": 0.0}
    for p in points:
        if p.equity > peak:
            peak, peak_t = p.equity, p.t_ms
        dd = peak - p.equity
        if dd > best["max_drawdown"]:
            best = {"max_drawdown": dd, "max_drawdown_pct": dd / peak if peak else 0.0,
                    "duration_s": (p.t_ms - peak_t) / 1000}
    return best


def pnl_split(fills: list[dict[str, Any]], funding: list[dict[str, Any]],
              unrealised: float) -> dict[str, float]:
    realised = sum(float(f["profit"]) for f in fills)
    maker = sum(float(f["fee"]) for f in fills if not f["taker"])
    taker = sum(float(f["fee"]) for f in fills if f["taker"])
    fund = sum(float(x["funding"]) for x in funding)
    return {"realised": realised, "maker_fees": maker, "taker_fees": taker, "funding": fund,
            "unrealised": unrealised, "net": realised - maker - taker + fund + unrealised}


def fill_stats(fills: list[dict[str, Any]]) -> dict[str, Any]:
    vol = sum(f["vol"] for f in fills)
    maker_vol = sum(f["vol"] for f in fills if not f["taker"])
    return {"fills": len(fills), "volume": vol,
            "maker_fills": sum(1 for f in fills if not f["taker"]),
            "maker_share": maker_vol / vol if vol else None,
            "buys": sum(1 for f in fills if f["side"] in BUY_SIDES),
            "sells": sum(1 for f in fills if f["side"] not in BUY_SIDES)}


def markouts(fills: list[dict[str, Any]], points: list[EquityPoint],
             contract_size: float) -> dict[str, Any]:
    """Mean and total markout per horizon (fills whose horizon is past the data are left out)."""
    mids = [(p.t_ms, p.mid) for p in points if p.mid is not None]
    ts = [t for t, _ in mids]
    out: dict[str, Any] = {}
    for h in MARKOUT_MS:
        vals = []
        for f in fills:
            i = bisect_left(ts, f["timestamp"] + h)
            if i >= len(mids):
                continue
            mid = mids[i][1]
            assert mid is not None  # nosec B101  # filtered above
            sign = 1.0 if f["side"] in BUY_SIDES else -1.0
            vals.append(sign * (mid - float(f["price"])) * f["vol"] * contract_size)
        out[f"{h // 1000}s"] = {"fills": len(vals), "mean": statistics.fmean(vals)
                                if vals else None, "total": sum(vals)}
    return out


FILL_COLUMNS = ("timestamp", "orderId", "symbol", "side", "price", "vol", "taker", "fee",
                "profit", "externalOid")


def determinism_hash(fills: list[dict[str, Any]], points: list[EquityPoint]) -> str:
    """sha256 over every ``fills.csv`` column of every fill and every ``equity.csv`` row: two
    runs with the same hash traded the same orders at the same times and prices."""
    h = hashlib.sha256()
    for f in fills:
        h.update((",".join(str(f.get(k, "")) for k in FILL_COLUMNS) + "\n").encode())
    for p in points:
        h.update(f"{p.t_ms},{p.wallet!r},{p.unrealised!r},{p.equity!r},{p.position!r},"
                 f"{p.mid!r}\n".encode())
    return h.hexdigest()


def write(out: Path, report: dict[str, Any], fills: list[dict[str, Any]],
          points: list[EquityPoint]) -> list[Path]:
    """``report.json``, ``fills.csv``, ``equity.csv`` and, with matplotlib, ``report.png``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "fills.csv", out / "equity.csv"]
    paths[0].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    with open(paths[1], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(FILL_COLUMNS)
        for x in fills:
            w.writerow([x.get(k, "") for k in FILL_COLUMNS])
    with open(paths[2], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t_ms", "wallet", "unrealised", "equity", "position", "mid"])
        for p in points:
            w.writerow([p.t_ms, repr(p.wallet), repr(p.unrealised), repr(p.equity),
                        repr(p.position), "" if p.mid is None else repr(p.mid)])
    png = plot(out / "report.png", points, fills)
    if png is not None:
        paths.append(png)
    return paths


def plot(path: Path, points: list[EquityPoint], fills: list[dict[str, Any]]) -> Path | None:
    """Price with fills, position, equity and drawdown; ``None`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    t = [(p.t_ms - points[0].t_ms) / 1000 for p in points] if points else []
    fig, ax = plt.subplots(4, 1, sharex=True, figsize=(10, 9))
    ax[0].plot(t, [p.mid for p in points], lw=0.8, color="grey")
    t0 = points[0].t_ms if points else 0
    for side, color in ((True, "green"), (False, "red")):
        sel = [f for f in fills if (f["side"] in BUY_SIDES) == side]
        ax[0].scatter([(f["timestamp"] - t0) / 1000 for f in sel],
                      [float(f["price"]) for f in sel], s=8, color=color)
    ax[0].set_ylabel("mid, fills")
    ax[1].step(t, [p.position for p in points], where="post")
    ax[1].set_ylabel("position")
    ax[2].plot(t, [p.equity for p in points])
    ax[2].set_ylabel("equity")
    peak, dd = -math.inf, []
    for p in points:
        peak = max(peak, p.equity)
        dd.append(p.equity - peak)
    ax[3].fill_between(t, dd, 0, color="red", alpha=0.4)
    ax[3].set_ylabel("drawdown")
    ax[3].set_xlabel("seconds of recorded time")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def as_dict(points: list[EquityPoint]) -> list[dict[str, Any]]:
    return [asdict(p) for p in points]


__all__ = [
    "MARKOUT_MS",
    "EquityPoint",
    "determinism_hash",
    "drawdown",
    "fill_stats",
    "markouts",
    "pnl_split",
    "ratio_metrics",
    "write",
]
