"""Every frame of ``tests/vectors/ws_pushes.json`` against the codec (spec §7).

Server->client frames (the raw text where the capture kept it, else the compact JSON of
``message``) and the server->client frames of the Mexc.Net handshakes must decode to their typed
struct; client->server frames must equal what the encoders produce.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import msgspec
import pytest

from mexc_futures import decode_frame
from mexc_futures.errors import MalformedFrame, ProtocolDriftError
from mexc_futures.protocol import codec, ws
from tests.conftest import load_vectors

ENTRIES: list[dict[str, Any]] = load_vectors("ws_pushes.json")["entries"]


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _server_frames() -> list[Any]:
    out = []
    for i, e in enumerate(ENTRIES):
        if e["direction"] == "server->client":
            out.append(
                pytest.param(e.get("raw") or _compact(e["message"]), e["message"], id=f"e{i}")
            )
        for j, h in enumerate(e.get("handshake", [])):
            if h["direction"] == "server->client":
                out.append(pytest.param(_compact(h["message"]), h["message"], id=f"e{i}-hs{j}"))
    return out


def _client_frames() -> list[Any]:
    return [
        pytest.param(e["message"], id=f"e{i}")
        for i, e in enumerate(ENTRIES)
        if e["direction"] == "client->server"
    ]


def _expected_type(channel: str) -> type:
    if channel.startswith("rs.sub."):
        return ws.SubAck
    if channel.startswith("rs.unsub."):
        return ws.UnsubAck
    return ws.CHANNELS[channel]


@pytest.mark.parametrize(("raw", "message"), _server_frames())
def test_server_frame_decodes_to_its_struct(raw: str, message: dict[str, Any]) -> None:
    before = sum(codec.UNKNOWN_COUNTER.values())
    for form in (raw, raw.encode()):
        msg = decode_frame(form)
        assert type(msg) is _expected_type(message["channel"])
        assert msg.channel == message["channel"]
        if "ts" in message:
            assert msg.ts == int(message["ts"])
        if "symbol" in message:
            assert getattr(msg, "symbol") == message["symbol"]  # noqa: B009
    assert sum(codec.UNKNOWN_COUNTER.values()) == before  # nothing in the vectors is unknown
    _check_payload(msg, message.get("data"))


def _check_payload(msg: Any, data: Any) -> None:
    """Spot-check that values survived decoding (beyond "it parsed")."""
    if isinstance(msg, ws.DealPush):
        items = data if isinstance(data, list) else [data]
        assert isinstance(msg.data, tuple)
        assert [(d.p, d.v, d.taker_side, d.t) for d in msg.data] == [
            (x["p"], x["v"], x["T"], x["t"]) for x in items
        ]
        assert all(d.i is None or isinstance(d.i, str) for d in msg.data)
    elif isinstance(msg, ws.DepthPush | ws.DepthFullPush):
        assert [(lv.price, lv.vol) for lv in msg.data.asks] == [(a[0], a[1]) for a in data["asks"]]
        assert [(lv.price, lv.vol) for lv in msg.data.bids] == [(b[0], b[1]) for b in data["bids"]]
        assert msg.data.version == data["version"]
        if isinstance(msg, ws.DepthPush) and "begin" in data:
            assert (msg.data.begin, msg.data.end) == (data["begin"], data["end"])
    elif isinstance(msg, ws.TickerPush | ws.TickersPush):
        rows = msg.data if isinstance(msg.data, tuple) else (msg.data,)
        items = data if isinstance(data, list) else [data]
        assert [(r.symbol, r.last_price) for r in rows] == [
            (x["symbol"], x["lastPrice"]) for x in items
        ]
    elif isinstance(msg, ws.OrderPush):
        assert msg.data.order_id == str(data["orderId"])
        assert msg.data.position_id == str(data["positionId"])
    elif isinstance(msg, ws.Pong | ws.RsError | ws.LoginAck | ws.FilterAck):
        assert msg.data == data
    elif isinstance(msg, ws.SubAck):
        assert msg.data == data
        assert msg.topic == msg.channel.split(".", 2)[2]


@pytest.mark.parametrize("message", _client_frames())
def test_client_frame_matches_encoder(message: dict[str, Any]) -> None:
    method: str = message["method"]
    param = message.get("param", {})
    if method == "ping":
        got = json.loads(codec.PING_FRAME)
        assert got == message
        return
    if method == "login":
        subscribe = not (message.get("subscribe") is False or param.get("subscribe") is False)
        got = json.loads(codec.encode_login(**_login_args(param), subscribe=subscribe))
        assert got["method"] == "login"
        assert {k: got["param"][k] for k in ("apiKey", "reqTime", "signature")} == {
            k: param[k] for k in ("apiKey", "reqTime", "signature")
        }
        if subscribe:
            assert got == message
        else:  # UNCONFIRMED placement: we send it at top level AND inside param
            assert got["subscribe"] is False
            assert got["param"]["subscribe"] is False
        return
    if method == "personal.filter":
        filters = [(f["filter"], f.get("rules")) for f in param["filters"]]
        assert json.loads(codec.encode_personal_filter(filters)) == message
        return
    verb, _, channel = method.partition(".")
    if verb == "sub":
        got = json.loads(codec.encode_sub(channel, gzip=message.get("gzip"), **param))
        assert got == message
    else:
        assert verb in {"unsub", "usub"}  # ``usub`` is the v1 docs' typo (spec §7.5)
        got = json.loads(codec.encode_unsub(channel, **param))
        assert got == {**message, "method": "unsub." + channel}


def _login_args(param: dict[str, Any]) -> dict[str, str]:
    return {
        "api_key": param["apiKey"],
        "req_time": param["reqTime"],
        "signature": param["signature"],
    }


def test_unknown_channel_is_kept_and_counted() -> None:
    raw = '{"channel":"push.personal.brand.new","data":{"x":1},"ts":5}'
    before = codec.UNKNOWN_COUNTER["push.personal.brand.new"]
    msg = decode_frame(raw)
    assert isinstance(msg, ws.Unknown)
    assert msg.channel == "push.personal.brand.new"
    assert msg.raw == raw
    assert codec.UNKNOWN_COUNTER["push.personal.brand.new"] == before + 1
    decode_frame(raw.encode())
    assert codec.UNKNOWN_COUNTER["push.personal.brand.new"] == before + 2


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        # an object where a number was
        (
            '{"symbol":"X","data":{"asks":[[{"p":1},2,1]],"bids":[],"version":1},'
            '"channel":"push.depth","ts":1}',
            "asks",
        ),
        # a required field went missing
        ('{"symbol":"X","data":{"asks":[],"bids":[]},"channel":"push.depth","ts":1}', "version"),
        ('{"channel":"push.personal.order","data":{"symbol":"X"},"ts":1}', "orderId"),
        ('{"channel":"pong","data":"soon"}', "data"),
        ('{"symbol":"X","data":{"p":"x","v":1,"T":1,"t":1},"channel":"push.deal"}', "p"),
        ('{"channel":"rs.sub.deal","data":"success","ts":{"a":1}}', "ts"),
    ],
)
def test_known_channel_with_changed_shape_raises_drift(raw: str, needle: str) -> None:
    with pytest.raises(ProtocolDriftError) as info:
        decode_frame(raw)
    text = str(info.value)
    assert needle in text
    assert "changed shape" in text


def test_frame_without_channel_is_drift_and_garbage_is_malformed() -> None:
    with pytest.raises(ProtocolDriftError):
        decode_frame('{"data":1}')
    with pytest.raises(ProtocolDriftError):
        decode_frame("[1,2]")
    before = codec.GARBAGE_COUNTER["json"]
    with pytest.raises(MalformedFrame):
        decode_frame('{"channel":"pong",')
    assert codec.GARBAGE_COUNTER["json"] == before + 1


def test_binary_gzip_frame_is_inflated_and_bad_gzip_counted() -> None:
    raw = ENTRIES[4]["raw"].encode()
    msg = decode_frame(gzip.compress(raw))
    assert isinstance(msg, ws.DepthPush)
    assert msg == decode_frame(raw)
    before = codec.GARBAGE_COUNTER["gzip"]
    with pytest.raises(MalformedFrame):
        decode_frame(b"\x1f\x8b" + b"\x00" * 20)
    assert codec.GARBAGE_COUNTER["gzip"] == before + 1
    with pytest.raises(MalformedFrame):
        decode_frame(gzip.compress(raw)[:-12])  # truncated stream


def test_gzip_bomb_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "MAX_FRAME_BYTES", 1000)
    with pytest.raises(MalformedFrame, match="inflates beyond"):
        decode_frame(gzip.compress(b" " * 5000))


def test_deal_object_and_array_and_numeric_id_all_give_tuples() -> None:
    one = decode_frame(
        '{"symbol":"A","data":{"p":1,"v":2,"T":2,"t":3,"i":17},"channel":"push.deal"}'
    )
    many = decode_frame(
        '{"symbol":"A","data":[{"p":1,"v":2,"T":2,"t":3,"i":"17"}],"channel":"push.deal"}'
    )
    assert isinstance(one, ws.DealPush)
    assert one.data == many.data  # type: ignore[union-attr]
    assert one.data[0].i == "17"


def test_exponent_numbers_and_string_timestamps() -> None:
    msg = decode_frame(
        '{"symbol":"A","data":{"asks":[[7.548E+4,1.5e3]],"bids":[],"version":"12"},'
        '"channel":"push.depth.full","ts":"99"}'
    )
    assert isinstance(msg, ws.DepthFullPush)
    assert msg.data.asks[0].price == 75480.0
    assert msg.data.asks[0].vol == 1500.0
    assert msg.data.asks[0].count == 0
    assert (msg.data.version, msg.ts) == (12, 99)


def test_frames_encode_back_to_wire_names() -> None:
    msg = decode_frame(ENTRIES[17]["raw"])
    back = json.loads(msgspec.json.encode(msg))
    assert back["channel"] == "push.deal"
    assert back["data"][0]["T"] == 1
