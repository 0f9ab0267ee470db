"""Market-data soak (issue #13): the whole market, mass reconnects, books vs truth, resources.

    python -m benchmarks.md_soak [--duration 600] [--contracts 800] [--reconnect-every 120]
                                 [--seed 1] [--out PATH] [--loop uvloop|asyncio]

One emulator process (``--contracts`` contracts, speed 1, REST and WS limits on, a heavy-tailed
synthetic flow: a few busy contracts, most of them quiet, as on the venue) and, in this process,
one ``MarketData`` subscribed to depth + deal + ticker of every contract (``max_per_conn`` 30).
Every ``--reconnect-every`` seconds the emulator drops every connection at once (``drop_tcp``).

Measured and written as JSON to ``benchmarks/results/md_soak-<UTC time>.json`` (``--out``):
  * time from each mass drop (and from the cold start) until every book is synced again:
    per event, p50, max; for each of these resyncs (``resyncs``) a trace every 5 s (books synced,
    snapshots / commits done and queued, books bridged vs snapshotted, deal recoveries, CPU
    seconds of both processes, load average) and the REST figures per bucket (calls per second,
    limiter wait, HTTP time p50 / p90 / max), so a slow resync shows its bound: the venue's
    limit, the workers, the venue's answers or the CPU;
  * books against the emulator's truth: every ``--truth-every`` seconds a few synced books are
    compared level by level with the venue's book at the same version (control API);
  * deals of ``--deal-sample`` contracts: every venue deal delivered by the stream, recovered
    from REST, or inside a reported ``DealGap`` (none lost silently, none twice);
  * RSS, open file descriptors and asyncio tasks of this process over time (first sample after
    the warm-up vs the last; least-squares slope), and the REST fetch queues' counters;
  * the aggregate rate actually delivered (depth updates, deals, tickers per second).

The emulator runs in its own process so that the client's resources are measured alone; truth
queries block the loop for a few milliseconds each (that keeps the local book still while it is
compared). Both processes run under uvloop like the other benchmarks (``--loop asyncio`` for the
stdlib loop). Run it with ``nice -n 10``: it takes ``--duration`` seconds plus the cold start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.attacks.repro_short_stall_deal_loss import deal_accounting

TOKEN = "md-soak-control-token"


# ---------------------------------------------------------------------------------- emulator


def flow_rate(rank: int) -> float:
    """Synthetic events per second of the contract of ``rank`` (0 = busiest): heavy-tailed,
    about 8/s for the top contracts down to 0.05/s, ~350/s over 800 contracts."""
    return max(0.05, 8.0 / (1.0 + rank / 10.0))


async def _emulator_child(port: int, contracts: int, seed: int) -> None:
    from mexc_futures.emulator.server import Emulator

    async with Emulator(port=port, n_contracts=contracts, seed=seed, control_token=TOKEN) as ex:
        for rank, sym in enumerate(ex.venue.symbols()):
            ex.venue.set_flow_rate(sym, flow_rate(rank))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        await stop.wait()


def _run(coro: Any, loop: str) -> Any:
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print("[soak] uvloop not installed: stdlib asyncio loop", file=sys.stderr)
        else:
            return uvloop.run(coro)
    return asyncio.run(coro)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Venue:
    """The emulator process and its HTTP surfaces (blocking calls, loopback, bounded)."""

    def __init__(self, contracts: int, seed: int, loop: str = "asyncio") -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(  # the same interpreter, this module, child mode
            [sys.executable, "-m", "benchmarks.md_soak", "--emulator-child", str(self.port),
             "--contracts", str(contracts), "--seed", str(seed), "--loop", loop],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.base = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, control: bool = False, timeout: float = 10.0) -> Any:
        req = urllib.request.Request(self.base + path)
        if control:
            req.add_header("X-Emulator-Token", TOKEN)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"X-Emulator-Token": TOKEN,
                                                             "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10.0) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# ---------------------------------------------------------------------------------- process


def _rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _slope_per_min(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 3:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else 60.0 * sum((x - mx) * (y - my) for x, y in zip(xs, ys,
                                                                               strict=True)) / den


def _dist(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0}
    s = sorted(xs)
    return {"n": len(s), "p50": round(statistics.median(s), 2), "max": round(s[-1], 2),
            "min": round(s[0], 2),
            "spread": round(statistics.pstdev(s), 2) if len(s) > 1 else 0.0}


def _cpu_s(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process (/proc, clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TimedRest:
    """The client's REST reads as market data uses them, timed per endpoint: the wait for a
    rate-limit slot (``limiter.peek`` at the call) and the whole call, so a slow resync shows
    whether the limiter, the workers or the venue's answers were the bound."""

    NAMES = ("depth", "depth_commits", "deals")

    def __init__(self, rest: Any) -> None:
        from mexc_futures.protocol.endpoints import endpoint

        self.rest = rest
        self.calls: dict[str, list[tuple[float, float, float]]] = {n: [] for n in self.NAMES}
        self._bucket = {n: endpoint(n).bucket for n in self.NAMES}

    async def _timed(self, name: str, coro: Any) -> Any:
        t0 = time.monotonic()
        wait = self.rest.limiter.peek(self._bucket[name], self.rest.clock.monotonic())
        try:
            return await coro
        finally:
            self.calls[name].append((t0, max(0.0, wait), time.monotonic() - t0))

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        return await self._timed("depth", self.rest.get_depth(symbol, limit))

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        return await self._timed("depth_commits", self.rest.get_depth_commits(symbol, limit))

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        return await self._timed("deals", self.rest.get_deals(symbol, limit))

    def window(self, t0: float, t1: float) -> dict[str, Any]:
        """Per endpoint within [t0, t1): calls per second, limiter wait and HTTP time (the
        call minus the wait) p50 / p90 / max in seconds. Calls before ``t1`` are let go once
        reported (windows come in order), so the harness's log does not grow the RSS the soak
        measures."""
        out: dict[str, Any] = {}
        span = max(t1 - t0, 1e-9)
        for name, calls in self.calls.items():
            sel = [c for c in calls if t0 <= c[0] < t1]
            if not sel:
                continue
            http = sorted(max(0.0, d - w) for _, w, d in sel)
            waits = sorted(w for _, w, _ in sel)
            out[name] = {"n": len(sel), "per_s": round(len(sel) / span, 2),
                         "http_p50": round(_q(http, 0.5), 3), "http_p90": round(_q(http, 0.9), 3),
                         "http_max": round(http[-1], 3), "wait_p50": round(_q(waits, 0.5), 3)}
        for name, calls in self.calls.items():
            self.calls[name] = [c for c in calls if c[0] >= t1]
        return out


def _retained(ev: Any) -> int:
    """Approximate bytes a kept event holds: the struct, its field values and a list slot."""
    fields = getattr(ev, "__struct_fields__", ())
    return sys.getsizeof(ev) + 8 + sum(sys.getsizeof(getattr(ev, f)) for f in fields
                                       if not isinstance(getattr(ev, f), bool | None))


def _q(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


# ---------------------------------------------------------------------------------- client


class Soak:
    def __init__(self, args: argparse.Namespace, venue: Venue) -> None:
        self.args = args
        self.venue = venue
        self.counts: Counter[str] = Counter()
        self.deal_symbols: set[str] = set()
        self.deal_events: list[Any] = []
        self.deal_log_bytes = 0  # what ``deal_events`` holds (``harness_mb`` in the samples)
        self.samples: list[dict[str, Any]] = []
        self.resync_times: list[float] = []
        self.resyncs: list[dict[str, Any]] = []  # per resync: trace, REST and CPU figures
        self.truth = Counter[str]()
        self.truth_bad: list[tuple[str, int]] = []
        self.rng = random.Random(args.seed)
        self.probe: Any = None
        if getattr(args, "trace_memory", False) or getattr(args, "memory_sizes", False):
            from benchmarks.md_memprobe import MemProbe

            self.probe = MemProbe(trace=args.trace_memory, mid_at=2 * args.reconnect_every)

    def on_event(self, ev: Any) -> None:
        name = type(ev).__name__
        self.counts[name] += 1
        if name == "BookResync":
            self.counts["resync." + ev.reason] += 1
        sym = getattr(ev, "symbol", None)
        if sym in self.deal_symbols and name in ("Trade", "DealGap", "DealsRecovered"):
            self.deal_events.append(ev)
            self.deal_log_bytes += _retained(ev)

    def all_synced(self, md: Any, symbols: list[str]) -> int:
        return sum(1 for s in symbols if md.book(s).synced)

    async def until_synced(self, md: Any, symbols: list[str], limit: float,
                           trace: list[dict[str, Any]] | None = None,
                           t_ref: float | None = None) -> float | None:
        """Seconds until every book is synced (None after ``limit``); with ``trace``, a point
        every 5 s (seconds since ``t_ref``): books synced, fetches done and queued, CPU seconds
        of both processes."""
        t0 = time.monotonic()
        ref = t0 if t_ref is None else t_ref
        next_point = t0 - ref
        while time.monotonic() - t0 < limit:
            el = time.monotonic() - ref
            synced = self.all_synced(md, symbols)
            if trace is not None and (el >= next_point or synced == len(symbols)):
                next_point = el + 5.0
                p = md.sync_progress()
                trace.append({"t": round(el, 1), "synced": synced,
                              **{k: p[k] for k in ("snapshots_done", "snapshots_queued",
                                                   "commits_done", "commits_queued")},
                              "deal_recoveries": self.counts["DealsRecovered"],
                              # how the books came back: bridged with depth_commits, or from a
                              # snapshot (a bridge that did not reach back costs both)
                              **self._ways(md, symbols),
                              "cpu_s": round(_cpu_s(), 1),
                              "emulator_cpu_s": round(_cpu_s(self.venue.proc.pid), 1),
                              "load1": round(os.getloadavg()[0], 2)})
            if synced == len(symbols):
                return time.monotonic() - t0
            await asyncio.sleep(0.1)
        return None

    @staticmethod
    def _ways(md: Any, symbols: list[str]) -> dict[str, int]:
        bridged = snaps = 0
        for sym in symbols:
            stats = md.sync_of(sym).stats
            bridged += stats.commits_recoveries
            snaps += stats.snapshots
        return {"books_bridged_total": bridged, "book_snapshots_total": snaps}

    def resync_report(self, trace: list[dict[str, Any]], t_wall0: float, took: float | None,
                      rest: TimedRest) -> dict[str, Any]:
        """One resync (cold start or mass drop): its trace, the REST figures over it, and the
        CPU both processes used (seconds of CPU per second of wall time)."""
        end = time.monotonic() if took is None else t_wall0 + took
        span = max(end - t_wall0, 1e-9)
        doc: dict[str, Any] = {"took_s": None if took is None else round(took, 1),
                               "rest": rest.window(t_wall0, end), "trace": trace}
        if len(trace) >= 2:
            a, b = trace[0], trace[-1]
            dt = max(b["t"] - a["t"], 1e-9)
            doc["client_cpu_per_s"] = round((b["cpu_s"] - a["cpu_s"]) / dt, 2)
            doc["emulator_cpu_per_s"] = round((b["emulator_cpu_s"] - a["emulator_cpu_s"]) / dt, 2)
            doc["load1_max"] = max(x["load1"] for x in trace)
        doc["span_s"] = round(span, 1)
        return doc

    def check_truth(self, md: Any, symbols: list[str]) -> None:
        """Compare a few synced books with the venue's book at the same version (blocking: the
        local book cannot move while it is compared)."""
        for sym in self.rng.sample(symbols, min(3, len(symbols))):
            view = md.book(sym)
            if not view.synced:
                self.truth["unsynced"] += 1
                continue
            book = md.sync_of(sym).book
            try:
                truth = self.venue.get(f"/_emulator/truth/book/{sym}?version={book.version}",
                                       control=True, timeout=5.0)
            except (OSError, ValueError):
                self.truth["unavailable"] += 1
                continue
            if "bids" not in truth:
                self.truth["unavailable"] += 1  # version left the venue's commit ring
                continue
            self.truth["checked"] += 1
            if book.equals(truth["bids"], truth["asks"]):
                self.truth["equal"] += 1
            else:
                self.truth_bad.append((sym, book.version))

    def sample(self, md: Any, t: float, symbols: list[str]) -> None:
        if self.probe is not None:
            self.probe.sample(md, t)
        self.samples.append({
            "t": round(t, 1),
            "rss_mb": round(_rss_mb(), 1),
            # the deal log this harness keeps for the end-of-run check (not the session's)
            "harness_mb": round(self.deal_log_bytes / 2**20, 2),
            "heap_trims": md.sync_progress().get("heap_trims", 0),
            "fds": _fds(),
            "tasks": len(asyncio.all_tasks()),
            "conn_tasks": md.pool.task_count,
            "synced": self.all_synced(md, symbols),
            "emulator_rss_mb": round(_rss_mb(self.venue.proc.pid), 1),
            "cpu_s": round(_cpu_s(), 1),
            "emulator_cpu_s": round(_cpu_s(self.venue.proc.pid), 1),
            "load1": round(os.getloadavg()[0], 2),
            **{k: v for k, v in md.sync_progress().items() if k in (
                "snapshots_queued", "commits_queued", "snapshots_done", "commits_done")},
        })

    async def run(self) -> dict[str, Any]:
        from mexc_futures.config import Environment
        from mexc_futures.marketdata import MarketData, MarketDataConfig
        from mexc_futures.protocol.ratelimit import RateLimiter
        from mexc_futures.transport.rest import RestClient

        a = self.args
        contracts = self.venue.get("/api/v1/contract/detail")["data"]
        symbols = [c["symbol"] for c in contracts][: a.contracts]
        self.deal_symbols = set(self.rng.sample(symbols, min(a.deal_sample, len(symbols))))
        env = Environment.local("127.0.0.1", self.venue.port)
        cfg = MarketDataConfig(progress_every=30.0)
        t_start = time.monotonic()
        out: dict[str, Any] = {"contracts": len(symbols), "streams": 3 * len(symbols)}
        async with (
            RestClient(env, limiter=RateLimiter(answer_hold=not a.no_answer_hold)) as plain_rest,
            MarketData(env, rest=(rest := TimedRest(plain_rest)), config=cfg) as md,
        ):
            md.on(self.on_event)
            t_cold = time.monotonic()
            cold_trace: list[dict[str, Any]] = []
            for s in symbols:
                for ch in ("depth", "deal", "ticker"):
                    await md.subscribe(ch, s)
            out["connections"] = len(md.connections)
            cold = await self.until_synced(md, symbols, 900.0, cold_trace, t_cold)
            out["cold_start_all_synced_s"] = None if cold is None else round(cold, 1)
            self.resyncs.append({"event": "cold start", **self.resync_report(
                cold_trace, t_cold, None if cold is None else time.monotonic() - t_cold, rest)})
            first_trade = dict.fromkeys(self.deal_symbols, 0)
            if self.probe is not None:  # after the warm-up: only what the session keeps
                self.probe.start(md)
            t0 = time.monotonic()
            counts0 = Counter(self.counts)
            next_drop = a.reconnect_every
            next_sample = 0.0
            next_truth = 0.0
            while (now := time.monotonic() - t0) < a.duration:
                if now >= next_sample:
                    self.sample(md, now, symbols)
                    next_sample += a.sample_every
                if now >= next_truth:
                    self.check_truth(md, symbols)
                    next_truth += a.truth_every
                if now >= next_drop:
                    next_drop += a.reconnect_every
                    before = sum(md.metrics.conn(c).reconnects for c in md.connections)
                    n_conns = len(md.connections)
                    t_drop = time.monotonic()
                    try:
                        self.venue.post("/_emulator/faults", {"fault": "drop_tcp"})
                    except OSError as exc:  # a starved emulator: record, try at the next one
                        print(f"[soak] t={now:.0f}s drop not delivered: {exc}", file=sys.stderr)
                        self.resync_times.append(-2.0)
                        continue
                    for _ in range(1200):  # every connection reconnected (bounded: 60 s)
                        if sum(md.metrics.conn(c).reconnects
                               for c in md.connections) >= before + n_conns:
                            break
                        await asyncio.sleep(0.05)
                    left = a.reconnect_every - (time.monotonic() - t_drop) - 1.0
                    trace: list[dict[str, Any]] = []
                    took = await self.until_synced(md, symbols, max(left, 1.0), trace, t_drop)
                    dt = None if took is None else time.monotonic() - t_drop
                    self.resyncs.append({"event": f"mass drop at {now:.0f} s",
                                         **self.resync_report(trace, t_drop, dt, rest)})
                    self.resync_times.append(-1.0 if dt is None else round(dt, 2))
                    print(f"[soak] t={now:.0f}s mass drop: all {len(symbols)} books synced "
                          f"after {dt if dt is None else round(dt, 1)} s", file=sys.stderr,
                          flush=True)
                    continue
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - t0
            self.sample(md, elapsed, symbols)
            if self.probe is not None:
                out["memory"] = self.probe.report(md)
            rates = {k: round((self.counts[k] - counts0[k]) / elapsed, 1)
                     for k in ("BookUpdate", "Trade", "Ticker")}
            out["rates_per_s"] = rates
            out["progress"] = md.sync_progress()
            totals = md.metrics.totals()
            out["metrics"] = {k: totals.get(k, 0) for k in (
                "conn_reconnects", "conn_protocol_errors", "conn_handler_errors",
                "conn_supervisor_errors", "conn_decode_errors", "stream_gaps", "stream_resyncs",
                "stream_stale", "stream_idle", "stream_recovered", "stream_divergences")}
            for ev in self.deal_events:
                if type(ev).__name__ == "Trade" and not first_trade.get(ev.symbol):
                    first_trade[ev.symbol] = ev.time
            await asyncio.sleep(3.0)  # last recoveries
            deals = Counter[str]()
            for sym in sorted(self.deal_symbols):
                if not first_trade.get(sym):
                    continue
                truth = self.venue.get(f"/_emulator/truth/deals?symbol={sym}", control=True)
                acc = deal_accounting(self.deal_events, truth, sym, first_trade[sym])
                deals.update(acc)
            out["deals_sampled_symbols"] = len(self.deal_symbols)
            out["deals"] = dict(deals)
        out["total_s"] = round(time.monotonic() - t_start, 1)
        out["resync_after_mass_drop_s"] = {"events": self.resync_times,
                                           **_dist([x for x in self.resync_times if x >= 0]),
                                           "never_synced": sum(1 for x in self.resync_times
                                                               if x == -1.0),
                                           "drop_failed": sum(1 for x in self.resync_times
                                                              if x == -2.0)}
        out["resyncs"] = self.resyncs
        out["truth"] = {**dict(self.truth), "mismatch": len(self.truth_bad),
                        "mismatch_examples": self.truth_bad[:5]}
        out["events"] = dict(self.counts)
        out["resources"] = self._resources()
        out["samples"] = self.samples
        return out

    def _resources(self) -> dict[str, Any]:
        warm = [s for s in self.samples if s["t"] >= self.args.reconnect_every]
        if len(warm) < 2:
            warm = self.samples
        res: dict[str, Any] = {}
        for key in ("rss_mb", "session_rss_mb", "fds", "tasks", "emulator_rss_mb"):
            xs = [s["t"] for s in warm]
            ys = [float(s[key]) if key != "session_rss_mb" else
                  float(s["rss_mb"]) - float(s.get("harness_mb", 0.0)) for s in warm]
            res[key] = {"first": ys[0], "last": ys[-1], "max": max(ys), "min": min(ys),
                        "slope_per_min": round(_slope_per_min(xs, ys), 3)}
        return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.md_soak",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=600.0, help="seconds after cold start")
    ap.add_argument("--contracts", type=int, default=800)
    ap.add_argument("--reconnect-every", type=float, default=120.0)
    ap.add_argument("--sample-every", type=float, default=10.0)
    ap.add_argument("--truth-every", type=float, default=2.0)
    ap.add_argument("--deal-sample", type=int, default=40,
                    help="contracts whose deals are checked against the venue's (their events "
                         "are kept for the whole run: 0 for an RSS slope that is the session's "
                         "own)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--verbose", action="store_true", help="log market-data progress (INFO)")
    ap.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                    help="event loop of both processes (uvloop like the other benchmarks; "
                         "asyncio when uvloop is missing)")
    ap.add_argument("--trace-memory", action="store_true",
                    help="client memory probe after the warm-up: tracemalloc growth by source "
                         "line and traceback, container sizes of the session, glibc heap "
                         "(JSON 'memory'; slows the client: not for latency figures)")
    ap.add_argument("--memory-sizes", action="store_true",
                    help="the memory probe without tracemalloc: container sizes and glibc heap "
                         "only (RSS stays the session's own)")
    ap.add_argument("--no-answer-hold", action="store_true",
                    help="the REST limiter schedules by slots only (RateLimiter(answer_hold="
                         "False)): the A/B of the hold's cost on resyncs")
    ap.add_argument("--emulator-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.emulator_child is not None:
        _run(_emulator_child(args.emulator_child, args.contracts, args.seed), args.loop)
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mexc_futures.marketdata").setLevel(
        logging.INFO if args.verbose else logging.ERROR)
    venue = Venue(args.contracts, args.seed, args.loop)
    try:
        result = _run(Soak(args, venue).run(), args.loop)
    finally:
        venue.stop()
    now = datetime.now(UTC)
    path = args.out or Path(__file__).parent / "results" / f"md_soak-{now:%Y-%m-%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "md_soak", "utc": now.isoformat(timespec="seconds"),
           "command": "python -m benchmarks.md_soak " + " ".join(argv or sys.argv[1:]),
           "params": {k: v for k, v in vars(args).items() if k not in ("out", "emulator_child")},
           "host_cpus": os.cpu_count(), **result}
    path.write_text(json.dumps(doc, indent=1, default=str))
    summary = {k: doc[k] for k in ("contracts", "connections", "cold_start_all_synced_s",
                                   "resync_after_mass_drop_s", "truth", "deals", "rates_per_s",
                                   "resources") if k in doc}
    summary["resyncs"] = [{k: r.get(k) for k in ("event", "took_s", "client_cpu_per_s",
                                                 "emulator_cpu_per_s", "load1_max", "rest")}
                          for r in doc.get("resyncs", [])]
    print(json.dumps(summary, indent=1, default=str))
    print(f"JSON: {path}")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
