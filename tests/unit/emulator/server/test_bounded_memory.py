"""Every structure the emulator keeps is bounded (issue #14, the RSS plateau). A 600 s soak grew
the emulator 82 -> 183 MB and still ~60 KB/s at the end; ``GET /_emulator/memory`` traced it to
big-but-bounded test memory stored as Python objects (depth commits ~272 B each, pushed versions
~136 B) and to structures with no bound at all (faults fired, the klines' synthetic histories,
every order, fill and funding record an account ever had). Each test fails on the old code.
Time is venue time passed in (no waiting)."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mexc_futures.emulator.market.klines import Bar
from mexc_futures.emulator.server.fanout import Conn, Fanout
from mexc_futures.emulator.server.faults import DepthFault, Faults
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.ws_session import WsSession
from mexc_futures.emulator.venue.matching import BID, OrderBook, Resting
from mexc_futures.emulator.venue.venue import Venue, VenueConfig
from tests.unit.emulator._emulator import ORDER, START, call, create, top
from tests.unit.emulator._emulator import error_code as _code

DAY_MS = 86_400_000


def _retained(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes still allocated after ``build()`` returned (what it keeps), and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, kept
    finally:
        tracemalloc.stop()


def test_depth_commit_history_costs_under_100_bytes_a_commit() -> None:
    """300 000 commits (the whole-venue budget) were 82 MB as objects; packed, 64 B each."""
    n = 50_000

    def build() -> OrderBook:
        book = OrderBook(start_version=1_500_000_000, ring_size=n)
        for i in range(n // 2):
            book.add(Resting(i + 1, None, BID, 840_000 + i % 300, 1_000 + i), START + i)
            book.remove(i + 1, START + i)
            book.drain()  # publication is not history
        return book

    size, book = _retained(build)
    assert len(book.commits) == n
    assert size / n < 100, f"{size / n:.0f} bytes per commit"
    newest, last = book.commits[-1], n // 2 - 1
    assert (newest.version, newest.vol, newest.prev_vol) == (1_500_000_000 + n, 0, 1_000 + last)
    assert book.state_at(book.version - 1)[0] == {840_000 + last % 300: (1_000 + last, 1)}


@dataclass(frozen=True)
class Pub:
    topic: str
    symbol: str | None
    data: Any
    account: str | None = None


def test_pushed_versions_cost_under_40_bytes_a_frame() -> None:
    """A live connection keeps up to 20 000 ``(begin, end)`` pairs (2.7 MB as tuples, 15
    pooled connections 41 MB); packed, 16 B each."""
    s = WsSession(1, limits=WsLimits(), resolve_symbol=lambda x: x,
                  verify_login=lambda *a: (None, "no"), now_s=0)
    s.receive(json.dumps({"method": "sub.depth", "param": {"symbol": "BTC_USDT",
                                                             "compress": False}}), 0, 1)
    conn = Conn(s)
    fan = Fanout(Faults())
    fan.add_conn(conn)
    fan.update(conn, list(s.subs.values()), [])
    pubs = [Pub("depth", "BTC_USDT", {"asks": [], "bids": [[1.5, 1, 1]],
                                      "version": 1_500_000_000 + v}) for v in range(15_000)]

    def build() -> None:
        for v, pub in enumerate(pubs):
            fan.route([pub], START + v)

    size, _ = _retained(build)
    assert size / 15_000 < 40, f"{size / 15_000:.0f} bytes per pushed frame"
    assert conn.pushed["BTC_USDT"][-1] == (1_500_014_999, 1_500_014_999)


def test_faults_fired_log_is_bounded() -> None:
    """A lasting depth fault acts on every frame; its log grew by one entry per frame."""
    faults = Faults()
    faults.add(DepthFault(symbol="BTC_USDT", action="skip", count=None))
    for _ in range(25_000):
        assert faults.depth_action(1, "BTC_USDT") == "skip"
    assert 1_000 <= len(faults.fired) <= 10_000
    assert list(faults.fired)[-1][1] == "depth.skip"


def _bars() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Bar))


def test_synthetic_kline_history_is_cached_within_a_bound() -> None:
    """Each first query of a (symbol, interval) built and kept 2 000 synthetic bars: a client
    asking every contract's klines kept them all (800 contracts × 3 prices × 10 intervals)."""
    v = Venue(VenueConfig(seed=3, n_contracts=60, start_ms=START, flow_rate=0.0))
    before = _bars()
    first = None
    for sym in v.symbols():
        for interval in ("Min1", "Min5", "Hour4"):
            rows = call(v, "GET", "/api/v1/contract/kline/{symbol}", query={"interval": interval},
                        path={"symbol": sym}, account=None)
            first = first or rows
            assert len(rows["time"]) > 1_000
    assert _bars() - before <= 50 * 2_000  # 180 histories asked, at most 48 kept
    again = call(v, "GET", "/api/v1/contract/kline/{symbol}", query={"interval": "Min1"},
                 path={"symbol": v.symbols()[0]}, account=None)
    assert again == first  # a forgotten history is remade the same (seeded)


def test_account_history_expires_after_90_venue_days() -> None:
    """Every finished order, fill, closed position and plan stayed forever (the plans walked by
    every tick). The venue serves 90 days
    of history (spec §5.4); after that the emulator forgets them. Open orders stay."""
    v = Venue(VenueConfig(seed=7, symbols=("BTC_USDT",), accounts=("alice",), start_ms=START,
                          flow_rate=0.0))
    bid, _ = top(v)
    done = [create(v, price=round(bid * 0.95, 1), vol=1, externalOid=f"old-{i}") for i in range(30)]
    call(v, "POST", f"{ORDER}/cancel", done)
    create(v, type=5, vol=2)  # a fill and a position ...
    create(v, type=5, side=4, vol=2)  # ... closed: a history position
    keep = create(v, price=round(bid * 0.9, 1), vol=1, externalOid="still-open")
    call(v, "POST", "/api/v1/private/planorder/place",
         {"symbol": "BTC_USDT", "price": round(bid * 0.9, 1), "vol": 1, "side": 1, "openType": 1,
          "leverage": 10, "triggerPrice": round(bid * 0.5, 1), "triggerType": 2,
          "executeCycle": 1, "orderType": 1, "trend": 1})  # expires after 24 h (state 4)
    acct = v.account("alice")
    assert len(acct.orders) == 33
    assert len(acct.plans) == 1
    assert acct.fills
    assert acct.history_positions
    v.advance(START + 10 * DAY_MS)
    assert len(acct.orders) == 33  # well inside the window: nothing forgotten
    assert [p.state for p in acct.plans.values()] == [4]
    v.advance(START + 91 * DAY_MS)
    assert list(acct.orders) == [int(keep)]
    assert acct.plans == {}  # finished plans, stops and trailing orders go too
    assert acct.fills == []
    assert acct.history_positions == []
    assert [r["externalOid"] for r in v.truth.orders()] == ["still-open"]
    assert _code(lambda: call(v, "GET", f"{ORDER}/get/{{order_id}}",
                              path={"order_id": done[0]})) == 2040
    assert create(v, price=round(bid * 0.95, 1), vol=1, externalOid="old-0")  # id free again


def test_account_history_is_capped_by_count(monkeypatch: Any) -> None:
    """Within the 90 days, at most ``ORDERS_KEEP`` finished orders (and ``FILLS_KEEP`` fills)
    per account, the oldest forgotten first, in batches of ``SLACK``."""
    import mexc_futures.emulator.venue.history as history

    monkeypatch.setattr(history, "ORDERS_KEEP", 40)
    monkeypatch.setattr(history, "FILLS_KEEP", 30)
    monkeypatch.setattr(history, "SLACK", 10)
    v = Venue(VenueConfig(seed=7, symbols=("BTC_USDT",), accounts=("alice",), start_ms=START,
                          flow_rate=0.0))
    bid, _ = top(v)
    keep = create(v, price=round(bid * 0.9, 1), vol=1, externalOid="first-and-open")
    for i in range(150):
        oid = create(v, price=round(bid * 0.95, 1), vol=1, externalOid=f"o{i}")
        call(v, "POST", f"{ORDER}/cancel", [oid])
        create(v, type=5, side=1 + 2 * (i % 2), vol=1)  # one fill each
    acct = v.account("alice")
    finished = len(acct.orders) - len(acct.live)
    assert 40 <= finished <= 51
    assert int(keep) in acct.orders  # an open order is never forgotten
    assert len(acct.fills) <= 41
    assert len(v.truth.orders()) == len(acct.orders)
    assert v.truth.orders(externalOid="o149")  # the newest are kept
    assert v.truth.orders(externalOid="o0") == []


def test_closed_kline_bars_cost_under_80_bytes_each() -> None:
    """Each symbol keeps up to 2 000 closed bars per interval and price kind (what one REST call
    returns): at speed 60 a venue hour fills Min1 for 150 symbols in half an hour, ~200 MB of
    bar objects (~230 B each); packed, 56 B. Rows served are the same bars."""
    from mexc_futures.emulator.market.klines import KlineSeries, bar_open

    start_s = START // 1000

    def build() -> KlineSeries:
        series = KlineSeries(84_000.0, start_s, 11, 1)
        for minute in range(2_500):
            series.update(start_s + 60 * minute + 5, 84_000.0 + minute % 97, 3.0, 252_000.0)
        return series

    size, series = _retained(build)
    closed = sum(len(d) for d in series.closed.values())
    assert len(series.closed["Min1"]) == 2_000
    assert size / closed < 80, f"{size / closed:.0f} bytes per closed bar"
    rows = series.rows("Min1", None, None, start_s + 60 * 2_500)
    assert len(rows) == 2_000
    t = bar_open("Min1", start_s + 60 * 2_498 + 5)
    assert (rows[-2].t, rows[-2].c, rows[-2].q) == (t, 84_000.0 + 2_498 % 97, 3.0)


def test_deal_log_costs_under_100_bytes_a_deal() -> None:
    """The ground-truth deal log keeps 30 000 deals (at least 200 per symbol: 160 000 for the
    800-contract market), each a ~470-byte dict; packed, 64 B, and the same rows come back."""
    from mexc_futures.emulator.venue.state import Truth

    n = 20_000
    rows = [{"p": 84_000.5 + i % 40, "v": 1 + i % 7, "T": 1 + i % 2, "O": 3, "M": 2,
             "t": START + i, "i": str(9_000_000_000 + i)} for i in range(n)]
    truth = Truth(symbols=1)

    def build() -> None:
        for row in rows:
            truth.add_deal("BTC_USDT", dict(row))

    size, _ = _retained(build)
    assert size / n < 100, f"{size / n:.0f} bytes per deal"
    assert list(truth.deals_of("BTC_USDT")) == rows
    whole = Truth(symbols=1)
    whole.add_deal("ZZ_USDT", {"p": 42, "v": 1, "T": 2, "O": 1, "M": 1, "t": START, "i": "7"})
    assert list(whole.deals_of("ZZ_USDT")) == [
        {"p": 42, "v": 1, "T": 2, "O": 1, "M": 1, "t": START, "i": "7"}]
    assert isinstance(next(iter(whole.deals_of("ZZ_USDT")))["p"], int)
