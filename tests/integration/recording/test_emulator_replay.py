"""``emulator --replay``: a recording becomes the emulator's market (issue #17). The replayed
venue's book equals the recorded book; a client syncs it through the real protocol and trades in
it; no event exists before its recorded receive time, and a strategy that knows the next trade
(A9) is only filled when the recorded trade was larger than the queue displayed ahead of it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from mexc_futures.emulator.market.replay_market import RecordedMarket, recorded_factory
from mexc_futures.emulator.market.tape import Levels, Print, Tape, build_tape, contract_terms
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.venue.venue import Venue, VenueConfig
from mexc_futures.marketdata import MarketData
from mexc_futures.model.events import BookUpdate
from mexc_futures.recording import format as fmt
from mexc_futures.recording.reader import iter_lines, load_manifest
from mexc_futures.recording.session import record
from mexc_futures.transport.rest import RestClient
from tests.unit.emulator._emulator import call, create, get

SYMS = ["BTC_USDT", "ETH_USDT"]


async def _record(out: Path, seconds: float = 40.0) -> None:
    async with (Emulator(symbols=SYMS, speed=20, seed=11) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        await record(ex.env, SYMS, out, rest=rest, clock=ex.clock, duration=seconds)


def _last_books(out: Path) -> dict[str, fmt.BookCheckpoint]:
    books = {}
    for ln in iter_lines(out):
        if ln.kind == fmt.BOOK:
            cp = msgspec.json.decode(ln.payload, type=fmt.BookCheckpoint)
            books[cp.symbol] = cp
    return books


def _replay_venue(tape: Tape, **kw: Any) -> Venue:
    return Venue(VenueConfig(symbols=tuple(SYMS), accounts=("alice",), start_ms=tape.start_ms,
                             market_factory=recorded_factory(tape.events), **kw))


def _levels(v: Venue, sym: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    d = call(v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": sym},
             query={"limit": 1000}, account=None)
    return ([(b[0], b[1]) for b in d["bids"]], [(a[0], a[1]) for a in d["asks"]])


async def test_replayed_venue_book_equals_the_recorded_book(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    await _record(out)
    tape = build_tape(iter_lines(out), SYMS)
    assert tape.gaps == {}
    terms = contract_terms(load_manifest(out).contracts)
    assert terms["BTC_USDT"]["price_unit"] == 0.1
    assert terms["BTC_USDT"]["taker_fee_rate"] == 0.0004
    v = _replay_venue(tape)
    v.advance(tape.end_ms)
    for sym, cp in _last_books(out).items():
        bids, asks = _levels(v, sym)
        assert bids == [tuple(x) for x in cp.bids]
        assert asks == [tuple(x) for x in cp.asks]
        m = v.engine.markets[sym]
        assert isinstance(m, RecordedMarket)
        assert m.done
        assert m.prints > 0
        assert len(v.truth.deals(sym)) == m.prints  # every recorded trade, re-published


async def test_no_event_before_its_receive_time(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    await _record(out, 20.0)
    tape = build_tape(iter_lines(out), SYMS)
    v = _replay_venue(tape)
    first = next(e for e in tape.events["BTC_USDT"] if isinstance(e, Print))
    v.advance(first.t - 1)
    seen = len(v.truth.deals("BTC_USDT"))
    assert all(d["t"] < first.t for d in v.truth.deals("BTC_USDT"))
    v.advance(first.t)
    assert len(v.truth.deals("BTC_USDT")) > seen


async def test_a9_knowing_the_next_trade_buys_no_free_fill(tmp_path: Path) -> None:
    """The cheater reads the tape: 1 ms before each print it posts 1 contract at the print's
    price on the passive side, and cancels right after. Risk-averse queueing puts it behind the
    displayed queue, so it is filled exactly when the recorded trades at its price were larger
    than that queue, the same sweep printed through its price, or the recorded book crossed it
    in that millisecond; never otherwise."""
    out = tmp_path / "rec"
    await _record(out)
    tape = build_tape(iter_lines(out), ["BTC_USDT"])
    v = Venue(VenueConfig(symbols=("BTC_USDT",), accounts=("alice",), start_ms=tape.start_ms,
                          market_factory=recorded_factory(tape.events), balance=1e9))
    events = tape.events["BTC_USDT"]
    prints = [(i, e) for i, e in enumerate(events) if isinstance(e, Print)]
    filled = bound = tried = 0
    last_t = tape.start_ms
    for i, p in prints:
        if p.t - 1 <= last_t or any(isinstance(e, Print) and e.t == p.t for e in events[:i]):
            continue  # needs a quiet millisecond before it, and the first print of its batch
        v.advance(p.t - 1)
        book = v.engine.books["BTC_USDT"]
        c = v.contract("BTC_USDT")
        ticks = c.ticks(p.price)
        side = book.bids if not p.buy else book.asks
        shown = side[ticks].vol if ticks in side else 0
        if (p.buy and book.best_bid() is not None and ticks <= book.best_bid()) or (
                not p.buy and book.best_ask() is not None and ticks >= book.best_ask()):
            continue  # the price would take: a post-only order there is rejected
        oid = create(v, symbol="BTC_USDT", price=p.price, vol=1, side=3 if p.buy else 1,
                     type=2, leverage=20)
        assert get(v, oid)["state"] == 2
        same = [e for e in events if isinstance(e, Print) and e.t == p.t and e.buy == p.buy]
        batch = sum(e.vol for e in same if e.price == p.price)
        through = any((e.price > p.price) if p.buy else (e.price < p.price) for e in same)
        # the recorded opposite side reaching our price in that millisecond (crossed book)
        crossed = any(v > 0 and (q >= p.price if p.buy else q <= p.price)
                      for e in events if isinstance(e, Levels) and e.t == p.t
                      for q, v in (e.bids if p.buy else e.asks))
        v.advance(p.t)
        got = get(v, oid)["dealVol"]
        if get(v, oid)["state"] == 2:
            call(v, "POST", "/api/v1/private/order/cancel", [int(oid)])
        tried += 1
        filled += got
        bound += 1 if batch > shown or through or crossed else 0
        last_t = p.t
    assert tried >= 10
    assert filled == bound  # no fill a displayed queue would not have given


async def test_a_client_syncs_and_trades_against_the_replayed_market(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    await _record(out)
    tape = build_tape(iter_lines(out), SYMS)
    opts = {"market_factory": recorded_factory(tape.events), "start_ms": tape.start_ms}
    async with Emulator(symbols=SYMS, speed=20, start_ms=tape.start_ms,
                        venue_options=opts) as ex:
        checked: list[bool] = []
        async with MarketData(ex.env, clock=ex.clock) as md:
            done = asyncio.Event()

            def on(ev: Any) -> None:
                if isinstance(ev, BookUpdate):
                    truth = ex.truth.book_at(ev.symbol, ev.version)
                    checked.append(md.book(ev.symbol).book.equals(truth["bids"], truth["asks"]))
                    if len(checked) >= 30:
                        done.set()

            md.on(on)
            await md.subscribe("depth", "BTC_USDT")
            async with asyncio.timeout(20):
                await done.wait()
        async with RestClient(ex.env, ex.credentials, clock=ex.clock) as rest:
            bb = ex.venue.engine.books["BTC_USDT"].best_bid()
            assert bb is not None
            price = ex.venue.contract("BTC_USDT").price(bb - 5)
            oid = await rest.create_order(symbol="BTC_USDT", price=Decimal(str(price)),
                                          vol=Decimal(1), side=1, order_type=2, open_type=1,
                                          leverage=20)
            assert oid
        assert ex.truth.orders()[0]["state"] == 2  # resting in the recorded book
    assert all(checked)
