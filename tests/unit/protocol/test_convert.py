"""Wire struct -> domain event conversion (protocol/convert.py), on real vector frames."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from mexc_futures import decode_frame, decode_response
from mexc_futures.errors import ProtocolDriftError
from mexc_futures.model import events as ev
from mexc_futures.protocol import convert, rest, ws
from tests.conftest import load_vectors

WS: list[dict[str, Any]] = load_vectors("ws_pushes.json")["entries"]
REST: list[dict[str, Any]] = load_vectors("rest_responses.json")["entries"]


def _frame(channel: str, nth: int = 0) -> ws.WsMessage:
    hits = [
        e
        for e in WS
        if e["direction"] == "server->client" and e["message"].get("channel") == channel
    ]
    e = hits[nth]
    return decode_frame(e.get("raw") or json.dumps(e["message"]))


def test_deal_frames_become_trades() -> None:
    msg = _frame("push.deal")
    (t,) = convert.events_of(msg)
    assert t == ev.Trade(
        ts=1790870038339,
        symbol="BTC_USDT",
        price=84062.6,
        vol=13.0,
        side=ev.Side.BUY,
        open_flag=3,
        self_trade=True,
        time=1790870038339,
        trade_id="16435741160",
    )
    old = _frame("push.deal", 1)  # v1 docs: data is a single object
    (t1,) = convert.events_of(old)
    assert (t1.side, t1.trade_id, t1.self_trade) == (ev.Side.BUY, None, True)


def test_bad_taker_side_is_drift() -> None:
    msg = decode_frame('{"symbol":"A","data":[{"p":1,"v":1,"T":3,"t":1}],"channel":"push.deal"}')
    assert isinstance(msg, ws.DealPush)
    with pytest.raises(ProtocolDriftError, match="'T'"):
        convert.trades(msg)


def test_market_events() -> None:
    (tk,) = convert.events_of(_frame("push.ticker"))
    assert isinstance(tk, ev.Ticker)
    assert (tk.symbol, tk.last_price, tk.bid1, tk.ask1, tk.high24, tk.low24) == (
        "BTC_USDT",
        84055.0,
        84054.9,
        84055.0,
        84461.9,
        83136.6,
    )
    (tks,) = convert.events_of(_frame("push.tickers"))
    assert isinstance(tks, ev.Tickers)
    assert [r.symbol for r in tks.rows] == ["WCT_USDT"]
    assert tks.rows[0].bid1 is None
    (k,) = convert.events_of(_frame("push.kline"))
    assert k == ev.Kline(
        ts=1790870038344,
        symbol="BTC_USDT",
        interval="Min1",
        open_time=1790869980,
        open=84109.4,
        high=84114.5,
        low=84054.0,
        close=84062.6,
        volume=211601.0,
        amount=1779128.94,
    )
    (f,) = convert.events_of(_frame("push.funding.rate"))
    assert f == ev.FundingRate(
        ts=1789498561049, symbol="BTC_USDT", rate=0.000081, next_settle_time=1789516800000
    )
    (ip,) = convert.events_of(_frame("push.index.price"))
    assert ip == ev.IndexPrice(ts=1789498540911, symbol="BTC_USDT", price=76027.1)
    (fp,) = convert.events_of(_frame("push.fair.price"))
    assert fp == ev.FairPrice(ts=1789498540821, symbol="BTC_USDT", price=75986.0)
    (snap,) = convert.events_of(_frame("push.depth.full"))
    assert isinstance(snap, ev.DepthSnapshot)
    assert snap.bids[0] == (0.08049, 46.0)
    assert snap.asks[0] == (0.08055, 48.0)
    assert snap.version == 5220571685


def test_control_and_delta_frames_carry_no_events() -> None:
    for ch in ("pong", "rs.error", "rs.login", "push.depth", "push.personal.adl.level"):
        assert convert.events_of(_frame(ch)) == ()
    assert convert.events_of(ws.Unknown("x", "{}")) == ()


def test_private_events() -> None:
    (o,) = convert.events_of(_frame("push.personal.order"))
    assert isinstance(o, ev.OrderUpdate)
    assert (o.order_id, o.position_id, o.state, o.deal_vol, o.price) == (
        "817027833053397504",
        1234567890,
        3,
        Decimal("23"),
        Decimal("0.2011"),
    )
    (fl,) = convert.events_of(_frame("push.personal.order.deal"))
    assert isinstance(fl, ev.Fill)
    assert (fl.fill_id, fl.is_taker, fl.fee, fl.time) == (
        "13914408525",
        True,
        Decimal("0.0018"),
        1700000000000,
    )
    (p,) = convert.events_of(_frame("push.personal.position"))
    assert isinstance(p, ev.PositionUpdate)
    assert (p.position_type, p.hold_vol, p.liquidate_price) == (
        ev.PositionSide.LONG,
        Decimal("23"),
        Decimal("0.10127"),
    )
    (b,) = convert.events_of(_frame("push.personal.asset"))
    assert b == ev.BalanceUpdate(
        ts=1700000000000,
        currency="USDT",
        available=Decimal("7.5"),
        frozen=Decimal("0"),
        position_margin=Decimal("2.3"),
    )


def test_rest_rows_convert_too() -> None:
    body = next(e for e in REST if e["path"] == "/api/v1/private/order/deal_details/{order_id}")
    (row,) = decode_response("order_deal_details", json.dumps(body["response"]))
    f = convert.fill(row)
    assert (f.order_id, f.is_taker, f.side) == ("102015012431820288", True, 2)
    pos = decode_response("open_positions", json.dumps(REST[19]["response"]))
    assert convert.position_update(pos[0]).position_id == 1394650
    tick = decode_response("ticker", json.dumps(REST[101]["response"]))
    assert convert.ticker_from_rest(tick).last_price == 109167.1
    deals = decode_response("deals", json.dumps(REST[100]["response"]))
    assert convert.trade_from_rest("BTC_USDT", deals[0]).side is ev.Side.BUY


def test_contract_spec_from_detail_v1_v2_and_push() -> None:
    v2 = decode_response("contract_detail", json.dumps(REST[95]["response"]))
    spec = convert.contract_spec(v2)
    assert (spec.symbol, spec.contract_size, spec.price_unit, spec.api_allowed) == (
        "BTC_USDT",
        Decimal("0.0001"),
        Decimal("0.1"),
        False,
    )
    assert spec.max_num_orders == (200, 50)
    (v1,) = decode_response("contract_detail", json.dumps(REST[1]["response"]))
    assert convert.contract_spec(v1).max_leverage == 125
    push = _frame("push.contract")
    assert isinstance(push, ws.ContractPush)
    s = convert.contract_spec(push.data)
    assert (s.symbol, s.contract_size, s.api_allowed) == ("CLO_USDT", Decimal("10"), True)


def test_rest_and_ws_rows_share_fields_and_convert_alike() -> None:
    """``TickerRow`` / ``DealRow`` carry the same fields on REST and WS: same events out."""
    push = _frame("push.ticker")
    assert isinstance(push, ws.TickerPush)
    row = push.data
    shared = {f: getattr(row, f) for f in rest.TickerRow.__struct_fields__}
    as_rest = rest.TickerData(**shared)
    assert convert.ticker_from_rest(as_rest) == convert.ticker(row, row.timestamp)

    deals = _frame("push.deal")
    assert isinstance(deals, ws.DealPush)
    d = deals.data[0]
    rest_deal = rest.DealData(**{f: getattr(d, f) for f in rest.DealRow.__struct_fields__})
    via_ws = convert.trades(deals)[0]
    assert convert.trade_from_rest(deals.symbol, rest_deal) == msgspec.structs.replace(
        via_ws, ts=d.t
    )
    # ids normalise to str on both sides (the wire sends either)
    assert rest.DealData(p=1.0, v=2.0, taker_side=1, t=5, i=17).i == "17"
    assert ws.DealItem(p=1.0, v=2.0, taker_side=1, t=5, i=17).i == "17"
