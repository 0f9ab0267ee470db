"""Table for people and JSON for machines (``benchmarks/results/<date>.json``)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import statistics
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.harness import RunResult, summary

# metric shown per scenario: (key, label, format)
_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "ingest": [("msgs_per_s", "msgs/s", "{:,.0f}"), ("cpu_us_per_msg", "CPU µs/msg", "{:.2f}"),
               ("callbacks", "callbacks", "{:,.0f}"), ("rss_mib", "RSS MiB", "{:.0f}"),
               ("server_capacity_fps", "emulator /s", "{:,.0f}")],
    "latency": [("p50_us", "p50 µs", "{:.1f}"), ("p99_us", "p99 µs", "{:.1f}"),
                ("p999_us", "p99.9 µs", "{:.1f}"), ("cpu_us_per_msg", "CPU µs/msg", "{:.2f}"),
                ("observed", "observed", "{:,.0f}")],
    "t2o": [("p50_us", "p50 µs", "{:.1f}"), ("p99_us", "p99 µs", "{:.1f}"),
            ("send_to_write_p50_us", "sent→write p50", "{:.1f}"),
            ("arrival_to_callback_p50_us", "in→callback p50", "{:.1f}"),
            ("callback_to_write_p50_us", "callback→write", "{:.1f}"),
            ("orders", "orders", "{:,.0f}"),
            ("fills", "fills", "{:.0f}")],
    "scale": [("msgs_per_s", "msgs/s", "{:,.0f}"), ("cpu_share", "CPU share", "{:.1%}"),
              ("cpu_us_per_msg", "CPU µs/msg", "{:.2f}"), ("rss_mib", "RSS MiB", "{:.0f}")],
}
TARGETS = {"toolkit/floor ingest": 0.85, "toolkit/ccxt ingest": 10.0,
           "ccxt/toolkit CPU per msg": 10.0, "pure/floor ingest": 0.85,
           "floor/pure CPU per msg": 0.85, "t2o p50 µs": 100.0, "t2o p99 µs": 300.0}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mexc-futures", "ccxt", "picows", "msgspec", "aiohttp", "uvloop", "orjson"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "versions": _versions(), "depth_path": _depth_path(),
            "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def _depth_path() -> dict[str, Any]:
    """``mexc_futures.speedups()`` as the ``toolkit`` candidate's processes see it."""
    try:
        from mexc_futures import speedups
    except ImportError as e:  # pragma: no cover - depends on the tree state
        return {"path": "unavailable", "reason": str(e)}
    return speedups()


def _scenario(label: str, runs: list[RunResult]) -> str:
    return runs[0].scenario if runs else label


def aggregate(results: dict[str, list[RunResult]]) -> dict[str, Any]:
    """Per scenario and candidate: summaries of every metric over the counted (gated) runs."""
    agg: dict[str, Any] = {}
    for label, runs in results.items():
        per: dict[str, Any] = {}
        for cand in dict.fromkeys(r.candidate for r in runs):
            mine = [r for r in runs if r.candidate == cand]
            ok = [r for r in mine if r.ok]
            keys = sorted({k for r in ok for k in r.metrics})
            per[cand] = {"counted": len(ok), "runs": len(mine),
                         "problems": sorted({p for r in mine for p in r.problems}),
                         **{k: summary([r.metrics[k] for r in ok]) for k in keys}}
        agg[label] = per
    return agg


def ratios(results: dict[str, list[RunResult]]) -> dict[str, dict[str, float]]:
    """Ingest throughput ratios computed per interleaved round, then summarised."""
    runs = results.get("ingest", [])
    out: dict[str, dict[str, float]] = {}
    for me, other in (("toolkit", "ccxt"), ("toolkit", "floor"), ("pure", "floor"),
                      ("pure", "ccxt")):
        vals: list[float] = []
        tk = [r for r in runs if r.candidate == me]
        ot = [r for r in runs if r.candidate == other]
        if not tk or not ot:
            continue
        for a, b in zip(tk, ot, strict=False):
            if a.ok and b.ok:
                vals.append(a.metrics["msgs_per_s"] / b.metrics["msgs_per_s"])
        out[f"{me}/{other} ingest"] = summary(vals)
        cpu = [b.metrics["cpu_us_per_msg"] / a.metrics["cpu_us_per_msg"]
               for a, b in zip(tk, ot, strict=False) if a.ok and b.ok]
        out[f"{other}/{me} CPU per msg"] = summary(cpu)
    return out


def targets(agg: dict[str, Any], rat: dict[str, dict[str, float]]) -> dict[str, Any]:
    t2o = agg.get("tick-to-order", {}).get("toolkit", {})
    got = {
        "toolkit/floor ingest": rat.get("toolkit/floor ingest", {}).get("median", math.nan),
        "toolkit/ccxt ingest": rat.get("toolkit/ccxt ingest", {}).get("median", math.nan),
        **{k: rat.get(k, {}).get("median", math.nan)
           for k in ("ccxt/toolkit CPU per msg", "pure/floor ingest", "floor/pure CPU per msg")},
        "t2o p50 µs": t2o.get("p50_us", {}).get("median", math.nan),
        "t2o p99 µs": t2o.get("p99_us", {}).get("median", math.nan),
    }
    out = {}
    for k, want in TARGETS.items():
        v = got[k]
        met = (v >= want) if ("ingest" in k or "CPU" in k) else (v <= want)
        out[k] = {"target": want, "measured": v, "met": bool(met) if not math.isnan(v) else None}
    return out


def _cell(s: dict[str, float], fmt: str) -> str:
    if not s or s.get("n", 0) == 0 or math.isnan(s["median"]):
        return "-"
    spread = s["spread"]
    return fmt.format(s["median"]) + ("" if s["n"] < 2 else f" ±{spread / 2:.0%}")


def table(agg: dict[str, Any], rat: dict[str, dict[str, float]], tgt: dict[str, Any]) -> str:
    """Plain-text table: median with ± half the relative range over counted runs."""
    lines: list[str] = []
    for label, per in agg.items():
        scen = ("ingest" if label == "ingest" else "latency" if label.startswith("latency")
                else "t2o" if label == "tick-to-order" else "scale")
        cols = _COLUMNS[scen]
        head = f"{label:<22}" + "".join(f"{c[1]:>16}" for c in cols) + f"{'counted':>10}"
        lines += ["", head, "-" * len(head)]
        for cand, row in per.items():
            cells = "".join(f"{_cell(row.get(k, {}), f):>16}" for k, _, f in cols)
            lines.append(f"{cand:<22}{cells}{row['counted']:>6}/{row['runs']}")
            for p in row["problems"][:2]:
                lines.append(f"    not counted: {p}")
    if rat:
        lines += ["", "ratios (per interleaved round, median ± half range)"]
        for k, s in rat.items():
            lines.append(f"  {k:<28}{_cell(s, '{:.2f}x')}")
    if tgt:
        lines += ["", "targets (performance.md)"]
        for k, t in tgt.items():
            verdict = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
            lines.append(f"  {k:<28}target {t['target']:<8} measured {t['measured']:.2f}  "
                         f"{verdict}")
    return "\n".join(lines)


def write_json(path: Path | None, *, command: str, plan: dict[str, Any],
               results: dict[str, list[RunResult]], agg: dict[str, Any],
               rat: dict[str, dict[str, float]], tgt: dict[str, Any],
               books: dict[str, Any] | None = None) -> Path:
    """Writes the JSON document; default path ``benchmarks/results/<UTC date-time>.json``."""
    now = dt.datetime.now(dt.UTC)
    if path is None:
        path = Path(__file__).parent / "results" / f"{now:%Y-%m-%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"), "command": command, "machine": machine(),
        "plan": plan, "summary": agg, "ratios": rat, "targets": tgt,
        "runs": {k: [r.as_dict() for r in v] for k, v in results.items()}}
    if books is not None:
        doc["books"] = books
    path.write_text(json.dumps(doc, indent=1, default=_nan_safe, allow_nan=True))
    return path


def _nan_safe(o: object) -> object:
    return str(o)


def median_or_nan(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan
