"""Attack 1 checker: restart on the journal a killed client left, let the manager reconcile,
then compare the journal with the emulator's ground truth (control API) and REST fills.

usage: crash_check.py PORT JOURNAL OUT_JSON [cleanup]
Prints one JSON object (also written to OUT_JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import ctl

from mexc_futures.config import Credentials, Environment
from mexc_futures.execution import ExecutionConfig, ExecutionManager
from mexc_futures.model.intents import CancelAll
from mexc_futures.transport.rest import RestClient

SYMBOLS = ("BTC_USDT", "ETH_USDT")
STATE = {1: "pending", 2: "open", 3: "filled", 4: "cancelled", 5: "invalid"}


def integrity(path: str) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def rows(path: str) -> list[dict]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM orders")]
    finally:
        db.close()


def fills(path: str) -> list[dict]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM fills")]
    finally:
        db.close()


async def main() -> None:
    port, journal, out = sys.argv[1], sys.argv[2], sys.argv[3]
    cleanup = len(sys.argv) > 4 and sys.argv[4] == "cleanup"
    res: dict = {"integrity_before": integrity(journal) if Path(journal).exists() else "absent"}
    before_rows = rows(journal) if Path(journal).exists() else []
    res["unresolved_before"] = sum(
        1 for r in before_rows if r["state"] in ("pending_submit", "unknown"))
    _, calls0 = ctl(int(port), "GET", "rest_calls")
    n0 = len(calls0)
    env = Environment.local("127.0.0.1", int(port))
    creds = Credentials(os.environ["MEXC_API_KEY"], os.environ["MEXC_API_SECRET"])
    config = ExecutionConfig(symbols=SYMBOLS, reconcile_interval=3600, resolve_attempts=6,
                             resolve_delay=0.05, not_found_grace=0.3, create_timeout=1.0)
    t0 = time.monotonic()
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=journal, config=config) as em,
    ):
        res["ready"] = em.ready
        res["ready_s"] = round(time.monotonic() - t0, 3)
        _, calls1 = ctl(int(port), "GET", "rest_calls")
        start_calls = calls1[n0:]
        res["creates_during_restart"] = sum(
            1 for c in start_calls if c["endpoint"] in ("order_create", "order_submit"))
        res["cancels_during_restart"] = sum(
            1 for c in start_calls if "cancel" in c["endpoint"])
        await em.reconcile()
        # a second pass: count deal-detail fetches that a settled journal should not need
        _, calls2 = ctl(int(port), "GET", "rest_calls")
        m0 = len(calls2)
        await em.reconcile()
        _, calls3 = ctl(int(port), "GET", "rest_calls")
        res["deal_detail_calls_in_idle_reconcile"] = sum(
            1 for c in calls3[m0:] if c["endpoint"] == "order_deal_details")
        res["tracker_illegal"] = em.tracker.illegal
        # venue truth
        _, venue = ctl(int(port), "GET", "truth/orders")
        jrows = rows(journal)
        jfills = fills(journal)
        by_oid: dict[str, list[dict]] = {}
        by_id: dict[str, dict] = {}
        for v in venue:
            by_oid.setdefault(v["externalOid"], []).append(v)
            by_id[str(v["orderId"])] = v
        joids = {r["external_oid"] for r in jrows}
        res["journal_rows"] = len(jrows)
        res["venue_mf_orders"] = sum(1 for v in venue if v["externalOid"].startswith("mf"))
        res["dup_oid_at_venue"] = sum(
            1 for o, lst in by_oid.items() if o.startswith("mf") and len(lst) > 1)
        res["orphans"] = [o for o in by_oid if o.startswith("mf") and o not in joids]
        unresolved, mismatch = [], []
        for r in jrows:
            st = r["state"]
            if st in ("pending_submit", "unknown"):
                unresolved.append(r["external_oid"])
                continue
            vs = by_oid.get(r["external_oid"], [])
            cur = by_id.get(str(r["order_id"])) if r["order_id"] else None
            if cur is None and vs:
                cur = vs[-1]
            if cur is None:
                if st != "invalid":
                    mismatch.append((r["external_oid"], st, "absent at venue"))
                continue
            vstate = STATE[cur["state"]]
            ok = st == vstate or (st == "pending" and vstate == "open")
            if not ok:
                mismatch.append((r["external_oid"], st, vstate))
            if Decimal(r["filled"]) != Decimal(str(cur["dealVol"])):
                mismatch.append((r["external_oid"], "filled", r["filled"], cur["dealVol"]))
        res["unresolved_after"] = unresolved
        res["unresolved_detail"] = [
            {"oid": o, "journal": next(r for r in jrows if r["external_oid"] == o),
             "venue": by_oid.get(o, []),
             "tracker": (lambda t: None if t is None else [t.state.value, t.order_id])(
                 em.tracker.get(external_oid=o))}
            for o in unresolved]
        res["state_mismatch"] = mismatch
        # fills: every venue fill of a journaled order is journaled exactly once
        missing_fills = 0
        extra = 0
        jf_by_order: dict[str, Decimal] = {}
        for f in jfills:
            jf_by_order[str(f["order_id"])] = jf_by_order.get(str(f["order_id"]), Decimal(0)) + \
                Decimal(f["vol"])
        for r in jrows:
            oids = [str(r["order_id"])] if r["order_id"] else []
            for oid in oids:
                v = by_id.get(oid)
                if v is None or not v["dealVol"]:
                    continue
                deals = await rest.get_deal_details(oid)
                vsum = sum((Decimal(str(d.vol)) for d in deals), Decimal(0))
                jsum = jf_by_order.get(oid, Decimal(0))
                if jsum < vsum:
                    missing_fills += 1
                elif jsum > vsum:
                    extra += 1
        res["orders_with_missing_fills"] = missing_fills
        res["orders_with_extra_fills"] = extra
        res["integrity_after"] = integrity(journal)
        if cleanup:
            for s in SYMBOLS:
                await em.submit(CancelAll(symbol=s, all_orders=True))
            await em.reconcile()
    res["calls_dup_code_603"] = sum(1 for c in calls3 if c["code"] == 603)
    Path(out).write_text(json.dumps(res))
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
