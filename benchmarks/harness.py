"""Orchestration: one server process and one client process per run, pinned to different cores.

``run_once`` starts the emulator (:func:`benchmarks.venue_process.serve`, core 0) and
:func:`benchmarks.client.run` (core 1) with the ``spawn`` start method, walks them through
ready → go → segment → expect → result, and turns the raw stamps into metrics plus a correctness
verdict. ``interleave`` repeats candidates A B C A B C ...
so machine noise hits all alike; ``summary`` gives median and spread.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.client import ClientConfig
from benchmarks.client import run as client_run
from benchmarks.venue_process import FeedConfig, serve

HEADROOM = 1.5  # performance.md: the venue must push >= 1.5x the client's rate
PACE = "emulator-limited"  # problems that are about the machine's pace, not the candidate's work
SERVER_CPU, CLIENT_CPU = (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)


@dataclass
class RunResult:
    scenario: str
    candidate: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def correct(self) -> bool:
        """No problem but pace: books, versions and orders were right. Only ``ok`` runs count
        in the figures; a run the emulator could not pace (a loaded machine) is correct too."""
        return all(p.startswith(PACE) for p in self.problems)


def _recv(conn: Any, timeout: float, who: str) -> tuple[str, Any]:
    if not conn.poll(timeout):
        raise TimeoutError(f"{who} did not answer within {timeout:.0f}s")
    msg: tuple[str, Any] = conn.recv()
    if msg[0] == "error":
        raise RuntimeError(f"{who}: {msg[1]}")
    return msg


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run_once(scenario: str, candidate: str, feed: FeedConfig, channels: tuple[str, ...],
             timeout: float = 180.0) -> RunResult:
    """One measured run of ``candidate`` on a fresh emulator; never raises for candidate
    failures."""
    ctx = mp.get_context("spawn")
    s_conn, s_child = ctx.Pipe()
    c_conn, c_child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(s_child, feed), daemon=True)
    client: Any = None
    server.start()
    try:
        _, ports = _recv(s_conn, 120, "emulator")
        ccfg = ClientConfig(candidate=candidate, scenario=scenario, ws_url=ports["ws"],
                            rest_url=ports["rest"], symbols=tuple(ports["symbols"]),
                            channels=channels, cpu=CLIENT_CPU, api_key=feed.api_key,
                            secret=feed.secret, run_timeout=timeout, sync_timeout=90.0)
        client = ctx.Process(target=client_run, args=(c_child, ccfg), daemon=True)
        client.start()
        _, ready = _recv(c_conn, 120, candidate)
        s_conn.send(("go", None))
        _recv(s_conn, 30, "emulator")
        _, seg = _recv(s_conn, timeout, "emulator")
        c_conn.send(("expect", seg))
        _, cres = _recv(c_conn, timeout + 10, candidate)
        s_conn.send(("finish", cres["versions"]))
        _, sres = _recv(s_conn, 60, "emulator")
        return _evaluate(scenario, candidate, ready, cres, sres)
    except (TimeoutError, RuntimeError, EOFError, OSError) as e:
        return RunResult(scenario, candidate, False, [str(e)])
    finally:
        with contextlib.suppress(OSError):
            s_conn.send(("stop", None))
        for p in (client, server):
            if p is not None:
                p.join(5)
                if p.is_alive():
                    p.kill()
                    p.join(2)


def _evaluate(scenario: str, candidate: str, ready: dict[str, Any], c: dict[str, Any],
              s: dict[str, Any]) -> RunResult:
    problems: list[str] = []
    for sym, truth in s["truth"].items():
        got = c["books"][sym]
        want = (list(map(tuple, truth[0])), list(map(tuple, truth[1])))
        have = (list(map(tuple, got[0])), list(map(tuple, got[1])))
        if have != want:
            problems.append(f"{sym}: final book differs from the emulator's truth "
                            f"({len(have[0])}/{len(have[1])} vs {len(want[0])}/{len(want[1])} "
                            "levels)")
        if c["versions"][sym] < s["last"][sym]:
            problems.append(f"{sym}: version {c['versions'][sym]} < last {s['last'][sym]}")
    if any(h not in ("127.0.0.1", "::1", "localhost") for h in c.get("hosts", ())):
        problems.append(f"client reached non-loopback hosts: {c['hosts']}")
    if c["gaps"]:
        problems.append(f"{c['gaps']} version gaps")
    path = c.get("path", "")
    if candidate == "pure" and path != "pure":
        problems.append(f"the pure candidate ran the {path or 'unknown'} depth path")
    send_ns: list[int] = s["send_ns"]
    n = s["frames"]
    m: dict[str, float] = {"msgs": n}
    wall_s = (c["t_done_ns"] - send_ns[0]) / 1e9
    m["cpu_us_per_msg"] = c["cpu_s"] * 1e6 / n
    m["wall_s"] = wall_s
    m["callbacks"] = c["events"]
    m["rss_mib"] = c["rss_kib"] / 1024
    m["hosts_seen"] = len(c.get("hosts", ()))
    m["server_capacity_fps"] = s["capacity_fps"]
    if path:  # which depth path the toolkit ran (mexc_futures.speedups())
        m["compiled"] = 1.0 if path == "compiled" else 0.0
    if scenario == "ingest":
        m["msgs_per_s"] = n / wall_s
        if s["capacity_fps"] < HEADROOM * m["msgs_per_s"]:
            problems.append(f"{PACE}: it wrote < 1.5x the client's rate")
    else:
        m["late_frames"] = s["late_frames"]
        m["max_lag_us"] = s["max_lag_us"]
    if scenario != "ingest" and s.get("limited"):
        problems.append(f"{PACE}: could not keep the pace ({s['late_frames']} late "
                        f"frames, capacity {s['capacity_fps']:,.0f}/s)")
    if scenario == "latency":
        by_ver = {v: t for v, t in zip(s["versions"], send_ns, strict=True) if v}
        lat = [(t - by_ver[v]) / 1e3 for v, t in c["rec"] if v in by_ver]
        m["observed"] = len(lat)
        m["p50_us"], m["p99_us"], m["p999_us"] = (_pct(lat, 0.5), _pct(lat, 0.99),
                                                   _pct(lat, 0.999))
        m["cpu_share"] = c["cpu_go_s"] / wall_s
    elif scenario == "t2o":
        _t2o(s, c, m, problems)
    elif scenario == "scale":
        m["msgs_per_s"] = n / wall_s
        m["cpu_share"] = c["cpu_go_s"] / wall_s
        m["rss_growth_mib"] = (c["rss_kib"] - ready["rss_kib"]) / 1024
        m["maxrss_mib"] = c["maxrss_kib"] / 1024
    return RunResult(scenario, candidate, not problems, problems, m)


def _t2o(s: dict[str, Any], c: dict[str, Any], m: dict[str, float],
         problems: list[str]) -> None:
    """Client-side tick to order: frame arrival -> signed request written; plus the gate: one
    venue order per trigger, at the best bid of the trigger frame's version."""
    send_by_ver = {v: t for v, t in zip(s["versions"], s["send_ns"], strict=True) if v}
    bid_by_ver = {v: b for v, b in zip(s["versions"], s["best_bid"], strict=True) if v}
    lat, wire, unstamped = [], [], 0
    for ver, arrived, written in c["t2o"]:
        if ver not in send_by_ver:
            continue  # a frame the running venue published after the segment
        if not arrived or not written:
            unstamped += 1
            continue
        lat.append((written - arrived) / 1e3)
        if ver in send_by_ver:
            wire.append((written - send_by_ver[ver]) / 1e3)
    m["p50_us"], m["p99_us"] = _pct(lat, 0.5), _pct(lat, 0.99)
    # segments: frame arrival -> consumer entered (decode, sync, book, event) and consumer ->
    # request written (body, sign, lane write; a task hop first for candidates without begin)
    called = {int(k): v for k, v in c.get("t2o_called", {}).items()}
    seg_in = [(called[v] - a) / 1e3 for v, a, w in c["t2o"] if a and w and v in called]
    seg_out = [(w - called[v]) / 1e3 for v, a, w in c["t2o"] if a and w and v in called]
    if seg_in:
        m["arrival_to_callback_p50_us"] = _pct(seg_in, 0.5)
        m["callback_to_write_p50_us"] = _pct(seg_out, 0.5)
    m["send_to_write_p50_us"] = _pct(wire, 0.5)
    by_oid: dict[str, list[dict[str, Any]]] = {}
    for o in s["orders"]:
        by_oid.setdefault(str(o.get("externalOid")), []).append(o)
    wrong = dup = 0
    for ver, _a, _w in c["t2o"]:
        got = by_oid.get(f"t{ver}", [])
        if len(got) != 1:
            dup += 1
        elif ver in bid_by_ver and abs(float(got[0]["price"]) - bid_by_ver[ver]) > 1e-9:
            wrong += 1  # (frames the venue published after the segment are not checked)
    m["orders"] = len(c["t2o"])
    # The client arms before the venue goes quiet ("go" sets the synthetic flow to 0 only after
    # the client said "ready"), so frames of the still-live venue trigger orders too; while its
    # takers trade, an IOC at the best bid can meet an ask that moved down, a real fill. Only the
    # triggers from the first segment frame on meet a quiet venue, where a fill means a wrong book.
    first = min(send_by_ver, default=0)
    early = {f"t{v}" for v, _a, _w in c["t2o"] if v < first}
    filled = [str(o.get("externalOid")) for o in s["orders"] if float(o.get("dealVol") or 0) > 0]
    m["fills"] = sum(1 for oid in filled if oid not in early)
    m["fills_before_quiet"] = len(filled) - m["fills"]
    if m["fills"]:
        problems.append(f"{m['fills']:.0f} orders filled (none can cross: the venue is quiet)")
    if unstamped:
        problems.append(f"{unstamped} orders without an arrival or write stamp")
    if dup:
        problems.append(f"{dup} triggers without exactly one venue order")
    if wrong:
        problems.append(f"{wrong} orders not at the best bid of their frame's version")
    if len(by_oid) != len(c["t2o"]):
        problems.append(f"{len(by_oid)} venue orders for {len(c['t2o'])} triggers")
    if c["order_errors"]:
        problems.append(f"order errors: {c['order_errors']}")


def interleave(scenario: str, candidates: list[str], feed: FeedConfig,
               channels: tuple[str, ...], repeats: int) -> list[RunResult]:
    """Runs ``repeats`` rounds of A B C ...; each run on a fresh server with the same feed seed."""
    out: list[RunResult] = []
    for _ in range(repeats):
        for cand in candidates:
            out.append(run_once(scenario, cand, feed, channels))
    return out


def summary(values: list[float]) -> dict[str, float]:
    """Median, min, max and spread ((max - min) / median) of the counted runs."""
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"),
                "spread": float("nan"), "n": 0}
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else float("nan"),
            "n": len(values)}
