"""Sans-I/O tests of the emulator's per-connection WebSocket machine (spec §7.2-§7.7)."""

from __future__ import annotations

import json

from mexc_futures.emulator.server.limits import Breach, WsLimits
from mexc_futures.emulator.server.ws_session import WsSession

SYMBOLS = {"BTC_USDT", "ETH_USDT", "SOL_USDT"}


def resolve(symbol: str) -> str | None:
    return symbol.upper() if symbol.upper() in SYMBOLS else None


def verify(key: str, req_time: str, sig: str) -> tuple[str | None, str | None]:
    return ("acct", None) if sig == "good" else (None, "Login failed")


def make(limits: WsLimits | None = None) -> WsSession:
    return WsSession(
        1, limits=limits or WsLimits(), resolve_symbol=resolve, verify_login=verify, now_s=0.0
    )


def send(s: WsSession, msg: object, now_s: float = 0.0, now_ms: int = 1000) -> list[dict]:
    out = s.receive(json.dumps(msg), now_s, now_ms)
    return [json.loads(f) for f in out.frames]


def test_ping_pong_shape() -> None:
    assert send(make(), {"method": "ping"}, now_ms=42) == [
        {"channel": "pong", "data": 42, "ts": 42}
    ]


def test_sub_ack_and_not_doubled() -> None:
    s = make()
    first = s.receive(json.dumps({"method": "sub.deal", "param": {"symbol": "BTC_USDT"}}), 0, 5)
    again = s.receive(json.dumps({"method": "sub.deal", "param": {"symbol": "BTC_USDT"}}), 0, 6)
    assert json.loads(first.frames[0]) == {"channel": "rs.sub.deal", "data": "success", "ts": 5}
    assert first.added == [("deal", "BTC_USDT", None)]
    assert again.added == []
    assert len(again.frames) == 1
    assert len(s.subs) == 1


def test_depth_variants_replace_each_other() -> None:
    s = make()
    a = s.receive(json.dumps({"method": "sub.depth", "param": {"symbol": "BTC_USDT"}}), 0, 1)
    b = s.receive(
        json.dumps({"method": "sub.depth", "param": {"symbol": "BTC_USDT", "compress": False}}),
        0,
        1,
    )
    assert a.added == [("depth.merged", "BTC_USDT", None)]
    assert b.removed == [("depth.merged", "BTC_USDT", None)]
    assert b.added == [("depth", "BTC_USDT", None)]


def test_depth_full_limits() -> None:
    s = make()
    for limit in (5, 10, 20, 50):
        out = s.receive(
            json.dumps({"method": "sub.depth.full", "param": {"symbol": "ETH_USDT",
                                                               "limit": limit}}), 0, 1)
        assert out.added == [("depth.full", "ETH_USDT", limit)]
    bad = send(s, {"method": "sub.depth.full", "param": {"symbol": "ETH_USDT", "limit": 7}})
    assert bad[0]["channel"] == "rs.error"


def test_kline_per_interval_and_unsub_all_intervals() -> None:
    s = make()
    for iv in ("Min1", "Min5"):
        send(s, {"method": "sub.kline", "param": {"symbol": "BTC_USDT", "interval": iv}})
    assert len(s.subs) == 2
    out = s.receive(json.dumps({"method": "unsub.kline", "param": {"symbol": "BTC_USDT"}}), 0, 1)
    assert sorted(str(k) for k in out.removed) == sorted(
        str(("kline", "BTC_USDT", iv)) for iv in ("Min1", "Min5")
    )
    assert out.frames == []  # unsub ack off by default


def test_unsub_ack_configurable() -> None:
    s = make(WsLimits(unsub_ack=True))
    send(s, {"method": "sub.ticker", "param": {"symbol": "BTC_USDT"}})
    frames = send(s, {"method": "unsub.ticker", "param": {"symbol": "BTC_USDT"}})
    assert frames[0]["channel"] == "rs.unsub.ticker"


def test_unknown_contract_and_unknown_method() -> None:
    s = make()
    err = send(s, {"method": "sub.depth", "param": {"symbol": "NOPE_USDT"}}, now_ms=9)
    assert err == [{"channel": "rs.error", "data": "Contract [NOPE_USDT] not exists", "ts": 9}]
    assert send(s, {"method": "sub.nope", "param": {}}) == []
    assert send(s, {"method": "whatever"}) == []
    assert s.receive("{not json", 0, 1).frames == []


def test_every_public_channel_acks() -> None:
    s = make(WsLimits(max_subscriptions=None))
    for ch in ("ticker", "deal", "depth", "depth.full", "kline", "funding.rate", "index.price",
               "fair.price"):
        frames = send(s, {"method": f"sub.{ch}", "param": {"symbol": "SOL_USDT"}})
        assert frames[0] == {"channel": f"rs.sub.{ch}", "data": "success", "ts": 1000}
    for ch in ("tickers", "contract"):
        assert send(s, {"method": f"sub.{ch}", "param": {}})[0]["data"] == "success"


def test_login_placements_and_filter() -> None:
    top = make()
    assert send(top, {"method": "login", "param": {"apiKey": "k", "reqTime": "1",
                                                    "signature": "good"}, "subscribe": False}
                )[0] == {"channel": "rs.login", "data": "success", "ts": 1000}
    assert not top.wants_private("personal.order", "BTC_USDT")
    inner = make()
    send(inner, {"method": "login", "param": {"apiKey": "k", "reqTime": "1",
                                               "signature": "good", "subscribe": False}})
    assert not inner.wants_private("personal.asset", None)
    default = make()
    send(default, {"method": "login", "param": {"apiKey": "k", "reqTime": "1",
                                                 "signature": "good"}})
    assert default.wants_private("personal.order", "ETH_USDT")
    ack = send(top, {"method": "personal.filter", "param": {"filters": [
        {"filter": "order", "rules": ["BTC_USDT"]}, {"filter": "asset"}]}})
    assert ack[0]["channel"] == "rs.personal.filter"
    assert top.wants_private("personal.order", "BTC_USDT")
    assert not top.wants_private("personal.order", "ETH_USDT")
    assert top.wants_private("personal.asset", None)
    assert not top.wants_private("personal.position", "BTC_USDT")
    send(top, {"method": "personal.filter", "param": {"filters": []}})
    assert top.wants_private("personal.position", "SOL_USDT")


def test_login_failure() -> None:
    s = make()
    out = send(s, {"method": "login", "param": {"apiKey": "k", "reqTime": "1",
                                                 "signature": "bad"}})
    assert out[0]["channel"] == "rs.error"
    assert s.account is None


def test_subscription_cap_refuses_31st() -> None:
    s = make(WsLimits(max_subscriptions=2))
    send(s, {"method": "sub.deal", "param": {"symbol": "BTC_USDT"}})
    send(s, {"method": "sub.deal", "param": {"symbol": "ETH_USDT"}})
    out = s.receive(json.dumps({"method": "sub.deal", "param": {"symbol": "SOL_USDT"}}), 0, 1)
    assert json.loads(out.frames[0])["channel"] == "rs.error"
    assert out.added == []
    assert len(s.subs) == 2


def test_message_rate_breach() -> None:
    s = make(WsLimits.spot_rules())
    for i in range(100):
        assert s.receive('{"method":"ping"}', i * 0.001, 1).end is None
    assert s.receive('{"method":"ping"}', 0.5, 1).end is Breach.RATE
    ok = make()
    for i in range(300):  # 50/s never breaches
        assert ok.receive('{"method":"ping"}', i * 0.02, 1).end is None


def test_timed_rules() -> None:
    s = make(WsLimits.spot_rules())
    assert s.check(29.9) is None
    assert s.check(30.0) is Breach.NO_SUBSCRIPTION
    send(s, {"method": "sub.deal", "param": {"symbol": "BTC_USDT"}}, now_s=1)
    s.receive('{"method":"ping"}', 50.0, 1)
    assert s.check(109.0) is None
    assert s.check(110.0) is Breach.PING_TIMEOUT
    long = make(WsLimits(ping_timeout_s=None, max_lifetime_s=86_400.0))
    assert long.check(86_399) is None
    assert long.check(86_400) is Breach.LIFETIME
    assert make(WsLimits.off()).check(1e9) is None
