"""The README's performance table, generated from one ``./run bench`` JSON (issue #19).

    python -m benchmarks.readme_table benchmarks/results/<run>.json

Prints Markdown: a header line (date, machine, depth path, load), the side-by-side table (median
and min-max over the interleaved rounds), the per-round ratios, tick-to-order segments and the
book comparison with nautilus_trader. Paste it under "## Performance".
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def _m(s: dict[str, float] | None, fmt: str = "{:,.2f}", spread: bool = True) -> str:
    if not s or not s.get("n") or math.isnan(s.get("median", math.nan)):
        return "—"
    med = fmt.format(s["median"])
    if spread and s["n"] > 1:
        return f"{med} [{fmt.format(s['min'])}–{fmt.format(s['max'])}]"
    return med


def _get(agg: dict[str, Any], label: str, cand: str, key: str) -> dict[str, float] | None:
    got: dict[str, float] | None = agg.get(label, {}).get(cand, {}).get(key)
    return got


def table(doc: dict[str, Any]) -> str:
    agg, rat = doc["summary"], doc["ratios"]
    mach = doc["machine"]
    path = mach.get("depth_path", {})
    load = mach.get("load_avg") or []
    vers = mach.get("versions", {})
    lines = [
        f"Measured with `./run bench` on {doc['date'][:10]} ({mach.get('cores')} cores, "
        f"{mach.get('cpu')}, CPython {vers.get('python')}, picows {vers.get('picows')}, "
        f"msgspec {vers.get('msgspec')}, ccxt {vers.get('ccxt')}); depth path of `toolkit`: "
        f"**{path.get('path', '?')}** ({path.get('reason', '')}); `pure` is the same toolkit with "
        f"`MEXC_FUTURES_PURE=1`. Load average at the start: "
        f"{', '.join(f'{x:.1f}' for x in load) or 'n/a'} (a shared 2-core machine: only ratios "
        "taken inside one interleaved round are meaningful). Median [min–max] over rounds; every "
        "run gated (final book equal to the emulator's at the same version, zero gaps).",
        "",
        "| measure | toolkit (compiled) | toolkit (pure) | ccxt.pro | raw floor¹ |",
        "|---|---|---|---|---|",
    ]
    cands = ("toolkit", "pure", "ccxt", "floor")

    def row(name: str, label: str, key: str, fmt: str, which: tuple[str, ...] = cands) -> None:
        cells = [_m(_get(agg, label, c, key), fmt) if c in which else "—" for c in cands]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    row("depth ingest, books maintained, msgs/s", "ingest", "msgs_per_s", "{:,.0f}")
    row("CPU µs per 5-level depth frame", "ingest", "cpu_us_per_msg", "{:.2f}")
    lat = next((k for k in agg if k.startswith("latency")), None)
    if lat:
        row("latency at 10 k msgs/s, send → callback p50 µs", lat, "p50_us", "{:.1f}")
    row("tick-to-order p50 µs (frame in → signed create written)", "tick-to-order", "p50_us",
        "{:.0f}", ("toolkit", "pure", "ccxt"))
    row("tick-to-order p99 µs", "tick-to-order", "p99_us", "{:.0f}", ("toolkit", "pure", "ccxt"))
    row("  of which frame in → consumer called, p50 µs", "tick-to-order",
        "arrival_to_callback_p50_us", "{:.1f}", ("toolkit", "pure", "ccxt"))
    row("  of which consumer → request written, p50 µs", "tick-to-order",
        "callback_to_write_p50_us", "{:.1f}", ("toolkit", "pure", "ccxt"))
    for label in [k for k in agg if k.startswith("scale")]:
        row(f"{label} × depth+deal+ticker at 10 k/s: CPU µs/msg", label, "cpu_us_per_msg",
            "{:.1f}")
    lines += ["", "¹ picows + msgspec + a dict/bisect book with no abstractions.", "",
              "| per-round ratio (median [min–max]) | measured | target |", "|---|---|---|"]
    tgt = doc.get("targets", {})
    for key, want in (("ccxt/toolkit CPU per msg", "≥ 10×"), ("toolkit/ccxt ingest", "≥ 10×"),
                      ("floor/toolkit CPU per msg", "—"), ("toolkit/floor ingest", "≥ 0.85"),
                      ("floor/pure CPU per msg", "≥ 0.85"), ("pure/floor ingest", "≥ 0.85"),
                      ("ccxt/pure CPU per msg", "—"), ("pure/ccxt ingest", "—")):
        if key in rat:
            met = tgt.get(key, {}).get("met")
            mark = {True: " ✔", False: " ✘", None: ""}[met]
            lines.append(f"| {key} | {_m(rat[key], '{:.2f}×')}{mark} | {want} |")
    hop = agg.get("tick-to-order", {}).get("toolkit-hop")
    if hop:
        lines += ["", "Tick to order, the A/B of writing the order inside the market-data "
                  "callback (`RestClient.begin_create`) vs a task hop first: p50 "
                  f"{_m(_get(agg, 'tick-to-order', 'toolkit', 'p50_us'), '{:.0f}')} µs vs "
                  f"{_m(_get(agg, 'tick-to-order', 'toolkit-hop', 'p50_us'), '{:.0f}')} µs."]
    books = doc.get("books")
    if books:
        lines += ["", f"Book work from Python on the same {books['frames']:,} frames "
                  f"({books['avg_frame_bytes']:.0f} B average), in-process, "
                  f"`benchmarks/bench_books.py` (nautilus_trader "
                  f"{books.get('nautilus_version', 'absent')}, bench-only):", "",
                  "| per frame | µs, median [min–max] | nautilus ÷ this |", "|---|---|---|"]
        for k, s in books["us_per_frame"].items():
            r = books["ratios"].get(f"nautilus / {k}")
            lines.append(f"| {k} | {_m(s, '{:.3f}')} | {_m(r, '{:.2f}×') if r else '—'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
