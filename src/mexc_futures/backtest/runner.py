"""``backtest``: the unchanged ``Strategy`` through the real client stack against an emulator
whose market is a recording (issue #17, design record-replay-bus.md §1.4, pacing mode 1).

``run_backtest`` starts an in-process ``Emulator`` playing the recording (``emulator --replay``:
recorded L2 as crowd queues, recorded prints, recorded fair/index/funding, the recorded
contract's fee rates unless ``fees`` says otherwise) at ``speed`` times venue time, and runs a
``StrategySession`` on it — the same REST client, order lane, journal, risk gate, market data
and private stream as ``run --live``. An equity sampler reads the venue's account every
``sample_s`` seconds of venue time. Paced runs are not deterministic (real loopback latency is
multiplied by ``speed`` in venue time); the report says so and prints the realised latencies.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mexc_futures.backtest import report as rp
from mexc_futures.backtest.lockstep import LoopClock, VirtualTimeLoop
from mexc_futures.emulator.market.queue import parse_model
from mexc_futures.emulator.market.recorded_contracts import recorded_contracts
from mexc_futures.emulator.market.replay_market import RecordedMarket, recorded_factory
from mexc_futures.emulator.market.tape import build_tape, contract_terms
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.latency import DEFAULT as DEFAULT_LATENCY
from mexc_futures.emulator.server.latency import LatencyModel
from mexc_futures.emulator.venue.accounts import LONG
from mexc_futures.emulator.venue.contracts import build_contracts
from mexc_futures.errors import ConfigError
from mexc_futures.recording.info import summarize
from mexc_futures.recording.reader import iter_lines, load_manifest
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.session import StrategySession


@dataclass
class BacktestResult:
    """Everything a backtest produced (``report`` is what ``report.json`` holds)."""

    report: dict[str, Any]
    fills: list[dict[str, Any]]
    points: list[rp.EquityPoint]
    latencies: dict[str, list[float]] = field(default_factory=dict)


def _equity(ex: Emulator, key: str, symbols: list[str]) -> rp.EquityPoint:
    e = ex.venue.engine
    acct = e.accounts[key]
    wallet = float(acct.wallet("USDT"))
    unreal = 0.0
    pos = 0.0
    for p in acct.positions.values():
        if p.hold_vol:
            unreal += float(p.unrealized(e.mark(p.symbol)))
            pos += p.hold_vol if p.position_type == LONG else -p.hold_vol
    book = e.books[symbols[0]]
    bb, ba = book.best_bid(), book.best_ask()
    c = e.contracts[symbols[0]]
    mid = (c.price(bb) + c.price(ba)) / 2 if bb is not None and ba is not None else None
    return rp.EquityPoint(e.now_ms, wallet, unreal, wallet + unreal, pos, mid)


@dataclass
class Traded:
    """What one strategy session did on an emulator (replaying or synthetic)."""

    points: list[rp.EquityPoint]
    fills: list[dict[str, Any]]
    funding: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    contract_size: float
    latencies: dict[str, list[float]]
    session_id: str = ""  # the execution session (every externalOid of the run derives from it)


async def trade(
    ex: Emulator,
    strategy: Strategy,
    *,
    until_ms: int,
    speed: float,
    sample_s: float = 1.0,
    progress: Callable[[float], None] | None = None,
    seed: int | None = None,
) -> Traded:
    """Run ``strategy`` in a ``StrategySession`` on ``ex`` until venue time ``until_ms``,
    sampling the account's equity every ``sample_s`` venue seconds."""
    symbols = list(strategy.symbols)
    key = ex.credentials.api_key
    latencies: dict[str, list[float]] = {}
    points: list[rp.EquityPoint] = []
    start = ex.clock.venue_ms()
    span_s = max((until_ms - start) / 1000, 1e-9)
    with tempfile.TemporaryDirectory(prefix="mexc-backtest-") as tmp:
        session = StrategySession(
            strategy, ex.env, ex.credentials, journal_path=Path(tmp) / "journal.sqlite",
            clock=ex.clock, seed=seed,
            on_latency=lambda kind, ms: latencies.setdefault(kind, []).append(ms))
        async with session:
            session_id = session.execution.session_id

            async def sample() -> None:
                while True:
                    points.append(_equity(ex, key, symbols))
                    if progress is not None:
                        progress((ex.venue.now_ms - start) / 1000 / span_s)
                    await asyncio.sleep(sample_s / speed)

            sampler = asyncio.create_task(sample())
            try:
                left = (until_ms - ex.clock.venue_ms()) / 1000
                await session.run(max(left, 0.0) / speed)
            finally:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
    points.append(_equity(ex, key, symbols))
    acct = ex.venue.engine.accounts[key]
    return Traded(points, [dict(f) for f in acct.fills], list(acct.funding_records),
                  ex.truth.orders(), ex.venue.contract(symbols[0]).contract_size, latencies,
                  session_id)


async def run_backtest(
    strategy: Strategy,
    data: Path,
    *,
    deterministic: bool = True,
    seed: int = 1,
    speed: float = 20.0,
    latency: LatencyModel | None = None,
    queue_model: str = "risk-averse",
    fees: dict[str, float] | None = None,
    balance: float = 10_000.0,
    sample_s: float = 1.0,
    params: dict[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> BacktestResult:
    """Run ``strategy`` over the recording at ``data``; see the module docstring.

    ``deterministic`` (the default) runs in lockstep virtual time and must be awaited on a
    ``lockstep.VirtualTimeLoop`` (``lockstep.run(run_backtest(...))``); ``speed`` is then unused.
    ``deterministic=False`` is the paced mode at ``speed``. ``latency``: the emulator's
    explicit latency model (default ``latency.DEFAULT``, seeded with ``seed``)."""
    loop = asyncio.get_running_loop()
    if deterministic and not isinstance(loop, VirtualTimeLoop):
        raise ConfigError("a deterministic backtest runs on its own virtual-time event loop: "
                          "call mexc_futures.backtest.lockstep.run(run_backtest(...)), or pass "
                          "deterministic=False for a paced run")
    man = load_manifest(data)
    missing = [s for s in strategy.symbols if s not in man.symbols]
    if missing:
        raise ConfigError(f"the recording at {data} has no {', '.join(missing)} (it holds "
                          f"{', '.join(man.symbols)}); record them or pick another strategy "
                          "symbol with --symbol")
    symbols = list(strategy.symbols)
    model = parse_model(queue_model)
    tape = build_tape(iter_lines(data), man.symbols)
    terms = contract_terms(man.contracts)
    try:  # a symbol the built-in catalogue lacks trades on the recorded contract
        own = recorded_contracts(man.contracts, man.symbols, tape.events, list(build_contracts()))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    options = {"market_factory": recorded_factory(tape.events, model, terms, fees),
               "start_ms": tape.start_ms, "contracts": own}
    lat = latency if latency is not None else LatencyModel.parse(DEFAULT_LATENCY, seed)
    lockstep: dict[str, Any] = {}
    if deterministic:
        speed = 1.0
        key = hashlib.sha256(f"backtest:{seed}".encode()).hexdigest()
        lockstep = {"clock": LoopClock(tape.start_ms), "api_key": "mx0vglBT" + key[:16],
                    "api_secret": key[16:48]}
    async with Emulator(symbols=man.symbols, speed=speed, start_ms=tape.start_ms,
                        balance=balance, venue_options=options, seed=seed, latency=lat,
                        **lockstep) as ex:
        ex.next_due = next_due_of(tape)
        run = await trade(ex, strategy, until_ms=tape.end_ms, speed=speed, sample_s=sample_s,
                          progress=progress, seed=seed if deterministic else None)
        markets = {s: ex.venue.engine.markets[s] for s in symbols}
        replayed = {s: {"events": m.pos, "user_fill_volume_by_rule": dict(m.user_fills)}
                    for s, m in markets.items() if isinstance(m, RecordedMarket)}
    points, fills, funding, orders, contract_size, latencies = (
        run.points, run.fills, run.funding, run.orders, run.contract_size, run.latencies)
    report = _report(strategy, data, man, tape, speed, model.name, fees, terms, balance,
                     sample_s, params, points, fills, funding, orders, contract_size,
                     latencies, replayed)
    report["inputs"]["session_id"] = run.session_id
    report["inputs"]["latency_model"] = {
        **lat.describe(), "on_top": "nothing (virtual time)" if deterministic else
        f"the real loopback round trip x {speed:g} (paced)"}
    if deterministic:
        report["inputs"].update({"pacing": "lockstep virtual time", "deterministic": True,
                                 "seed": seed})
        report["determinism"] = "deterministic (lockstep)"
        report["results"]["lockstep_jumps"] = getattr(loop, "jumps", None)
    return BacktestResult(report, fills, points, latencies)


def _report(strategy: Strategy, data: Path, man: Any, tape: Any, speed: float, model: str,
            fees: dict[str, float] | None, terms: dict[str, dict[str, float]], balance: float,
            sample_s: float, params: dict[str, str] | None, points: list[rp.EquityPoint],
            fills: list[dict[str, Any]], funding: list[dict[str, Any]],
            orders: list[dict[str, Any]], contract_size: float,
            latencies: dict[str, list[float]], replayed: dict[str, Any]) -> dict[str, Any]:
    info = summarize(data, verify=False)
    end = points[-1] if points else None
    by_code: dict[str, int] = {}
    for o in orders:
        if o.get("errorCode"):
            by_code[str(o["errorCode"])] = by_code.get(str(o["errorCode"]), 0) + 1
    lat = {k: {"n": len(v), "p50_ms": _pct(v, 0.5), "p99_ms": _pct(v, 0.99)}
           for k, v in latencies.items()}
    sym = strategy.symbols[0]
    return {
        "inputs": {
            "strategy": type(strategy).__name__, "params": params or {},
            "symbols": list(strategy.symbols), "data": str(data),
            "contract_size": contract_size,
            "recording": {"start_ms": tape.start_ms, "end_ms": tape.end_ms,
                          "segments": [{"name": s.name, "sha256": s.sha256,
                                        "complete": s.complete} for s in man.segments],
                          "gaps": [msgspec_builtins(g) for g in info.gaps],
                          "resyncs": info.resyncs, "version_gaps": tape.gaps},
            "fill_model": "recorded L2 as crowd queues; prints sweep up to their price; "
                          "trade-through and crossed-book fills at the order's price",
            "queue_model": model,
            "fees": {**terms.get(sym, {}), **(fees or {})},
            "funding": "recorded rates, settled by the venue", "balance": balance,
            "pacing": f"paced x{speed:g}", "deterministic": False,
            "sampling_interval_s": sample_s,
        },
        "results": {
            "pnl": pnl_of(fills, funding, end.unrealised if end else 0.0),
            "start_equity": balance, "end_equity": end.equity if end else balance,
            "ratios": rp.ratio_metrics([p.equity for p in points], sample_s),
            "drawdown": rp.drawdown(points),
            "orders": {"placed": len(orders), "rejected_or_cancelled_by_code": by_code,
                       "by_state": _count(orders, "state")},
            "fills": rp.fill_stats(fills),
            "markouts": rp.markouts(fills, points, contract_size),
            "position": {"max_abs": max((abs(p.position) for p in points), default=0.0),
                         "end": end.position if end else 0.0},
            "latency_venue_ms": lat,
            "events_replayed": replayed,
        },
        "reconciliation": ledger_identity(balance, fills, funding, end),
        "determinism": "non-deterministic (paced)",
        "hash": rp.determinism_hash(fills, points),
    }


def next_due_of(tape: Any) -> Callable[[int], int | None]:
    """The recording's next event time after ``now`` (the emulator's clock loop wakes for it)."""
    times = sorted({e.t for evs in tape.events.values() for e in evs})

    def due(now_ms: int) -> int | None:
        i = bisect.bisect_right(times, now_ms)
        return times[i] if i < len(times) else None

    return due


def pnl_of(fills: list[dict[str, Any]], funding: list[dict[str, Any]],
           unrealised: float) -> dict[str, float]:
    return rp.pnl_split(fills, funding, unrealised)


def ledger_identity(balance: float, fills: list[dict[str, Any]], funding: list[dict[str, Any]],
                    end: rp.EquityPoint | None) -> dict[str, Any]:
    """``start + realised - fees + funding == wallet`` (to 8 decimals: the venue's booking)."""
    split = rp.pnl_split(fills, funding, 0.0)
    expect = balance + split["net"]
    wallet = end.wallet if end else balance
    return {"start_plus_flows": round(expect, 8), "wallet": round(wallet, 8),
            "holds": abs(expect - wallet) < 1e-6}


def msgspec_builtins(x: Any) -> Any:
    import msgspec

    return msgspec.to_builtins(x)


def _count(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[str(r.get(key))] = out.get(str(r.get(key)), 0) + 1
    return out


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))]


__all__ = ["BacktestResult", "Traded", "ledger_identity", "run_backtest", "trade"]
