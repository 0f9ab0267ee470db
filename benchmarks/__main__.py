"""``python -m benchmarks [--quick] [--out FILE] [--only SCENARIO ...] [--candidates ...]``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from benchmarks.compare import CANDIDATES, FULL, QUICK, run_suite
from benchmarks.report import aggregate, ratios, table, targets, write_json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smoke sizes: seconds, one round")
    ap.add_argument("--out", type=Path, default=None, help="JSON path (default results/<date>)")
    ap.add_argument("--only", nargs="*", default=(),
                    choices=("ingest", "latency", "t2o", "scale", "books"))
    ap.add_argument("--candidates", nargs="*", default=CANDIDATES,
                    choices=(*CANDIDATES, "toolkit-hop"),
                    help="toolkit-hop: the toolkit placing its tick-to-order orders from a task "
                         "(the A/B for writing the order inside the callback)")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.repeats:
        plan = plan.__class__(**{**asdict(plan), "repeats": args.repeats})
    missing = _missing(tuple(args.candidates))
    cands = tuple(c for c in args.candidates if c not in missing)
    for c, why in missing.items():
        print(f"[bench] candidate {c} skipped: {why}", file=sys.stderr)
    results = run_suite(plan, cands, tuple(args.only),
                        progress=lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    agg = aggregate(results)
    rat = ratios(results)
    tgt = targets(agg, rat)
    print(table(agg, rat, tgt))
    books = None
    if not args.only or "books" in args.only:  # book apply from Python, nautilus_trader beside
        from benchmarks import bench_books

        books = bench_books.run(frames=plan.books_n, rounds=plan.repeats)
        print()
        print(bench_books.table(books))
    path = write_json(args.out, command="python -m benchmarks " + " ".join(argv or sys.argv[1:]),
                      plan={**asdict(plan), "candidates": cands, "skipped": missing},
                      results=results, agg=agg, rat=rat, tgt=tgt, books=books)
    print(f"\nJSON: {path}")
    return 0


def _missing(cands: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    if "ccxt" in cands:
        try:
            import ccxt.pro  # noqa: F401
        except ImportError as e:
            out["ccxt"] = f"{e} (pip install '.[bench]')"
    for name in ("toolkit", "pure", "toolkit-hop"):
        if name in cands:
            from benchmarks.toolkit_candidate import available

            why = available()
            if why:
                out[name] = why
    return out


if __name__ == "__main__":
    raise SystemExit(main())
