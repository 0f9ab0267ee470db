"""Realism benchmark of the emulator's market (issue #14): ``./run bench market [--seconds 60]``.

Starts the real emulator server (``Emulator``, loopback) with the calibrated market at
``--speed 60`` and, for ``--seconds`` of wall time (60 s = one venue hour), samples every
clock tick of the server (``Emulator.tick``, every 10 ms of real time) for each major:

* price levels per side (min / median / max), share of samples with an empty side (must be 0);
* spread in ticks (median, p90, share of samples at one tick);
* realised volatility of the mid over 60 s venue intervals vs the configured one;
* deals per venue second and per wall second;
* the fate of resting orders placed ±5 % from the market at the start through signed REST
  (must not fill without a ``shock``);
* the server process's CPU share during the run.

A second part measures the per-advance CPU cost of the markets the test suite and the CLI use,
in-process (no sockets): the light test profile (3 symbols), the calibrated majors, and the
~800-contract calibrated market at speed 1 (must fit in one core).

Writes ``benchmarks/results/market-<UTC time>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.report import machine
from mexc_futures.emulator.market.calibration import SECONDS_PER_YEAR
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.venue.matching import ASK, BID
from mexc_futures.emulator.venue.venue import Venue, VenueConfig

MAJORS = ("BTC_USDT", "ETH_USDT", "SOL_USDT")
START = 1_789_000_000_000


class Sampler:
    """Per-symbol samples taken after every server tick."""

    def __init__(self, ex: Emulator, symbols: tuple[str, ...]) -> None:
        self.ex = ex
        self.symbols = symbols
        self.levels: dict[str, list[tuple[int, int]]] = {s: [] for s in symbols}
        self.spread: dict[str, list[int]] = {s: [] for s in symbols}
        self.mids: dict[str, list[tuple[int, float]]] = {s: [] for s in symbols}
        self.empty: dict[str, int] = dict.fromkeys(symbols, 0)

    def sample(self) -> None:
        now = self.ex.venue.now_ms
        for s in self.symbols:
            book = self.ex.venue.engine.books[s]
            nb, na = book.depth_count(BID), book.depth_count(ASK)
            self.levels[s].append((nb, na))
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None:
                self.empty[s] += 1
                continue
            self.spread[s].append(ask - bid)
            self.mids[s].append((now, (bid + ask) / 2))


def realised_vol(mids: list[tuple[int, float]], interval_ms: int = 60_000) -> float:
    """Annualised volatility of log mid returns over ``interval_ms`` windows."""
    if not mids:
        return math.nan
    points: list[float] = []
    next_t = mids[0][0]
    for t, m in mids:
        if t >= next_t:
            points.append(m)
            next_t = t + interval_ms
    rets = [math.log(b / a) for a, b in itertools.pairwise(points) if a > 0 and b > 0]
    if len(rets) < 3:
        return math.nan
    return statistics.pstdev(rets) * math.sqrt(SECONDS_PER_YEAR / (interval_ms / 1000))


async def _signed_create(
    http: aiohttp.ClientSession, ex: Emulator, body: dict[str, Any]
) -> str:
    signer = ex.credentials.signer()
    payload = json.dumps(body, separators=(",", ":"))
    rt = str(ex.clock.time_ms())
    hdrs = signer.auth_headers(rt, signer.sign_post(rt, payload))
    hdrs["Content-Type"] = "application/json"
    hdrs["Recv-Window"] = "60"  # 60 venue s: one real second at speed 60
    async with http.post(ex.rest_url + "/api/v1/private/order/create", data=payload,
                         headers=hdrs) as r:
        doc = await r.json()
    if doc.get("code") != 0:
        raise RuntimeError(f"order refused: {doc}")
    return str(doc["data"]["orderId"])


async def _far_orders(http: aiohttp.ClientSession, ex: Emulator, sym: str) -> dict[str, str]:
    c = ex.venue.contract(sym)
    book = ex.venue.engine.books[sym]
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None:
        raise RuntimeError(f"{sym}: a side of the book is empty")
    mid = (bid + ask) / 2 * c.price_unit
    out = {}
    for name, side, factor in (("buy_-5%", 1, 0.95), ("sell_+5%", 3, 1.05)):
        price = c.price(c.ticks(mid * factor))
        out[name] = await _signed_create(http, ex, {
            "symbol": sym, "price": price, "vol": 1, "side": side, "type": 1, "openType": 1,
            "leverage": 20})
    return out


async def realism(symbols: tuple[str, ...], seconds: float, speed: float,
                  seed: int) -> dict[str, Any]:
    """The socket part: a real server at ``speed``, sampled after every tick."""
    ex = Emulator(symbols=list(symbols), seed=seed, speed=speed, balance=1_000_000,
                  venue_options={"flow_rate": None})
    sampler = Sampler(ex, symbols)
    original_tick = ex.tick

    def tick() -> None:
        original_tick()
        sampler.sample()

    ex.tick = tick  # type: ignore[method-assign]
    async with ex, aiohttp.ClientSession() as http:
        far = {s: await _far_orders(http, ex, s) for s in symbols}
        deals0 = {s: ex.venue.engine.truth.deal_counts.get(s, 0) for s in symbols}
        t0_venue = ex.venue.now_ms
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        venue_s = (ex.venue.now_ms - t0_venue) / 1000
        fates = {}
        for s, orders in far.items():
            rows = {str(r["orderId"]): r for r in ex.truth.orders()}
            fates[s] = {name: {"state": rows[oid]["state"], "dealVol": rows[oid]["dealVol"],
                               "price": rows[oid]["price"]} for name, oid in orders.items()}
        out: dict[str, Any] = {"wall_s": round(wall, 2), "venue_s": round(venue_s, 1),
                               "speed": speed, "server_cpu_share": round(cpu / wall, 3),
                               "ticks_sampled": len(sampler.levels[symbols[0]]), "symbols": {}}
        for s in symbols:
            m = ex.venue.engine.markets[s]
            per_side = [x for pair in sampler.levels[s] for x in pair]
            spreads = sorted(sampler.spread[s])
            deals = ex.venue.engine.truth.deal_counts.get(s, 0) - deals0[s]
            n = len(sampler.levels[s])
            out["symbols"][s] = {
                "levels_per_side": {"min": min(per_side), "median": statistics.median(per_side),
                                    "max": max(per_side)},
                "empty_side_share": sampler.empty[s] / n if n else math.nan,
                "spread_ticks": {"median": statistics.median(spreads),
                                 "p90": spreads[int(len(spreads) * 0.9)],
                                 "one_tick_share": round(spreads.count(1) / len(spreads), 3)},
                "span_pct": _span_pct(ex, s),
                "vol_configured": m.profile.sigma,
                "vol_realised": round(realised_vol(sampler.mids[s]), 3),
                "deals_per_venue_s": round(deals / venue_s, 2),
                "deals_per_wall_s": round(deals / wall, 1),
                "far_orders": fates[s],
                "far_orders_filled": sum(f["dealVol"] for f in fates[s].values()),
            }
        return out


def _span_pct(ex: Emulator, sym: str) -> dict[str, float]:
    book = ex.venue.engine.books[sym]
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None:
        return {}
    low = book.price_at(BID, book.depth_count(BID) - 1)
    high = book.price_at(ASK, book.depth_count(ASK) - 1)
    return {"bid_side": round((bid - low) / bid * 100, 2),
            "ask_side": round((high - ask) / ask * 100, 2)}


def advance_cost(label: str, config: VenueConfig, venue_s: float, step_ms: int,
                 watched: int | None = None) -> dict[str, Any]:
    """CPU of ``Venue.advance`` over ``venue_s`` seconds in ``step_ms`` steps (no sockets);
    ``watched`` = how many symbols have depth subscribers (None: every frame is built)."""
    t_build = time.process_time()
    v = Venue(config)
    if watched is not None:
        seen = set(v.symbols()[:watched])
        v.wants = lambda _topic, sym: sym in seen
    build = time.process_time() - t_build
    steps = int(venue_s * 1000 / step_ms)
    costs = []
    for i in range(1, steps + 1):
        c0 = time.process_time()
        v.advance(START + i * step_ms)
        costs.append(time.process_time() - c0)
    total = sum(costs)
    costs.sort()
    return {"case": label, "symbols": len(v.symbols()), "venue_s": venue_s, "step_ms": step_ms,
            "build_cpu_s": round(build, 3),
            "cpu_per_advance_ms": {"median": round(statistics.median(costs) * 1000, 3),
                                   "p90": round(costs[int(len(costs) * 0.9)] * 1000, 3),
                                   "max": round(costs[-1] * 1000, 3)},
            "cpu_share_at_speed_1": round(total / venue_s, 4)}


def cost_cases(quick: bool) -> list[dict[str, Any]]:
    venue_s = 20.0 if quick else 60.0
    base = {"seed": 1, "start_ms": START}
    return [
        advance_cost("light test profile, 3 symbols (suite default)",
                     VenueConfig(symbols=MAJORS, **base), venue_s, 10),  # type: ignore[arg-type]
        advance_cost("calibrated majors, 3 symbols",
                     VenueConfig(symbols=MAJORS, flow_rate=None, **base),  # type: ignore[arg-type]
                     venue_s, 10),
        advance_cost("calibrated market, 800 contracts, 20 watched",
                     VenueConfig(n_contracts=800, flow_rate=None, **base),  # type: ignore[arg-type]
                     venue_s / 2, 100, watched=20),
    ]


def table(doc: dict[str, Any]) -> str:
    r = doc["realism"]
    lines = [f"market realism: speed x{r['speed']}, {r['wall_s']} s wall = {r['venue_s']} venue s, "
             f"server CPU {r['server_cpu_share']:.0%}",
             f"{'symbol':10} {'levels/side min/med':>20} {'empty':>6} {'spread med/p90':>15} "
             f"{'1-tick':>7} {'vol cfg/real':>13} {'deals/s':>8} {'±5% filled':>10}"]
    for s, m in r["symbols"].items():
        lv, sp = m["levels_per_side"], m["spread_ticks"]
        lines.append(
            f"{s:10} {lv['min']:>9}/{lv['median']:<10} {m['empty_side_share']:>6.1%} "
            f"{sp['median']:>7}/{sp['p90']:<7} {sp['one_tick_share']:>7.0%} "
            f"{m['vol_configured']:>6.2f}/{m['vol_realised']:<6.2f} "
            f"{m['deals_per_venue_s']:>8} {m['far_orders_filled']:>10}")
    lines.append("advance CPU (in-process):")
    for c in doc["cost"]:
        lines.append(f"  {c['case']:48} median {c['cpu_per_advance_ms']['median']:.3f} ms/advance"
                     f" (p90 {c['cpu_per_advance_ms']['p90']:.3f}), "
                     f"{c['cpu_share_at_speed_1']:.1%} of a core at speed 1")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="./run bench market", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="wall seconds (default 60)")
    ap.add_argument("--speed", type=float, default=60.0, help="venue speed (default 60)")
    ap.add_argument("--symbols", default=",".join(MAJORS), help="comma-separated majors")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="shorter cost cases")
    ap.add_argument("--out", type=Path, default=None, help="JSON path")
    args = ap.parse_args(argv)
    symbols = tuple(s.strip().upper() for s in args.symbols.split(",") if s.strip())
    doc: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "./run bench market " + " ".join(argv if argv is not None else []),
        "machine": machine(),
        "realism": asyncio.run(realism(symbols, args.seconds, args.speed, args.seed)),
        "cost": cost_cases(args.quick),
    }
    path = args.out or (Path(__file__).parent / "results" /
                        f"market-{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M%SZ}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=str))
    print(table(doc))
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
