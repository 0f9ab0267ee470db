"""Client process: runs one candidate through one scenario and reports raw measurements.

Protocol with the parent (a ``multiprocessing`` pipe): the client starts the candidate, waits until
its books are synced, takes ``getrusage`` and sends ``("ready", ...)``; the parent makes the
emulator run the measured segment and, once the emulator has sent it all, forwards
``("expect", {"last": {symbol: last_version}})``; the client stops when every symbol's book reached
its last version (the time of the callback that got there counts, even if it came before the
``expect``) and sends ``("result", {...})``. The consumer callback (``on_update``) is the same
small function for every candidate. In the tick-to-order scenario the process runs on
``stamps.StampingLoop`` and each trigger records the client-side frame arrival stamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

Book = tuple[list[tuple[float, float]], list[tuple[float, float]]]


class Candidate(Protocol):
    name: str

    async def start(self, ws_url: str, rest_url: str, symbols: list[str],
                    channels: tuple[str, ...], on_update: Any) -> None: ...
    def synced(self) -> bool: ...
    def version(self, symbol: str) -> int: ...
    def best_bid(self, symbol: str) -> float: ...
    def book(self, symbol: str) -> Book: ...
    def gaps(self) -> int | None: ...
    async def place_order(self, symbol: str, price: float, vol: int, oid: str) -> None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class ClientConfig:
    candidate: str
    scenario: str  # ingest | latency | t2o | scale
    ws_url: str
    rest_url: str
    symbols: tuple[str, ...]
    channels: tuple[str, ...] = ("depth",)
    cpu: int | None = 1
    api_key: str = "mx0vglBENCHKEY00000001"
    # pragma: allowlist nextline secret - a dummy test key, not a credential
    secret: str = "0123456789abcdef0123456789abcdef"
    sync_timeout: float = 30.0
    run_timeout: float = 120.0


def make_candidate(name: str, cfg: ClientConfig) -> Candidate:
    if name == "floor":
        from benchmarks.floor_candidate import FloorCandidate

        return FloorCandidate()
    if name == "ccxt":
        from benchmarks.ccxt_candidate import CcxtCandidate

        return CcxtCandidate(cfg.api_key, cfg.secret)
    if name in ("toolkit", "pure", "toolkit-hop"):
        if name == "pure":  # the toolkit on its pure-Python depth path (decided at import)
            os.environ["MEXC_FUTURES_PURE"] = "1"
        from benchmarks.toolkit_candidate import ToolkitCandidate

        cand = ToolkitCandidate(cfg.api_key, cfg.secret)
        cand.name = name
        if name == "toolkit-hop":  # the A/B of tick to order: a task hop before the order path
            cand.begin_order = None  # type: ignore[assignment,method-assign]
        return cand
    raise ValueError(name)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


class _State:
    def __init__(self) -> None:
        self.targets: dict[str, int] = {}
        self.remaining: set[str] = set()
        self.n = 0
        self.rec: list[tuple[int, int]] = []
        self.done = asyncio.Event()
        self.t_done = 0
        self.t_last: dict[str, int] = {}
        self.arrival: dict[int, int] = {}
        self.called: dict[int, int] = {}  # trigger version -> consumer entered (t2o segments)
        self.orders: list[Any] = []  # tasks / futures of the orders placed
        self.order_errors: list[str] = []
        self.armed = False


async def _main(conn: Connection, cfg: ClientConfig) -> None:
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    pipe_reader(conn, loop, inbox)
    cand = make_candidate(cfg.candidate, cfg)
    st = _State()
    clock = time.perf_counter_ns
    big = 1 << 62

    from benchmarks import stamps

    arrival = stamps.ARRIVAL
    t_last = st.t_last

    def finish(sym: str) -> None:
        st.remaining.discard(sym)
        if not st.remaining:
            st.t_done = max(t_last.values(), default=clock())
            st.done.set()

    def on_ingest(kind: str, sym: str, ver: int) -> None:
        st.n += 1
        if kind == "depth":
            t_last[sym] = clock()
            if ver >= st.targets.get(sym, big):
                finish(sym)

    def on_ingest_event(ev: Any) -> None:
        """``on_ingest`` for a depth API that hands the consumer an update object (the toolkit's
        ``BookUpdate``): the same work, the symbol and version read from the object instead of
        from arguments (the floor reads them from its decoded frame before its call)."""
        if ev.__class__ is update_cls:
            st.n += 1
            sym = ev.symbol
            t_last[sym] = clock()
            if ev.version >= st.targets.get(sym, big):
                finish(sym)

    def on_latency(kind: str, sym: str, ver: int) -> None:
        t = clock()
        st.rec.append((ver, t))
        st.n += 1
        t_last[sym] = t
        if ver >= st.targets.get(sym, big):
            finish(sym)

    begin = getattr(cand, "begin_order", None)

    def on_t2o(kind: str, sym: str, ver: int) -> None:
        st.n += 1
        if st.armed and kind == "depth":
            st.arrival[ver] = arrival[0]
            st.called[ver] = clock()
            if begin is not None:  # the order is written inside the callback (no task hop)
                st.orders.append(begin(sym, cand.best_bid(sym), 1, f"t{ver}"))
            else:
                st.orders.append(loop.create_task(
                    cand.place_order(sym, cand.best_bid(sym), 1, f"t{ver}")))
            t_last[sym] = clock()
            if ver >= st.targets.get(sym, big):
                finish(sym)

    handler = {"ingest": on_ingest, "scale": on_ingest, "latency": on_latency,
               "t2o": on_t2o}[cfg.scenario]
    update_cls: Any = None
    if handler is on_ingest and hasattr(cand, "depth_consumer"):
        update_cls = cand.update_class()
        cand.depth_consumer = on_ingest_event
    try:
        await cand.start(cfg.ws_url, cfg.rest_url, list(cfg.symbols), cfg.channels, handler)
        deadline = loop.time() + cfg.sync_timeout
        while not cand.synced():
            if loop.time() > deadline:
                raise TimeoutError("candidate did not sync its books")
            await asyncio.sleep(0.01)
        gc.collect()
        gc.freeze()  # same for every candidate: start-up objects leave the collector's sweeps
        rss0 = _rss_kib()
        cpu0 = _cpu()
        st.n = 0
        st.rec.clear()
        t_last.clear()
        st.armed = True
        cpu_go = _cpu()
        conn.send(("ready", {"rss_kib": rss0}))
        _, expect = await inbox.get()
        st.targets = dict(expect["last"])
        st.remaining = set(st.targets)
        for s in list(st.remaining):
            if cand.version(s) >= st.targets[s]:
                finish(s)
        await asyncio.wait_for(st.done.wait(), cfg.run_timeout)
        cpu1 = _cpu()
        if st.orders:
            res = await asyncio.gather(*st.orders, return_exceptions=True)
            st.order_errors = [repr(r) for r in res if isinstance(r, BaseException)][:3]
        books = {s: cand.book(s) for s in cfg.symbols}
        conn.send(("result", {
            "cpu_s": cpu1 - cpu0, "cpu_go_s": cpu1 - cpu_go, "t_done_ns": st.t_done,
            "events": st.n, "rec": st.rec, "books": books,
            "versions": {s: cand.version(s) for s in cfg.symbols},
            "gaps": cand.gaps(), "rss_kib": _rss_kib(), "rss0_kib": rss0,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "order_errors": st.order_errors, "hosts": sorted(CONNECTS),
            "t2o": [(v, a, stamps.WRITES.get(f"t{v}", 0)) for v, a in st.arrival.items()],
            "t2o_called": st.called,
            "path": _depth_path(),
        }))
    except BaseException as e:
        conn.send(("error", f"{type(e).__name__}: {e}"))
        raise
    finally:
        with contextlib.suppress(Exception):  # teardown; the result was already sent
            await asyncio.wait_for(cand.close(), 5)


def _depth_path() -> str:
    """The toolkit's active depth path in this process (``compiled``/``pure``), "" if unloaded."""
    mod = sys.modules.get("mexc_futures._speedups")
    return str(mod.PATH) if mod is not None else ""


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
CONNECTS: set[str] = set()


def _loopback_guard(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook: every socket connect / name lookup of the client must be loopback."""
    if event == "socket.connect":
        addr = args[1]
        host = addr[0] if isinstance(addr, tuple) else str(addr)
    elif event == "socket.getaddrinfo":
        host = str(args[0])
    else:
        return
    if isinstance(addr := host, str) and addr and not addr.startswith("/"):
        CONNECTS.add(addr)
        if addr not in LOOPBACK:
            raise PermissionError(f"benchmark client tried to reach non-loopback host {addr}")


def run(conn: Connection, cfg: ClientConfig) -> None:
    """Process entry point: pin to ``cfg.cpu`` and run under uvloop (all candidates alike).

    With ``BENCH_PROFILE=<dir>`` in the environment the whole client runs under cProfile and the
    stats go to ``<dir>/<candidate>-<scenario>.prof``. An audit hook refuses any connection or
    name lookup that is not loopback (ccxt must not reach the internet); the hosts seen are
    reported as ``hosts``.
    """
    sys.addaudithook(_loopback_guard)
    if cfg.cpu is not None and hasattr(os, "sched_setaffinity") and cfg.cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cfg.cpu})
    prof_dir = os.environ.get("BENCH_PROFILE")
    prof = cProfile.Profile() if prof_dir else None
    if prof is not None:
        prof.enable()
    try:
        if cfg.scenario == "t2o":
            from benchmarks import stamps

            if cfg.candidate == "pure":
                os.environ["MEXC_FUTURES_PURE"] = "1"  # before the hook imports the toolkit
            hook = {"toolkit": stamps.hook_toolkit_arrival, "pure": stamps.hook_toolkit_arrival,
                    "toolkit-hop": stamps.hook_toolkit_arrival,
                    "ccxt": stamps.hook_ccxt_arrival}
            if cfg.candidate in hook and not hook[cfg.candidate]():
                raise RuntimeError(f"cannot hook frame arrival of {cfg.candidate}")
            with asyncio.Runner(loop_factory=stamps.stamping_loop_factory) as runner:
                runner.run(_main(conn, cfg))
        else:
            try:
                import uvloop
            except ImportError:
                asyncio.run(_main(conn, cfg))
            else:
                uvloop.run(_main(conn, cfg))
    finally:
        if prof is not None and prof_dir:
            prof.disable()
            prof.dump_stats(os.path.join(prof_dir, f"{cfg.candidate}-{cfg.scenario}.prof"))


def pipe_reader(conn: Connection, loop: asyncio.AbstractEventLoop,
                inbox: asyncio.Queue[tuple[str, Any]]) -> None:
    """Feed ``inbox`` from ``conn`` on a daemon thread (the pipe stays blocking for ``send``)."""

    def pump() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return
            loop.call_soon_threadsafe(inbox.put_nowait, msg)
            if msg[0] in ("stop", "expect"):
                return

    threading.Thread(target=pump, daemon=True).start()
