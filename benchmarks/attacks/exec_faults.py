"""Attack 2: emulator / transport faults during order entry, against a separately started emulator
(CLI process) with an in-process ExecutionManager, optionally through a loopback TCP proxy.

usage (SCENARIOS=amend runs only the scenarios whose name contains "amend"): exec_faults.py OUTDIR [ROUNDS]
Each scenario: ROUNDS orders (default 20). Bounded: every await has a timeout.
Figures per scenario: creates at the venue (rest_calls) vs intents, venue orders per oid,
client states after resolution, unresolved left, mismatches with venue truth.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import KEY, SECRET, ctl, free_port, start_emulator, stop
from proxy import Proxy

from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import KillSwitchActive, MexcError
from mexc_futures.execution import ExecutionConfig, ExecutionManager
from mexc_futures.execution.alerts import RecordingAlert
from mexc_futures.model.intents import AmendOrder, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.killswitch import KillSwitchConfig
from mexc_futures.model.risk import RiskLimits
from mexc_futures.transport.rest import RestClient

SYM = "BTC_USDT"
STATE = {1: "pending", 2: "open", 3: "filled", 4: "cancelled", 5: "invalid"}
CFG = ExecutionConfig(symbols=(SYM,), reconcile_interval=3600, resolve_attempts=8,
                      resolve_delay=0.05, not_found_grace=0.3, cleanup_retry=0.1,
                      cleanup_retry_cap=0.5, create_timeout=0.6)


def calls(port: int) -> list[dict]:
    return ctl(port, "GET", "rest_calls")[1]  # type: ignore[return-value]


def venue_orders(port: int) -> list[dict]:
    return ctl(port, "GET", "truth/orders")[1]  # type: ignore[return-value]


async def resting(em: ExecutionManager, i: int) -> PlaceOrder:
    t = await em.rest.get_ticker(SYM)
    spec = em.specs[SYM]
    price = spec.round_price(Decimal(str(t.bid1)) * Decimal("0.93")) - i * spec.price_unit
    return PlaceOrder(symbol=SYM, side=TradeSide.OPEN_LONG, kind=OrderKind.LIMIT,
                      vol=Decimal(1), price=price, leverage=10)


def compare(port: int, em: ExecutionManager, oids: list[str]) -> dict:
    venue = venue_orders(port)
    by_oid: dict[str, list[dict]] = {}
    by_id = {str(v["orderId"]): v for v in venue}
    for v in venue:
        by_oid.setdefault(v["externalOid"], []).append(v)
    out = {"dup": 0, "unresolved": 0, "mismatch": [], "states": {}}
    for oid in oids:
        o = em.order(oid)
        st = o.state.value if o else "untracked"
        out["states"][st] = out["states"].get(st, 0) + 1
        vs = by_oid.get(oid, [])
        if len(vs) > 1:
            out["dup"] += 1
        if st in ("unknown", "pending_submit"):
            out["unresolved"] += 1
            continue
        cur = by_id.get(str(o.order_id)) if o and o.order_id else (vs[-1] if vs else None)
        if cur is None:
            if st != "invalid":
                out["mismatch"].append([oid, st, "absent"])
        else:
            vst = STATE[cur["state"]]
            if not (st == vst or (st == "pending" and vst == "open")):
                out["mismatch"].append([oid, st, vst])
    # venue orders the client does not track (orphans: e.g. an amend's new incarnation)
    open_ids = {str(v["orderId"]) for v in venue if v["state"] in (1, 2)}
    tracked_ids = {str(o.order_id) for o in em.tracker.by_oid.values() if o.order_id}
    out["untracked_open_at_venue"] = sorted(open_ids - tracked_ids)
    return out


async def scenario(name: str, port: int, rest_port: int, proxy: Proxy | None, rounds: int,
                   setup, results: dict, *, amend: bool = False) -> None:  # type: ignore[no-untyped-def]
    jdir = Path(tempfile.mkdtemp())
    env = Environment.local("127.0.0.1", rest_port)
    creds = Credentials(KEY, SECRET)
    ctl(port, "POST", "faults", {"fault": "http404", "endpoints": ["nothing"], "count": 0})
    ctl(port, "DELETE", "faults")
    ctl(port, "DELETE", "faults")
    n_calls0 = len(calls(port))
    t0 = time.monotonic()
    oids: list[str] = []
    errors: list[str] = []
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG,
                         alerts=RecordingAlert()) as em,
    ):
        for i in range(rounds):
            intent = await resting(em, i)
            if amend:
                o = await asyncio.wait_for(em.submit(intent), 10)
                assert o is not None
                oids.append(o.external_oid)
                await asyncio.sleep(0.05)
                await em.reconcile()
                setup(port, proxy)
                try:
                    await asyncio.wait_for(em.submit(AmendOrder(
                        symbol=SYM, order_id=o.order_id, price=o.price - em.specs[SYM].price_unit,
                        vol=o.vol)), 15)
                except MexcError as e:
                    errors.append(f"{type(e).__name__}: {str(e)[:100]}")
            else:
                setup(port, proxy)
                try:
                    o = await asyncio.wait_for(em.submit(intent), 15)
                    if o is not None:
                        oids.append(o.external_oid)
                except MexcError as e:
                    errors.append(f"{type(e).__name__}: {str(e)[:100]}")
                    oids.extend(x for x in em.tracker.by_oid if x not in oids)
            ctl(port, "DELETE", "faults")
            if proxy:
                proxy.set("pass", b"", 0)
        await asyncio.sleep(0.3)
        await em.reconcile()
        cmp = compare(port, em, oids)
        new_calls = calls(port)[n_calls0:]
        creates = [c for c in new_calls if c["endpoint"] in ("order_create", "order_submit")]
        cmp.update({
            "intents": rounds,
            "tracked_orders": len(em.tracker.by_oid),
            "create_calls_at_venue": len(creates),
            "create_calls_by_status": {},
            "venue_orders_for_our_oids": sum(
                1 for v in venue_orders(port) if v["externalOid"] in set(oids)),
            "errors_raised": errors[:5],
            "n_errors": len(errors),
            "kill_switch": em.kill_switch.state.value,
            "tripped": em.kill_switch.tripped,
            "trading_off": em.trading_off_reason[:120],
            "illegal": em.tracker.illegal,
            "proxy_hits": len(proxy.hits) if proxy else None,
            "secs": round(time.monotonic() - t0, 2),
        })
        for c in creates:
            k = f'{c["http_status"]}/{c["code"]}'
            cmp["create_calls_by_status"][k] = cmp["create_calls_by_status"].get(k, 0) + 1
        # clean the book for the next scenario
        try:
            await asyncio.wait_for(em.rest.cancel_all(SYM), 10)
        except MexcError:
            pass
    if proxy:
        proxy.hits.clear()
    results[name] = cmp
    print(name, json.dumps(cmp), flush=True)


def fault(body: dict):  # type: ignore[no-untyped-def]
    def setup(port: int, proxy: Proxy | None) -> None:
        ctl(port, "POST", "faults", body)
    return setup


def pfault(mode: str, match: bytes):  # type: ignore[no-untyped-def]
    def setup(port: int, proxy: Proxy | None) -> None:
        assert proxy is not None
        proxy.set(mode, match, 1)
    return setup


async def kill_switch_404(port: int, results: dict) -> None:
    """404 storm on order endpoints: trip at K=3, cancel-all retried until confirmed, no create
    reaches the venue after the trip, one alert, latched across restart, reset persisted."""
    jdir = Path(tempfile.mkdtemp())
    env = Environment.local("127.0.0.1", port)
    creds = Credentials(KEY, SECRET)
    alerts = RecordingAlert()
    out: dict = {}
    ctl(port, "DELETE", "faults")
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG, alerts=alerts,
                         kill_config=KillSwitchConfig(flatten_on_trip=True)) as em,
    ):
        # some resting orders and an open position first
        for i in range(5):
            await em.submit(await resting(em, i))
        t = await rest.get_ticker(SYM)
        cross = PlaceOrder(symbol=SYM, side=TradeSide.OPEN_LONG, kind=OrderKind.LIMIT,
                           vol=Decimal(3), price=em.specs[SYM].round_price(
                               Decimal(str(t.ask1)) * Decimal("1.002")), leverage=10)
        await em.submit(cross)
        await asyncio.sleep(0.3)
        await em.reconcile()
        out["open_before"] = len(await rest.get_open_orders())
        out["positions_before"] = len(await rest.get_positions())
        n0 = len(calls(port))
        fid = ctl(port, "POST", "faults", {"fault": "http404", "endpoints": ["orders"]})[1]
        attempts = 0
        trip_at = None
        for i in range(10):
            attempts += 1
            try:
                await asyncio.wait_for(em.submit(await resting(em, 10 + i)), 10)
            except KillSwitchActive:
                trip_at = trip_at or attempts
            except MexcError:
                pass
            if em.kill_switch.tripped and trip_at is None:
                trip_at = attempts
        out["tripped"] = em.kill_switch.tripped
        out["trip_after_attempts"] = trip_at
        await asyncio.sleep(1.0)  # cleanup rounds fail while the 404 storm lasts
        out["state_during_storm"] = em.kill_switch.state.value
        ctl(port, "DELETE", "faults")
        for _ in range(100):
            if em.kill_switch.state.value == "contained":
                break
            await asyncio.sleep(0.1)
        out["state_after_storm"] = em.kill_switch.state.value
        new = calls(port)[n0:]
        out["ok_creates_after_trip"] = sum(
            1 for c in new if c["endpoint"] == "order_create" and c["http_status"] == 200
            and c["code"] == 0)
        out["create_calls_after_fault"] = sum(1 for c in new if c["endpoint"] == "order_create")
        out["cancel_all_calls"] = sum(1 for c in new if c["endpoint"] == "order_cancel_all")
        out["open_after"] = len(await rest.get_open_orders())
        out["positions_after"] = len(await rest.get_positions())
        out["alerts"] = len(alerts.sent) if hasattr(alerts, "sent") else str(alerts)
        try:
            await em.submit(await resting(em, 50))
            out["submit_after_trip"] = "accepted"
        except KillSwitchActive:
            out["submit_after_trip"] = "KillSwitchActive"
    # restart: still latched
    alerts2 = RecordingAlert()
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG, alerts=alerts2) as em,
    ):
        out["restart_tripped"] = em.kill_switch.tripped
        try:
            await em.submit(await resting(em, 60))
            out["restart_submit"] = "accepted"
        except KillSwitchActive:
            out["restart_submit"] = "KillSwitchActive"
        await asyncio.sleep(0.5)
        out["restart_alerts"] = len(alerts2.sent) if hasattr(alerts2, "sent") else None
        em.reset()
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG) as em,
    ):
        out["after_reset_restart_tripped"] = em.kill_switch.tripped
        o = await em.submit(await resting(em, 70))
        out["after_reset_submit"] = o.state.value if o else None
        await em.rest.cancel_all(SYM)
        await em.rest.close_all_positions()
    results["kill_switch_404_storm"] = out
    print("kill_switch_404_storm", json.dumps(out), flush=True)


async def clock_skew(port: int, results: dict) -> None:
    jdir = Path(tempfile.mkdtemp())
    env = Environment.local("127.0.0.1", port)
    out: dict = {}
    async with (
        RestClient(env, Credentials(KEY, SECRET), retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG) as em,
    ):
        n0 = len(calls(port))
        fid = ctl(port, "POST", "faults", {"fault": "clock_offset", "ms": 12000})[1]
        oids = []
        for i in range(10):
            o = await asyncio.wait_for(em.submit(await resting(em, 100 + i)), 15)
            oids.append(o.external_oid)
        new = calls(port)[n0:]
        out["creates"] = sum(1 for c in new if c["endpoint"] == "order_create")
        out["513s"] = sum(1 for c in new if c["code"] == 513)
        out["clock_syncs"] = rest.clock_syncs
        out["states"] = sorted({em.order(x).state.value for x in oids})
        out["venue_orders"] = sum(1 for v in venue_orders(port) if v["externalOid"] in oids)
        out["trading_off"] = em.trading_off_reason[:100]
        ctl(port, "DELETE", "faults")
        # after clearing, the emulator's ping stays ~12 s ahead of its auth clock (defect): a
        # signed call now gets 513 even after re-measuring
        try:
            await em.submit(await resting(em, 150))
            out["submit_right_after_clear"] = "ok"
        except MexcError as e:
            out["submit_right_after_clear"] = type(e).__name__
        out["trading_off_after_clear"] = em.trading_off_reason[:100]
        await asyncio.sleep(13)
        await rest.sync_clock()
        await em.rest.cancel_all(SYM)
    results["clock_offset_12s"] = out
    print("clock_offset_12s", json.dumps(out), flush=True)


async def rate_limit(port: int, results: dict) -> None:
    """A noisy second client on the same key exhausts the order bucket while the manager places
    orders: 510s must be retried with a fresh signature and never duplicate an order."""
    jdir = Path(tempfile.mkdtemp())
    env = Environment.local("127.0.0.1", port)
    out: dict = {}
    async with (
        RestClient(env, Credentials(KEY, SECRET), retry_base=0.02, timeout=2.0) as rest,
        RestClient(env, Credentials(KEY, SECRET), retry_base=0.02, timeout=2.0,
                   order_lane=False) as noisy,
        ExecutionManager(rest, journal_path=jdir / "j.sqlite", config=CFG,
                         risk=RiskLimits(max_open_orders=500,
                                         max_open_orders_per_symbol=500)) as em,
    ):
        noisy.limiter.headroom = 1.0
        n0 = len(calls(port))
        stop_noise = asyncio.Event()

        async def noise() -> None:
            end = time.monotonic() + 20
            while not stop_noise.is_set() and time.monotonic() < end:
                try:
                    await noisy.call("order_create", body={
                        "symbol": "ETH_USDT", "price": 1, "vol": 0, "side": 1, "type": 1,
                        "openType": 1, "leverage": 10})
                except MexcError:
                    pass
        tasks = [asyncio.create_task(noise()) for _ in range(4)]
        oids = []
        for i in range(30):
            o = await asyncio.wait_for(em.submit(await resting(em, 200 + i)), 20)
            oids.append(o.external_oid)
        stop_noise.set()
        await asyncio.gather(*tasks)
        new = calls(port)[n0:]
        mine = [c for c in new if c["endpoint"] == "order_create"]
        out["creates_total"] = len(mine)
        out["creates_510"] = sum(1 for c in mine if c["code"] == 510)
        out["all_510"] = sum(1 for c in new if c["code"] == 510)
        out["creates_ok"] = sum(1 for c in mine if c["code"] == 0 and c["http_status"] == 200)
        out["venue_orders"] = sum(1 for v in venue_orders(port) if v["externalOid"] in oids)
        out["dup"] = sum(1 for o in oids if sum(
            1 for v in venue_orders(port) if v["externalOid"] == o) > 1)
        out["states"] = sorted({em.order(x).state.value for x in oids})
        await em.rest.cancel_all(SYM)
    results["rate_limit_510"] = out
    print("rate_limit_510", json.dumps(out), flush=True)


async def main() -> None:
    outdir = Path(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    outdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    emu = start_emulator(port, "--symbols", "BTC_USDT,ETH_USDT", "--seed", "5",
                         log=outdir / "emulator.log")
    proxy = Proxy(port)
    await proxy.start()
    results: dict = {}
    try:
        pick = os.environ.get("SCENARIOS")  # e.g. SCENARIOS=amend: only names containing it

        async def S(name: str, *a, **k) -> None:  # type: ignore[no-untyped-def]
            if pick is None or pick in name:
                await scenario(name, *a, **k)

        only = os.environ.get("ONLY")
        if only:
            for name in only.split(","):
                await globals()[name](port, results)
            return
        await S("http500_after_accept", port, port, None, rounds,
                fault({"fault": "http500", "after_accept": True, "count": 1}), results)
        await S("http500_not_accepted", port, port, None, rounds,
                fault({"fault": "http500", "after_accept": False, "count": 1}), results)
        await S("delay_past_timeout_executed", port, port, None, rounds // 2,
                fault({"fault": "delay", "seconds": 1.2, "execute": True, "count": 1}), results)
        await S("delay_past_timeout_504_not_executed", port, port, None, rounds // 2,
                fault({"fault": "delay", "seconds": 1.2, "execute": False, "count": 1}), results)
        await S("proxy_reset_after_venue_acted", port, proxy.port, proxy, rounds,
                pfault("reset_after", b"/order/create"), results)
        await S("proxy_reset_before_forward", port, proxy.port, proxy, rounds,
                pfault("reset_before", b"/order/create"), results)
        await S("proxy_garbled_200_answer", port, proxy.port, proxy, rounds // 2,
                pfault("garble", b"/order/create"), results)
        await S("proxy_garbled_answer_not_forwarded", port, proxy.port, proxy, rounds // 4,
                pfault("garble_drop", b"/order/create"), results)
        await S("amend_http500_after_accept", port, port, None, rounds // 2,
                fault({"fault": "http500", "after_accept": True, "count": 1,
                       "endpoints": ["order_change_limit"]}),
                results, amend=True)
        await S("amend_timeout_executed", port, port, None, rounds // 4,
                fault({"fault": "delay", "seconds": 2.5, "execute": True, "count": 1,
                       "endpoints": ["order_change_limit"]}),
                results, amend=True)
        if pick is None:
            await clock_skew(port, results)
            await rate_limit(port, results)
            await kill_switch_404(port, results)
    finally:
        await proxy.stop()
        stop(emu)
        (outdir / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
