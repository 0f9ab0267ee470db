"""Orchestration: one server process and one client process per run, pinned to different cores.

``run_once`` starts :func:`benchmarks.feedserver.serve` (core 0) and :func:`benchmarks.client.run`
(core 1) with the ``spawn`` start method, walks them through ready → go → result, and turns the raw
stamps into metrics plus a correctness verdict. ``interleave`` repeats candidates A B C A B C ...
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
from benchmarks.feedserver import FeedConfig, serve

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
    """One measured run of ``candidate`` on a fresh server; never raises for candidate failures."""
    ctx = mp.get_context("spawn")
    s_conn, s_child = ctx.Pipe()
    c_conn, c_child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(s_child, feed), daemon=True)
    client: Any = None
    server.start()
    try:
        _, ports = _recv(s_conn, 60, "server")
        ccfg = ClientConfig(candidate=candidate, scenario=scenario,
                            ws_url=f"ws://127.0.0.1:{ports['ws']}/edge",
                            rest_url=f"http://127.0.0.1:{ports['rest']}",
                            symbols=feed.symbols, channels=channels, cpu=CLIENT_CPU,
                            api_key=feed.api_key, secret=feed.secret, run_timeout=timeout)
        client = ctx.Process(target=client_run, args=(c_child, ccfg), daemon=True)
        client.start()
        _, ready = _recv(c_conn, 90, candidate)
        s_conn.send(("go", None))
        _, started = _recv(s_conn, 30, "server")
        c_conn.send(("expect", started))
        _, cres = _recv(c_conn, timeout + 10, candidate)
        s_conn.send(("finish", None))
        _, sres = _recv(s_conn, 60, "server")
        return _evaluate(scenario, candidate, feed, ready, cres, sres)
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


def _evaluate(scenario: str, candidate: str, feed: FeedConfig, ready: dict[str, Any],
              c: dict[str, Any], s: dict[str, Any]) -> RunResult:
    problems: list[str] = []
    for sym, truth in s["truth"].items():
        got = c["books"][sym]
        want = (list(map(tuple, truth[0])), list(map(tuple, truth[1])))
        have = (list(map(tuple, got[0])), list(map(tuple, got[1])))
        if have != want:
            problems.append(f"{sym}: final book differs from truth ({len(have[0])}/"
                            f"{len(have[1])} vs {len(want[0])}/{len(want[1])} levels)")
        if c["versions"][sym] != s["truth_version"][sym]:
            problems.append(f"{sym}: version {c['versions'][sym]} != {s['truth_version'][sym]}")
    if any(h not in ("127.0.0.1", "::1", "localhost") for h in c.get("hosts", ())):
        problems.append(f"client reached non-loopback hosts: {c['hosts']}")
    if c["gaps"]:
        problems.append(f"{c['gaps']} version gaps")
    send_ns: list[int] = s["send_ns"]
    n = feed.n
    m: dict[str, float] = {"msgs": n}
    wall_s = (c["t_done_ns"] - send_ns[0]) / 1e9
    server_s = (send_ns[-1] - send_ns[0]) / 1e9
    m["cpu_us_per_msg"] = c["cpu_s"] * 1e6 / n
    m["wall_s"] = wall_s
    m["callbacks"] = c["events"]
    m["rss_mib"] = c["rss_kib"] / 1024
    m["hosts_seen"] = len(c.get("hosts", ()))
    if scenario == "ingest":
        m["msgs_per_s"] = n / wall_s
        m["server_msgs_per_s"] = n / server_s if server_s > 0 else float("inf")
        if m["server_msgs_per_s"] < 1.5 * m["msgs_per_s"]:
            problems.append("server-limited: server sent < 1.5x the client's rate")
    elif scenario == "latency":
        by_ver = dict(zip(s["versions"], send_ns, strict=False))
        lat = [(t - by_ver[v]) / 1e3 for v, t in c["rec"] if v in by_ver]
        m["observed"] = len(lat)
        m["p50_us"], m["p99_us"], m["p999_us"] = (_pct(lat, 0.5), _pct(lat, 0.99),
                                                   _pct(lat, 0.999))
        m["cpu_share"] = c["cpu_go_s"] / wall_s
    elif scenario == "t2o":
        by_ver = dict(zip(s["versions"], send_ns, strict=False))
        lat, wrong = [], 0
        for o in s["orders"]:
            ver = int(str(o.get("externalOid", "t0"))[1:])
            sym = o.get("symbol", "")
            if ver in by_ver:
                lat.append((o["_t_ns"] - by_ver[ver]) / 1e3)
            want = s["best_bid_at"].get(f"{sym}:{ver}")
            if want is None or abs(float(o.get("price", 0)) - want) > 1e-9:
                wrong += 1
        m["orders"] = len(s["orders"])
        m["p50_us"], m["p99_us"] = _pct(lat, 0.5), _pct(lat, 0.99)
        if s["bad_orders"]:
            problems.append(f"{s['bad_orders']} orders failed signature verification")
        if wrong:
            problems.append(f"{wrong} orders not at the best bid of their frame's version")
        if len(s["orders"]) != n:
            problems.append(f"{len(s['orders'])} orders for {n} trigger frames")
        if c["order_errors"]:
            problems.append(f"order errors: {c['order_errors']}")
    elif scenario == "scale":
        m["msgs_per_s"] = n / wall_s
        m["cpu_share"] = c["cpu_go_s"] / wall_s
        m["rss_growth_mib"] = (c["rss_kib"] - ready["rss_kib"]) / 1024
        m["maxrss_mib"] = c["maxrss_kib"] / 1024
    return RunResult(scenario, candidate, not problems, problems, m)


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
