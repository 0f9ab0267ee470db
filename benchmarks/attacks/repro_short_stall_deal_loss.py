"""D9 repro (I4): frames silently lost on a connection that stays up (an emulator Stall shorter
than ping interval + pong deadline) lost deals with no DealGap, although depth saw the hole.

Now the deal stream of that connection is reported gapped and refilled from REST ``deals``. Prints
the venue deals in the window, those delivered by the stream, those recovered from REST, and those
lost (neither) with and without a reported gap.

usage: python -m benchmarks.attacks.repro_short_stall_deal_loss [ROUNDS]
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from typing import Any

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import Stall
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.model.events import BookResync, DealGap, DealsRecovered, Trade
from mexc_futures.protocol.session import SessionConfig

SYM = "BTC_USDT"


def deal_accounting(events: list[Any], truth: list[dict[str, Any]], symbol: str,
                    since: int) -> dict[str, int]:
    """Venue deals after ``since`` split into delivered / recovered / lost (with/without gap)."""
    trades = [e for e in events if isinstance(e, Trade) and e.symbol == symbol]
    ids = [t.trade_id for t in trades if t.trade_id is not None]
    fetched = Counter((t.time, t.price, t.vol, int(t.side), t.open_flag, t.self_trade)
                      for t in trades if t.trade_id is None)
    gaps = [(g.since, g.until) for g in events if isinstance(g, DealGap) and g.symbol == symbol]
    last = max((t.time for t in trades), default=0)
    have = set(ids)
    out = {"venue": 0, "stream": 0, "recovered": 0, "lost_in_gap": 0, "lost_without_gap": 0,
           "duplicates": len(ids) - len(have)}
    for d in truth:
        if d["t"] < since or d["t"] > last:
            continue
        out["venue"] += 1
        key = (d["t"], d["p"], d["v"], d["T"], d["O"], d["M"] == 1)
        if str(d["i"]) in have:
            out["stream"] += 1
        elif fetched.get(key):
            fetched[key] -= 1  # two venue deals can share the key: match each REST deal once
            out["recovered"] += 1
        elif any(a <= d["t"] <= b for a, b in gaps):
            out["lost_in_gap"] += 1
        else:
            out["lost_without_gap"] += 1
    # a REST-recovered deal that matches no undelivered venue deal was delivered twice
    out["duplicates"] += sum(n for k, n in fetched.items() if since <= k[0] <= last)
    return out


async def main(rounds: int) -> None:
    cfg = MarketDataConfig(session=SessionConfig(ping_interval=10, pong_timeout=5),
                           audit_interval=None, depth_silence=None)
    events: list[Any] = []
    async with (
        Emulator(symbols=[SYM], speed=20, seed=4) as ex,
        MarketData(ex.env, clock=ex.clock, config=cfg) as md,
    ):
        md.on(events.append)
        await md.subscribe("depth", SYM)
        await md.subscribe("deal", SYM)
        for _ in range(200):
            if md.book(SYM).synced and any(isinstance(e, Trade) for e in events):
                break
            await asyncio.sleep(0.05)
        since = next(e for e in events if isinstance(e, Trade)).time
        for _ in range(rounds):
            await asyncio.sleep(0.5)
            fid = ex.faults.add(Stall())  # every connection: nothing sent, TCP open
            await asyncio.sleep(0.15)  # < ping 0.5 s + pong 0.25 s real at speed 20
            ex.faults.clear(fid)
        await asyncio.sleep(3.0)  # recoveries run 1 venue-s after a gap, queued per symbol
        acc = deal_accounting(events, ex.truth.deals(SYM), SYM, since)
        resyncs = Counter(r.reason for r in events if isinstance(r, BookResync))
        reconnects = sum(md.metrics.conn(c).reconnects for c in md.pool.live)
        gaps = sum(1 for e in events if isinstance(e, DealGap))
        recs = [e for e in events if isinstance(e, DealsRecovered)]
        print(f"stalls: {rounds} x 0.15 s; deals {acc}; DealGaps: {gaps}; DealsRecovered: "
              f"{len(recs)} (complete {sum(r.complete for r in recs)}); depth resyncs: "
              f"{dict(resyncs)}; reconnects: {reconnects}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
