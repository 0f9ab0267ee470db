"""nautilus_trader's L2 book on the ingest frames (run by ``bench_books`` in its own venv).

    .bench/nautilus/bin/python benchmarks/nautilus_books.py FRAMES.pkl

Reads the recorded frames (``bench_books``' cache: snapshot, raw ``push.depth`` payloads, truth),
builds one ``OrderBookDeltas`` per frame beforehand (ADD for a new price, UPDATE for a known one,
DELETE for size 0: what a MEXC adapter would have to do; not timed), then times
``OrderBook.apply_deltas`` + ``best_bid_price()``/``best_ask_price()`` per frame with
``process_time``. Prints one JSON line: ``us_per_frame``, ``ok`` (final book == truth),
``version``. Imports nothing from mexc_futures (its venv need not have it).
"""

from __future__ import annotations

import gc
import json
import pickle
import sys
import time
from decimal import Decimal
from typing import Any


def _decimals(x: Any) -> int:
    d = Decimal(repr(float(x))).normalize()
    exp = d.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def main(path: str) -> None:
    import nautilus_trader
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.data import BookOrder, OrderBookDelta, OrderBookDeltas
    from nautilus_trader.model.enums import BookAction, BookType, OrderSide, RecordFlag
    from nautilus_trader.model.identifiers import InstrumentId
    from nautilus_trader.model.objects import Price, Quantity

    with open(path, "rb") as fh:
        data = pickle.load(fh)
    frames = [json.loads(f)["data"] for f in data["frames"]]
    snap, final = data["snapshot"], data["final"]
    every = [lv for d in frames for lv in d["bids"] + d["asks"]]
    every += snap["bids"] + snap["asks"]
    pp = max(_decimals(lv[0]) for lv in every)
    sp = max(_decimals(lv[1]) for lv in every)
    iid = InstrumentId.from_str("BTC_USDT-PERP.MEXC")
    book = OrderBook(iid, BookType.L2_MBP)
    known = {OrderSide.BUY: set(), OrderSide.SELL: set()}
    seq = [0]

    def deltas(bids: list[Any], asks: list[Any]) -> Any:
        out = []
        for side, levels in ((OrderSide.BUY, bids), (OrderSide.SELL, asks)):
            for p, v, *_ in levels:
                p, v = float(p), float(v)
                seq[0] += 1
                if v == 0:
                    if p not in known[side]:
                        continue
                    known[side].discard(p)
                    action = BookAction.DELETE
                elif p in known[side]:
                    action = BookAction.UPDATE
                else:
                    known[side].add(p)
                    action = BookAction.ADD
                order = BookOrder(side, Price(p, pp), Quantity(v, sp), 0)
                out.append(OrderBookDelta(iid, action, order, 0, seq[0], 0, 0))
        if out:  # the last delta of a frame carries F_LAST
            last = out[-1]
            out[-1] = OrderBookDelta(iid, last.action, last.order, RecordFlag.F_LAST,
                                     last.sequence, 0, 0)
        return OrderBookDeltas(iid, out) if out else None

    first = deltas(snap["bids"], snap["asks"])
    if first is not None:
        book.apply_deltas(first)
    prebuilt = [deltas(d["bids"], d["asks"]) for d in frames]
    apply = book.apply_deltas
    bb, ba = book.best_bid_price, book.best_ask_price
    gc.collect()
    t = time.process_time()
    for ds in prebuilt:
        if ds is not None:
            apply(ds)
        bb()
        ba()
    us = (time.process_time() - t) * 1e6 / len(prebuilt)
    have_b = [(float(str(lv.price)), float(str(lv.size()))) for lv in book.bids()]
    have_a = [(float(str(lv.price)), float(str(lv.size()))) for lv in book.asks()]
    want_b = [(float(p), float(v)) for p, v, *_ in final["bids"]]
    want_a = [(float(p), float(v)) for p, v, *_ in final["asks"]]
    ok = have_b == want_b and have_a == want_a
    print(json.dumps({"us_per_frame": us, "ok": ok, "version": nautilus_trader.__version__,
                      "levels": [len(have_b), len(have_a), len(want_b), len(want_a)]}))


if __name__ == "__main__":
    main(sys.argv[1])
