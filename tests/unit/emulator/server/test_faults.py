"""Sans-I/O tests of the fault registry, REST limiter and depth fan-out faults."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from mexc_futures.emulator.server.fanout import Conn, Fanout, ws_frame
from mexc_futures.emulator.server.faults import (
    ClockOffset,
    DepthFault,
    Faults,
    Http404,
    Stall,
    TradingDisabled,
    bad_frame,
    decode_fault,
)
from mexc_futures.emulator.server.limits import RestLimiter, WsLimits
from mexc_futures.emulator.server.ws_session import WsSession
from mexc_futures.protocol.endpoints import RateBucket


@dataclass(frozen=True)
class Pub:
    topic: str
    symbol: str | None
    data: Any
    account: str | None = None


def test_decode_fault_from_json() -> None:
    assert decode_fault(b'{"fault":"stall","conn":3}') == Stall(conn=3)
    assert decode_fault(b'{"fault":"http404"}') == Http404()
    with pytest.raises(msgspec.ValidationError):
        decode_fault(b'{"fault":"nope"}')


def test_rest_fault_selectors_and_count() -> None:
    f = Faults()
    f.add(TradingDisabled(endpoints=("create",), count=2))
    assert f.rest_fault("depth", "/api/v1/contract/depth/{symbol}") is None
    assert f.rest_fault("order_create", "/api/v1/private/order/create") is not None
    assert f.rest_fault("order_submit", "/api/v1/private/order/submit") is not None
    assert f.rest_fault("order_create", "/api/v1/private/order/create") is None
    fid = f.add(Http404())
    assert isinstance(f.rest_fault("order_get", "/api/v1/private/order/get/{order_id}"), Http404)
    f.clear(fid)
    assert f.active() == {}


def test_clock_offset_and_stall() -> None:
    f = Faults()
    f.add(ClockOffset(ms=12_000))
    f.add(Stall(conn=2))
    assert f.clock_offset_ms == 12_000
    assert f.stalled(2)
    assert not f.stalled(1)
    f.clear()
    assert f.clock_offset_ms == 0


def test_rest_limiter_bucket() -> None:
    lim = RestLimiter()
    b = RateBucket("depth", 10, 2.0)
    assert all(lim.allow("ip", b, 0.0) for _ in range(10))
    assert not lim.allow("ip", b, 0.0)
    assert lim.allow("other", b, 0.0)
    assert lim.allow("ip", b, 0.2)  # 5 tokens/s refill
    assert RestLimiter(enabled=False).allow("ip", b, 0.0)


def test_bad_frames() -> None:
    for kind in ("malformed", "truncated"):
        binary, payload = bad_frame(kind, 1, 0)  # type: ignore[arg-type]
        assert not binary
        with pytest.raises(json.JSONDecodeError):
            json.loads(payload)
    assert bad_frame("binary", 1, 0)[0]
    assert len(bad_frame("oversized", 1, 5_000_000)[1]) == 5_000_000
    assert json.loads(bad_frame("unknown_channel", 1, 0)[1])["channel"] == "push.mystery"


def _conn(cid: int) -> Conn:
    s = WsSession(cid, limits=WsLimits(), resolve_symbol=lambda x: x, verify_login=lambda *a:
                  (None, "no"), now_s=0)
    s.receive(json.dumps({"method": "sub.depth", "param": {"symbol": "BTC_USDT",
                                                             "compress": False}}), 0, 1)
    return Conn(s)


def _depth(v: int) -> Pub:
    return Pub("depth", "BTC_USDT", {"asks": [[1.5, 10, 1]], "bids": [], "version": v})


def _route(fan: Fanout, v: int) -> list[int]:
    out = fan.route([_depth(v)], 5)
    return [json.loads(f[2:])["data"]["version"] for f in out.get(1, [])]


@pytest.mark.parametrize(
    ("action", "expect"),
    [("skip", [[], [2]]), ("duplicate", [[1, 1], [2]]), ("reorder", [[], [2, 1]])],
)
def test_depth_faults(action: str, expect: list[list[int]]) -> None:
    faults = Faults()
    fan = Fanout(faults)
    conn = _conn(1)
    fan.add_conn(conn)
    fan.update(conn, conn.session.subs.values(), [])
    faults.add(DepthFault(symbol="BTC_USDT", action=action, count=1))  # type: ignore[arg-type]
    assert [_route(fan, 1), _route(fan, 2)] == expect
    assert [e for _, e in conn.pushed["BTC_USDT"]] == [v for vs in expect for v in vs]


def test_depth_corrupt_keeps_version() -> None:
    faults = Faults()
    fan = Fanout(faults)
    conn = _conn(1)
    fan.add_conn(conn)
    fan.update(conn, conn.session.subs.values(), [])
    faults.add(DepthFault(symbol="BTC_USDT", action="corrupt"))
    frame = fan.route([_depth(9)], 5)[1][0]
    data = json.loads(frame[2:])["data"]
    assert data["version"] == 9
    assert data["asks"][0][1] != 10


def test_fanout_encodes_once_and_private_routing() -> None:
    fan = Fanout(Faults())
    a, b = _conn(1), _conn(2)
    for c in (a, b):
        fan.add_conn(c)
        fan.update(c, c.session.subs.values(), [])
    out = fan.route([_depth(3)], 5)
    assert out[1][0] is out[2][0]
    a.session.account = "acct"
    out = fan.route([Pub("personal.asset", None, {"currency": "USDT"}, "acct")], 7)
    assert list(out) == [1]
    assert json.loads(out[1][0][2:]) == {"channel": "push.personal.asset",
                                         "data": {"currency": "USDT"}, "ts": 7}


def test_ws_frame_lengths() -> None:
    assert ws_frame(b"x" * 10)[:2] == b"\x81\x0a"
    assert ws_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert ws_frame(b"x" * 70_000)[1] == 127
