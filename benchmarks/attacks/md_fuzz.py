"""Attack 3: market data under random fault schedules (seeded), in-process emulator at speed 20.

usage: python -m benchmarks.attacks.md_fuzz FIRST_SEED N_SEEDS OUT_JSONL [--rotate-every K]

Working copy of the audit's script (issue #13): bad frames now include a 5 MiB frame (over
picows' limit: the connection is replaced) and JSON nested 100,000 deep; deals recovered from
REST after a gap (``DealsRecovered``) are counted as delivered when they match a venue deal on
``(t, p, v, T, O, M)``; ``summarize`` prints the totals of an OUT_JSONL.

Per seed: 3 symbols x (depth, deal), a random schedule of 4-9 faults over ~3 s real
(DropTcp, Stall, CloseWith, BadFrame, DepthFault skip/duplicate/reorder/corrupt/pause,
DealFault, venue time jumps), every 3rd seed also with a 60 venue-s WS lifetime (rotation).
Then all faults are cleared and the run waits (bounded) for quiet. Recorded:
  * every published BookUpdate compared with the venue's book at the same version (I3)
  * crossed published books
  * final local book vs venue truth at the local version
  * deals: duplicates delivered, venue deals missing without a reported DealGap (I4)
  * unhandled loop exceptions, tasks/connections back to baseline (I7, bounded wait)
All waits are bounded; a seed that does not recover in 25 s is recorded as "stuck".
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import traceback
from pathlib import Path

from benchmarks.attacks.repro_short_stall_deal_loss import deal_accounting
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import (
    BadFrame,
    CloseWith,
    DealFault,
    DepthFault,
    DropTcp,
    Stall,
)
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.model.booksync import BookSync
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, DealsRecovered, Trade
from mexc_futures.protocol.session import SessionConfig

SYMS = ["BTC_USDT", "ETH_USDT", "SOL_USDT"]


class Rec:
    def __init__(self, md: MarketData, ex: Emulator) -> None:
        self.md, self.ex = md, ex
        self.events: list = []
        self.checked = 0
        self.mismatch: list = []
        self.crossed = 0
        self.truth_missing = 0
        md.on(self._on)

    def _on(self, ev) -> None:  # type: ignore[no-untyped-def]
        self.events.append(ev)
        if isinstance(ev, BookUpdate):
            if ev.best_bid is not None and ev.best_ask is not None and ev.best_bid >= ev.best_ask:
                self.crossed += 1
            book = self.md.book(ev.symbol).book
            if book.version == ev.version:
                try:
                    truth = self.ex.truth.book_at(ev.symbol, ev.version)
                except KeyError:
                    self.truth_missing += 1
                    return
                self.checked += 1
                if not book.equals(truth["bids"], truth["asks"]):
                    self.mismatch.append((ev.symbol, ev.version))

    def of(self, cls, sym=None):  # type: ignore[no-untyped-def]
        return [e for e in self.events if isinstance(e, cls)
                and (sym is None or getattr(e, "symbol", None) == sym)]


async def until(pred, limit: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        await asyncio.sleep(0.05)
    return pred()


def client_tasks() -> int:
    """Tasks of the client (the in-process emulator's keep-alive HTTP handlers excluded: the
    audit traced its I7 "not at baseline" to them, and the client's REST pool keeps up to one
    idle connection per concurrent fetch)."""
    return sum(1 for t in asyncio.all_tasks()
               if not getattr(t.get_coro(), "__qualname__", "").startswith("RequestHandler"))


async def run_seed(seed: int, rotate: bool) -> dict:
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    loop_errors: list = []
    loop.set_exception_handler(lambda _l, ctx: loop_errors.append(
        f"{ctx.get('message')}: {ctx.get('exception')!r}"))
    session = SessionConfig(ping_interval=10, pong_timeout=5,
                            max_lifetime=60 if rotate else 24 * 3600,
                            rotate_margin=20 if rotate else 600)
    cfg = MarketDataConfig(session=session, audit_interval=20.0, depth_silence=8.0,
                           backoff_base=1.0, backoff_cap=4.0, rotation_overlap=2.0)
    limits = WsLimits(max_lifetime_s=60) if rotate else WsLimits()
    res: dict = {"seed": seed, "rotate": rotate, "faults": []}
    t0 = time.monotonic()
    async with (
        Emulator(symbols=SYMS, speed=20, seed=seed, limits=limits) as ex,
        MarketData(ex.env, clock=ex.clock, config=cfg) as md,
    ):
        rec = Rec(md, ex)
        for s in SYMS:
            await md.subscribe("depth", s)
            await md.subscribe("deal", s)
        ok = await until(lambda: all(md.book(s).synced for s in SYMS)
                         and all(rec.of(Trade, s) for s in SYMS), 15)
        if not ok:
            res["error"] = "never synced at start"
            return res
        since = {s: rec.of(Trade, s)[0].time for s in SYMS}
        tasks0 = client_tasks()
        # --- fault schedule
        n = rng.randint(4, 9)
        lasting: list[int] = []
        applied: list = []
        for _ in range(n):
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            conns = [c["id"] for c in ex.connections() if c["open"]]
            conn = rng.choice([*conns, None]) if conns else None
            sym = rng.choice(SYMS)
            kind = rng.choice(["drop", "stall", "close", "bad", "depth", "depth", "depth",
                               "deal", "advance", "pause"])
            f = None
            if kind == "drop":
                f = DropTcp(conn=conn)
            elif kind == "stall":
                f = Stall(conn=conn)
            elif kind == "close":
                f = CloseWith(code=rng.choice([1000, 1001, 1011, 1012, 3000, 4001]),
                              reason="fuzz", conn=conn)
            elif kind == "bad":
                f = BadFrame(kind=rng.choice(["malformed", "truncated", "binary", "oversized",
                                              "unknown_channel", "deep_nested"]), conn=conn,
                             count=rng.randint(1, 3),
                             size=rng.choice([1024, 200_000, 2_000_000, 5 * 1024 * 1024]))
            elif kind == "depth":
                f = DepthFault(symbol=sym, action=rng.choice(
                    ["skip", "duplicate", "reorder", "corrupt"]), conn=conn,
                    count=rng.randint(1, 5))
            elif kind == "pause":
                f = DepthFault(symbol=sym, action="pause", conn=conn, count=None)
            elif kind == "deal":
                f = DealFault(symbol=sym, conn=conn, count=rng.randint(1, 4))
            if kind == "advance":
                ms = rng.choice([1000, 5000, 20_000])
                ex.advance(ms)
                res["faults"].append(["advance", ms])
                continue
            fid = ex.faults.add(f)
            applied.append(f)
            res["faults"].append([type(f).__name__, getattr(f, "action", getattr(f, "kind", "")),
                                  conn])
            if kind in ("stall", "pause"):
                lasting.append(fid)
                hold = rng.uniform(0.2, 1.5)
                await asyncio.sleep(hold)
                ex.faults.clear(fid)
        await asyncio.sleep(rng.uniform(0.1, 0.5))
        ex.faults.clear()
        # --- quiet
        marks = {s: len(rec.of(BookUpdate, s)) for s in SYMS}

        def quiet() -> bool:
            if not all(md.book(s).synced for s in SYMS):
                return False
            if not all(len(rec.of(BookUpdate, s)) >= marks[s] + 5 for s in SYMS):
                return False
            syncs = [md.sync_of(s) for s in SYMS]
            return not any(len(x._buffer) for x in syncs if isinstance(x, BookSync))

        recovered = await until(quiet, 25)
        res["recovered"] = recovered
        # final exact comparison at the local version
        final_bad = []
        for s in SYMS:
            b = md.book(s).book
            try:
                t = ex.truth.book_at(s, b.version)
                if not b.equals(t["bids"], t["asks"]):
                    final_bad.append(s)
            except KeyError:
                final_bad.append(s + ":truth-gone")
        res["final_book_mismatch"] = final_bad
        if final_bad:  # give the periodic audit (20 venue s = 1 s real) time, then re-check
            def exact_now() -> bool:
                for s in SYMS:
                    b = md.book(s).book
                    try:
                        t = ex.truth.book_at(s, b.version)
                    except KeyError:
                        return False
                    if not b.equals(t["bids"], t["asks"]):
                        return False
                return True
            t_fix = time.monotonic()
            res["final_exact_after_extra_wait"] = await until(exact_now, 15)
            res["extra_wait_s"] = round(time.monotonic() - t_fix, 2)
        res["published_checked"] = rec.checked
        corrupted = {f.symbol for f in applied if isinstance(f, DepthFault)
                     and f.action == "corrupt"}
        res["corrupted_symbols"] = sorted(corrupted)
        res["published_mismatch"] = len(rec.mismatch)
        res["published_mismatch_unexplained"] = sum(
            1 for sym, _v in rec.mismatch if sym not in corrupted)
        res["mismatch_examples"] = rec.mismatch[:3]
        res["crossed"] = rec.crossed
        res["truth_missing"] = rec.truth_missing
        # deals: delivered by the stream, or recovered from REST after a reported gap
        dup = lost = lost_in_gap = recovered_n = 0
        for s in SYMS:
            acc = deal_accounting(rec.events, ex.truth.deals(s), s, since[s])
            dup += acc["duplicates"]
            lost += acc["lost_without_gap"]
            lost_in_gap += acc["lost_in_gap"]
            recovered_n += acc["recovered"]
        res["deals_dup"] = dup
        res["deals_lost_without_gap"] = lost
        res["deals_lost_in_gap"] = lost_in_gap
        res["deals_recovered"] = recovered_n
        res["deals_recoveries"] = len(rec.of(DealsRecovered))
        res["deal_gaps"] = len(rec.of(DealGap))
        res["resyncs"] = {}
        for r in rec.of(BookResync):
            res["resyncs"][r.reason] = res["resyncs"].get(r.reason, 0) + 1
        # I7
        def base() -> bool:
            open_conns = sum(1 for c in ex.connections() if c["open"])
            return (md.pool.task_count == open_conns == len(md.pool.live)
                    and client_tasks() <= tasks0 + 1)
        res["baseline"] = await until(base, 10)
        res["tasks"] = [tasks0, client_tasks()]
        if not res["baseline"]:
            res["task_names"] = sorted(
                t.get_name() + ":" + getattr(t.get_coro(), "__qualname__", "?")
                for t in asyncio.all_tasks())
            res["pool"] = [md.pool.task_count, sum(1 for c in ex.connections() if c["open"]),
                           len(md.pool.live)]
            res["open_conns"] = [(c["id"], c["subscriptions"]) for c in ex.connections()
                                 if c["open"]]
        res["loop_errors"] = loop_errors[:3]
        res["n_loop_errors"] = len(loop_errors)
        res["conns_total"] = len(ex.connections())
        res["secs"] = round(time.monotonic() - t0, 2)
    return res


async def main() -> None:
    first, n, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    rot = 3
    if "--rotate-every" in sys.argv:
        rot = int(sys.argv[sys.argv.index("--rotate-every") + 1])
    seeds = [int(x) for x in sys.argv[sys.argv.index("--seeds") + 1].split(",")] \
        if "--seeds" in sys.argv else range(first, first + n)
    for seed in seeds:
        try:
            r = await asyncio.wait_for(run_seed(seed, rotate=(seed % rot == 0)), 90)
        except Exception as e:  # record and continue
            r = {"seed": seed, "error": f"{type(e).__name__}: {e}",
                 "tb": traceback.format_exc()[-1500:]}
        with out.open("a") as f:
            f.write(json.dumps(r) + "\n")
        print(json.dumps({k: r.get(k) for k in ("seed", "recovered", "published_mismatch",
                                                  "published_mismatch_unexplained",
                                                  "final_book_mismatch", "deals_dup",
                                                  "deals_lost_without_gap",
                                                  "deals_recovered", "n_loop_errors",
                                                  "baseline", "secs", "error",
                                                  "final_exact_after_extra_wait",
                                                  "extra_wait_s")}), flush=True)


def summarize(path: Path) -> dict[str, int]:
    """Totals over the seeds of an OUT_JSONL (the figures quoted in the CHANGELOG)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keys = ("published_checked", "published_mismatch", "published_mismatch_unexplained",
            "crossed", "deals_dup", "deals_lost_without_gap", "deals_lost_in_gap",
            "deals_recovered", "deals_recoveries", "n_loop_errors")
    out = {k: sum(int(r.get(k) or 0) for r in rows) for k in keys}
    out["seeds"] = len(rows)
    out["faults"] = sum(len(r.get("faults", [])) for r in rows)
    out["errors"] = sum(1 for r in rows if r.get("error"))
    out["recovered_seeds"] = sum(1 for r in rows if r.get("recovered"))
    out["baseline_seeds"] = sum(1 for r in rows if r.get("baseline"))
    out["final_mismatch_seeds"] = sum(1 for r in rows if r.get("final_book_mismatch"))
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["summarize"]:
        print(json.dumps(summarize(Path(sys.argv[2])), indent=1))
    else:
        asyncio.run(main())
