"""Attack 1 client: places / cancels / amends orders in a loop against a running emulator and
kills itself with SIGKILL at a chosen point (or is killed from outside by the driver).

usage: crash_client.py PORT JOURNAL INTENT_LOG CRASH_POINT CRASH_AFTER SEED START_K N

CRASH_POINT (self-kill on the CRASH_AFTER-th occurrence; monkeypatching only, no file edits):
  none             no self-kill (the driver kills from outside at a random time)
  after_journal    after the intent row is committed, before the create is written
  after_write      right after a lane request (create/cancel/cancel_all) was written
  after_answer     after a create answer was parsed, before the ack is journaled
  before_update    just before any journal update_order (state change not journaled)
  after_fill       after a fill row is committed, before the order row is updated
Secrets come from MEXC_API_KEY / MEXC_API_SECRET.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from decimal import Decimal

from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import MexcError
from mexc_futures.execution import ExecutionConfig, ExecutionManager, RiskRejected
from mexc_futures.execution.journal import Journal
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    OrderKind,
    PlaceOrder,
    TradeSide,
)
from mexc_futures.transport.rest import RestClient

SYMBOLS = ("BTC_USDT", "ETH_USDT")


def die(tag: str) -> None:
    print(f"SELFKILL {tag}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


class Counter:
    def __init__(self, point: str, after: int) -> None:
        self.point, self.after, self.n = point, after, 0

    def hit(self, point: str) -> None:
        if point != self.point:
            return
        self.n += 1
        if self.n == self.after:
            die(point)


def install(point: str, after: int, em_holder: list) -> Counter:
    c = Counter(point, after)
    orig_record = Journal.record_intent

    def record_intent(self, *a, **k):  # type: ignore[no-untyped-def]
        orig_record(self, *a, **k)
        c.hit("after_journal")

    Journal.record_intent = record_intent  # type: ignore[method-assign]

    orig_update = Journal.update_order

    def update_order(self, *a, **k):  # type: ignore[no-untyped-def]
        c.hit("before_update")
        orig_update(self, *a, **k)

    Journal.update_order = update_order  # type: ignore[method-assign]

    orig_fill = Journal.record_fill

    def record_fill(self, *a, **k):  # type: ignore[no-untyped-def]
        r = orig_fill(self, *a, **k)
        if r:
            c.hit("after_fill")
        return r

    Journal.record_fill = record_fill  # type: ignore[method-assign]

    orig_begin = RestClient.begin_create

    def begin_create(self, *a, **k):  # type: ignore[no-untyped-def]
        pending = orig_begin(self, *a, **k)

        async def wrapped():  # type: ignore[no-untyped-def]
            res = await pending
            c.hit("after_answer")
            return res

        return wrapped()

    RestClient.begin_create = begin_create  # type: ignore[method-assign]
    return c


async def main() -> None:
    port, journal, ilog, point, after, seed, start_k, n = sys.argv[1:9]
    rng = random.Random(int(seed))
    env = Environment.local("127.0.0.1", int(port))
    creds = Credentials(os.environ["MEXC_API_KEY"], os.environ["MEXC_API_SECRET"])
    counter = install(point, int(after), [])
    config = ExecutionConfig(
        symbols=SYMBOLS,
        reconcile_interval=0.7,
        resolve_attempts=6,
        resolve_delay=0.05,
        not_found_grace=0.3,
        create_timeout=1.0,
    )
    log = open(ilog, "a", buffering=1)
    k = int(start_k)
    async with (
        RestClient(env, creds, retry_base=0.02, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=journal, config=config) as em,
    ):
        if point == "after_write" and rest.lane is not None:
            rest.lane.on_write = lambda: counter.hit("after_write")
        print(f"READY ready={em.ready} session={em.session_id}", flush=True)
        log.write(f"S {em.session_id} ready={em.ready}\n")
        if not em.ready:
            return
        tick = {s: em.specs[s].price_unit for s in SYMBOLS}
        for _ in range(int(n)):
            k += 1
            sym = rng.choice(SYMBOLS)
            t = await rest.get_ticker(sym)
            spec = em.specs[sym]
            roll = rng.random()
            live = [o for o in em.open_orders if o.symbol == sym]
            try:
                if roll < 0.45 or not live:
                    price = spec.round_price(Decimal(str(t.bid1)) * Decimal("0.95")) - (
                        k % 400
                    ) * tick[sym]
                    intent = PlaceOrder(symbol=sym, side=TradeSide.OPEN_LONG,
                                        kind=OrderKind.LIMIT, vol=Decimal(1), price=price,
                                        leverage=10)
                    log.write(f"I {k} place_rest {sym} {price}\n")
                    o = await em.submit(intent)
                    log.write(f"R {k} {o.external_oid if o else None} "
                              f"{o.state.value if o else None}\n")
                elif roll < 0.62:
                    buy = rng.random() < 0.5
                    ref = Decimal(str(t.ask1 if buy else t.bid1))
                    price = spec.round_price(ref * (Decimal("1.002") if buy else Decimal("0.998")))
                    side = TradeSide.OPEN_LONG if buy else TradeSide.OPEN_SHORT
                    intent = PlaceOrder(symbol=sym, side=side, kind=OrderKind.LIMIT,
                                        vol=Decimal(1), price=price, leverage=10)
                    log.write(f"I {k} place_cross {sym} {side} {price}\n")
                    o = await em.submit(intent)
                    log.write(f"R {k} {o.external_oid if o else None} "
                              f"{o.state.value if o else None}\n")
                elif roll < 0.85:
                    o = rng.choice(live)
                    log.write(f"I {k} cancel {o.external_oid}\n")
                    await em.submit(CancelOrder(symbol=sym, external_oid=o.external_oid))
                    log.write(f"R {k} {o.external_oid} {o.state.value}\n")
                elif roll < 0.92:
                    log.write(f"I {k} cancel_all {sym}\n")
                    await em.submit(CancelAll(symbol=sym, all_orders=True))
                    log.write(f"R {k} cancel_all\n")
                else:
                    cands = [o for o in live if o.order_id and o.price is not None
                             and o.state.value == "open"]
                    if cands:
                        o = rng.choice(cands)
                        newp = o.price - tick[sym]
                        log.write(f"I {k} amend {o.external_oid} {o.order_id} {newp}\n")
                        await em.submit(AmendOrder(symbol=sym, order_id=o.order_id,
                                                   price=newp, vol=o.vol))
                        log.write(f"R {k} {o.external_oid} {o.order_id}\n")
            except RiskRejected as e:
                log.write(f"X {k} risk {e.rejection.rule}\n")
                await em.submit(CancelAll(symbol=sym, all_orders=True))
            except MexcError as e:
                log.write(f"X {k} {type(e).__name__} {str(e)[:120]!r}\n")
            print(f"K {k}", flush=True)
            await asyncio.sleep(rng.uniform(0, 0.03))
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
