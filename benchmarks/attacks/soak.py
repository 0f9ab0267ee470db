# ruff: noqa  -- adapted copy of one of the reliability audit's attack scripts, kept close to the original
"""Attack 7: long market-data soak. An emulator process (--speed S, many contracts) and a client
process (MarketData on a ScaledClock of the same speed, depth+deal+ticker on N symbols); the
driver samples RSS / fds / threads of both every SAMPLE s, the client reports its own task count,
events/s and books; optional DropTcp every DROP_EVERY s (reconnects; closed links pile up in the
emulator).
The emulator's own view of its memory (``GET /_emulator/memory``: structure sizes, gc, tasks) is
sampled with every line; MF_SOAK_TRACE=N (seconds) also turns tracemalloc on in the emulator and
writes the allocation sites that grew most every N s to OUTDIR/memory.jsonl (issue #14;
MF_SOAK_TRACE_FRAMES frames per traceback, default 3: more slows the emulator a lot).

At the end a summary (RSS of both processes at 60 / 300 / 600 s and at the end, growth per second
over the second half, fds, reconnects) goes to OUTDIR/summary.json and benchmarks/results/.

usage: soak.py OUTDIR DURATION_S [N_SYMBOLS] [SPEED] [DROP_EVERY_S]
       soak.py --summary OUTDIR        (the summary of an earlier run)
       soak.py --client PORT N_SYMBOLS SPEED DURATION_S   (internal)
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import PY, ctl, fd_count, free_port, rss_kb, start_emulator, stop, threads

SAMPLE = 15.0


async def client(port: int, n: int, speed: float, duration: float) -> None:
    import urllib.request

    from mexc_futures.clock import ScaledClock
    from mexc_futures.config import Environment
    from mexc_futures.marketdata import MarketData, MarketDataConfig
    from mexc_futures.model.events import BookResync, BookUpdate, DealGap, Ticker, Trade

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/contract/detail") as r:
        syms = [c["symbol"] for c in json.loads(r.read())["data"]][:n]
    counts = {"book": 0, "trade": 0, "ticker": 0, "resync": 0, "dealgap": 0, "other": 0}

    def on(ev: object) -> None:
        if isinstance(ev, BookUpdate):
            counts["book"] += 1
        elif isinstance(ev, Trade):
            counts["trade"] += 1
        elif isinstance(ev, Ticker):
            counts["ticker"] += 1
        elif isinstance(ev, BookResync):
            counts["resync"] += 1
        elif isinstance(ev, DealGap):
            counts["dealgap"] += 1
        else:
            counts["other"] += 1

    errors: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _l, ctx: errors.append(str(ctx.get("message"))))
    async with MarketData(Environment.local("127.0.0.1", port), clock=ScaledClock(speed),
                          config=MarketDataConfig()) as md:
        md.on(on)
        for s in syms:
            for ch in ("depth", "deal", "ticker"):
                await md.subscribe(ch, s)
        t0 = time.monotonic()
        last = dict(counts)
        while time.monotonic() - t0 < duration:
            await asyncio.sleep(SAMPLE)
            rate = {k: round((counts[k] - last[k]) / SAMPLE, 1) for k in counts}
            last = dict(counts)
            print(json.dumps({
                "t": round(time.monotonic() - t0), "pid": os.getpid(),
                "tasks": len(asyncio.all_tasks()), "rate": rate, "totals": counts,
                "synced": sum(1 for s in syms if md.book(s).synced), "n": len(syms),
                "conns": len(md.pool.live),
                "reconnects": sum(md.metrics.conn(c).reconnects for c in list(md.pool.live)),
                "gc_objects": len(gc.get_objects()), "loop_errors": len(errors),
            }), flush=True)


def driver() -> None:
    outdir, duration = Path(sys.argv[1]), float(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    speed = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    drop_every = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    outdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    extra = os.environ.get("MF_EMULATOR_ARGS", "").split()  # e.g. "--market light"
    emu = start_emulator(port, "--speed", str(speed), "--contracts", str(max(n, 60)), *extra,
                         log=outdir / "emulator.log")
    cl = subprocess.Popen([PY, __file__, "--client", str(port), str(n), str(speed),
                           str(duration)], stdout=subprocess.PIPE, text=True)
    os.set_blocking(cl.stdout.fileno(), False)  # type: ignore[union-attr]
    out = open(outdir / "samples.jsonl", "w")
    trace_every = float(os.environ.get("MF_SOAK_TRACE", "0") or 0)
    mem_out = open(outdir / "memory.jsonl", "w") if trace_every else None
    if trace_every:
        ctl(port, "POST", "memory/trace",
            {"frames": int(os.environ.get("MF_SOAK_TRACE_FRAMES", "3"))})
    next_trace = trace_every
    t0 = time.monotonic()
    next_drop = drop_every if drop_every else float("inf")
    try:
        while cl.poll() is None and time.monotonic() - t0 < duration + 60:
            time.sleep(1)
            el = time.monotonic() - t0
            if el >= next_drop:
                ctl(port, "POST", "faults", {"fault": "drop_tcp"})
                next_drop += drop_every
            line = cl.stdout.readline()  # type: ignore[union-attr]
            while line:
                rec = json.loads(line)
                rec["client_rss_kb"] = rss_kb(cl.pid)
                rec["client_fds"] = fd_count(cl.pid)
                rec["client_threads"] = threads(cl.pid)
                rec["emu_rss_kb"] = rss_kb(emu.pid)
                rec["emu_fds"] = fd_count(emu.pid)
                st, conns = ctl(port, "GET", "connections")
                rec["emu_conns_listed"] = len(conns) if st == 200 else st
                rec["emu_conns_open"] = sum(1 for c in conns if c["open"]) if st == 200 else st
                st, mem = ctl(port, "GET", "memory?top=0")
                if st == 200:
                    rec["emu_sizes"] = mem["sizes"]
                    rec["emu_tasks"] = mem["tasks"]
                    rec["emu_gc"] = mem["gc"]["counts"]
                if mem_out is not None and time.monotonic() - t0 >= next_trace:
                    next_trace += trace_every
                    st, top = ctl(port, "GET", "memory?top=25", timeout=120)
                    mem_out.write(json.dumps({"t": round(time.monotonic() - t0), **top}) + "\n")
                    mem_out.flush()
                out.write(json.dumps(rec) + "\n")
                out.flush()
                print(json.dumps({k: rec[k] for k in ("t", "tasks", "rate", "synced",
                                                      "client_rss_kb", "client_fds",
                                                      "emu_rss_kb", "emu_fds",
                                                      "emu_conns_listed", "reconnects")}),
                      flush=True)
                line = cl.stdout.readline()  # type: ignore[union-attr]
    finally:
        if cl.poll() is None:
            cl.kill()
        stop(emu)
    print(json.dumps(summary(outdir)), flush=True)


def _at(rows: list[dict], t: float, key: str) -> object:
    best = min(rows, key=lambda r: abs(r["t"] - t))
    return best.get(key) if abs(best["t"] - t) <= 20 else None


def summary(outdir: Path) -> dict:
    """RSS at fixed times and the growth over the second half, from OUTDIR/samples.jsonl."""
    rows = [json.loads(line) for line in open(outdir / "samples.jsonl")]
    rows = [r for r in rows if r.get("client_rss_kb", -1) > 0]  # the client's exit line is not
    end = rows[-1]
    half = min(rows, key=lambda r: abs(r["t"] - end["t"] / 2))

    def growth(key: str) -> float:
        return round((end[key] - half[key]) / max(end["t"] - half["t"], 1), 2)

    out = {
        "script": "benchmarks/attacks/soak.py", "args": sys.argv[1:],
        "emulatorArgs": os.environ.get("MF_EMULATOR_ARGS", ""),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "durationS": end["t"],
        "emuRssKb": {str(t): _at(rows, t, "emu_rss_kb") for t in (60, 300, 600)},
        "emuRssKbEnd": end["emu_rss_kb"],
        "emuGrowthKbPerS_secondHalf": growth("emu_rss_kb"),
        "clientRssKb": {str(t): _at(rows, t, "client_rss_kb") for t in (60, 300, 600)},
        "clientGrowthKbPerS_secondHalf": growth("client_rss_kb"),
        "emuFds": [min(r["emu_fds"] for r in rows), max(r["emu_fds"] for r in rows)],
        "emuTasksEnd": end.get("emu_tasks"), "reconnects": end.get("reconnects"),
        "emuSizesEnd": end.get("emu_sizes"),
    }
    (outdir / "summary.json").write_text(json.dumps(out, indent=1))
    results = Path(__file__).resolve().parents[1] / "results"
    results.mkdir(exist_ok=True)
    (results / f"soak-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(
        json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        print(json.dumps(summary(Path(sys.argv[2])), indent=1))
    elif sys.argv[1] == "--client":
        asyncio.run(client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                           float(sys.argv[5])))
    else:
        driver()
