"""A8 at the venue: the emulator's market replayed from a recorded tape (issue #17). Hand-computed
tables: trades eat the crowd ahead, partial fills, trade-through, crossed book, risk-averse vs
prob splits of unexplained decreases, post-only rejected on the recorded book (code 20), IOC
remainder (code 18) and liquidity restored by the next recorded update."""

from __future__ import annotations

from typing import Any

import pytest

from mexc_futures.emulator.market.queue import Prob, QueueModel, RiskAverse
from mexc_futures.emulator.market.replay_market import RecordedMarket, recorded_factory
from mexc_futures.emulator.market.tape import Event, Levels, Print, Ref
from mexc_futures.emulator.venue.venue import Venue, VenueConfig
from tests.unit.emulator._emulator import call, create, get

T0 = 1_790_000_000_000
SYM = "BTC_USDT"
BOOK = Levels(T0, bids=((100.0, 10), (99.9, 5)), asks=((100.1, 8), (100.2, 9)), snapshot=True)


def venue(events: list[Event], model: QueueModel | None = None) -> Venue:
    tape = {SYM: [BOOK, Ref(T0, fair=100.05, index=100.05, funding_rate=0.0001), *events]}
    return Venue(VenueConfig(symbols=(SYM,), accounts=("alice",), start_ms=T0,
                             market_factory=recorded_factory(tape, model)))


def depth(v: Venue) -> dict[str, Any]:
    d = call(v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": SYM}, account=None)
    return {"bids": [tuple(x[:2]) for x in d["bids"]], "asks": [tuple(x[:2]) for x in d["asks"]]}


def bid(v: Venue, price: float, vol: int, kind: int = 2) -> str:
    return create(v, symbol=SYM, price=price, vol=vol, side=1, type=kind)


def test_recorded_book_is_the_venue_book() -> None:
    v = venue([Levels(T0 + 5, bids=((99.9, 0), (99.8, 7)), asks=((100.1, 3),))])
    assert depth(v) == {"bids": [(100.0, 10), (99.9, 5)], "asks": [(100.1, 8), (100.2, 9)]}
    v.advance(T0 + 5)
    assert depth(v) == {"bids": [(100.0, 10), (99.8, 7)], "asks": [(100.1, 3), (100.2, 9)]}
    m = v.engine.markets[SYM]
    assert isinstance(m, RecordedMarket)
    assert m.done
    assert m.fair_price == 100.05


def test_prints_eat_the_crowd_ahead_then_fill_us_then_trade_through() -> None:
    v = venue([
        Print(T0 + 10, 100.0, 6, buy=False),  # 10 ahead -> 4
        Levels(T0 + 11, bids=((100.0, 4),), asks=()),  # the level shows it: nothing changes
        Print(T0 + 20, 100.0, 6, buy=False),  # 4 ahead, then 2 of our 4
        Print(T0 + 30, 99.9, 1, buy=False),  # prints below our bid: the rest fills
    ])
    oid = bid(v, 100.0, 4)
    assert get(v, oid)["state"] == 2  # resting behind 10
    for t, dealt in ((T0 + 10, 0), (T0 + 11, 0), (T0 + 20, 2), (T0 + 30, 4)):
        v.advance(t)
        assert get(v, oid)["dealVol"] == dealt, t
    row = get(v, oid)
    assert row["state"] == 3
    assert row["dealAvgPrice"] == 100.0
    fills = v.truth.fills("alice")
    assert [f["vol"] for f in fills] == [2, 2]
    assert all(f["taker"] is False for f in fills)  # maker fills: maker fee


@pytest.mark.parametrize(("model", "filled"), [(RiskAverse(), 0), (Prob(1), 2), (Prob(2), 3)])
def test_unexplained_decrease_is_split_by_the_queue_model(model: QueueModel,
                                                          filled: int) -> None:
    """We join behind 10; 5 join behind us; 6 leave without a trade; then a print of 8.

    risk-averse: the 5 behind go first, then 1 ahead: 9 ahead, the print fills 0.
    prob:1: p(behind) = 5/15: 2/3 of 6 = 4 from ahead: 6 ahead, the print fills 2.
    prob:2: p(behind) = 25/125: 0.8 of 6 = 4.8 -> 5 (whole contracts): 5 ahead, fills 3.
    """
    v = venue([
        Levels(T0 + 10, bids=((100.0, 15),), asks=()),
        Levels(T0 + 20, bids=((100.0, 9),), asks=()),
        Print(T0 + 30, 100.0, 8, buy=False),
    ], model)
    oid = bid(v, 100.0, 4)
    v.advance(T0 + 30)
    assert get(v, oid)["dealVol"] == filled


def test_crossed_recorded_book_fills_us_at_our_price_as_maker() -> None:
    v = venue([Levels(T0 + 10, bids=((100.0, 0),), asks=((100.1, 0), (100.0, 5)))])
    oid = bid(v, 100.0, 3)
    v.advance(T0 + 10)
    row = get(v, oid)
    assert (row["state"], row["dealVol"], row["dealAvgPrice"]) == (3, 3, 100.0)
    assert v.truth.fills("alice")[0]["taker"] is False
    assert depth(v)["asks"][0] == (100.0, 5)  # the recorded level, as recorded


def test_post_only_rejected_on_the_recorded_book() -> None:
    v = venue([])
    oid = bid(v, 100.1, 1)  # at the recorded best ask: would take
    row = get(v, oid)
    assert (row["state"], row["errorCode"], row["dealVol"]) == (4, 20, 0)


def test_ioc_remainder_and_liquidity_back_at_the_next_update() -> None:
    v = venue([Levels(T0 + 10, bids=(), asks=((100.1, 8),))])
    oid = bid(v, 100.1, 20, kind=3)
    row = get(v, oid)
    assert (row["state"], row["errorCode"], row["dealVol"]) == (4, 18, 8)
    assert depth(v)["asks"][0] == (100.2, 9)  # consumed until the level is recorded again
    v.advance(T0 + 10)
    assert depth(v)["asks"][0] == (100.1, 8)


def test_cancel_before_fill_and_increase_joins_behind() -> None:
    v = venue([
        Levels(T0 + 10, bids=((100.0, 30),), asks=()),  # 20 join behind us
        Print(T0 + 20, 100.0, 12, buy=False),  # 10 ahead, 2 of ours
        Print(T0 + 30, 100.0, 50, buy=False),
    ])
    oid = bid(v, 100.0, 4)
    v.advance(T0 + 20)
    assert get(v, oid)["dealVol"] == 2
    call(v, "POST", "/api/v1/private/order/cancel", [int(oid)])
    v.advance(T0 + 30)
    assert get(v, oid)["dealVol"] == 2


def test_recorded_fee_rates_are_charged() -> None:
    tape = {SYM: [BOOK, Print(T0 + 10, 100.0, 20, buy=False)]}
    terms = {SYM: {"maker_fee_rate": 0.0, "taker_fee_rate": 0.0007}}
    v = Venue(VenueConfig(symbols=(SYM,), accounts=("alice",), start_ms=T0,
                          market_factory=recorded_factory(tape, terms=terms)))
    assert v.contract(SYM).taker_fee_rate == 0.0007
    oid = bid(v, 100.0, 1)
    v.advance(T0 + 10)
    assert get(v, oid)["dealVol"] == 1
    assert v.truth.fills("alice")[0]["fee"] == 0  # maker at the recorded 0 %
    taker = create(v, symbol=SYM, price=100.1, vol=1, side=1, type=3)  # IOC buy: taker
    fill = next(f for f in v.truth.fills("alice") if str(f["orderId"]) == taker)
    contract_value = 100.1 * v.contract(SYM).contract_size
    assert fill["fee"] == pytest.approx(contract_value * 0.0007, abs=1e-8)  # booked to 8 dp


def test_fees_override_for_every_symbol() -> None:
    from mexc_futures.cli.replay_opts import parse_fees

    assert parse_fees("maker=0,taker=0.0002") == {"maker_fee_rate": 0.0,
                                                  "taker_fee_rate": 0.0002}
    with pytest.raises(ValueError, match="maker=R,taker=R"):
        parse_fees("cheap")
