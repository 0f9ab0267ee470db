"""Market-data routing (mdrouter): the per-connection depth route, lazy events, fan-out rebuilds,
metric folding, and the codec's fast path the connection uses (docs/performance.md)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from mexc_futures.config import Environment
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.marketdata.subscription import Subscription
from mexc_futures.model.booksync import BookSync, FetchSnapshot
from mexc_futures.model.events import BookResync, BookUpdate
from mexc_futures.protocol import codec
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.ledger import Stream
from mexc_futures.protocol.rest import Level
from tests.conftest import load_vectors

SYM = "BTC_USDT"
CONN = 7


def _depth(begin: int, end: int, bids: list[list[float]], asks: list[list[float]]) -> bytes:
    return json.dumps({"symbol": SYM, "channel": "push.depth", "ts": end,
                       "data": {"asks": asks, "bids": bids, "begin": begin, "end": end,
                                "version": end}}).encode()


class _Md:
    """A MarketData that is never entered: one depth stream, synced at version 10."""

    def __init__(self) -> None:
        env = Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                          is_live=False)
        self.md = MarketData(env)
        self.st = self.md._add_stream(Stream.of("depth", SYM))
        self.sub = Subscription(self.md, self.st.stream)
        self.st.subs.append(self.sub)
        self.md.listeners_changed()
        sync = self.sync
        fetch = sync.start(source=CONN)[-1]
        assert isinstance(fetch, FetchSnapshot)
        sync.on_snapshot(fetch.request_id, 10, [Level(100.0, 1.0)], [Level(101.0, 1.0)])
        self.route = self.md.push_routes(CONN)[wire.DepthPush]

    @property
    def sync(self) -> BookSync:
        assert isinstance(self.st.sync, BookSync)
        return self.st.sync

    def push(self, raw: bytes) -> None:
        self.route(codec.decode_frame(raw))


async def test_depth_route_publishes_to_every_listener_in_order() -> None:
    t = _Md()
    seen: list[tuple[str, int]] = []
    t.sub.on(lambda ev: seen.append(("sub", ev.version)))
    t.md.on(lambda ev: seen.append(("md", ev.version)))
    sub_iter = t.sub.__aiter__()
    md_iter = t.md.events()
    t.push(_depth(11, 12, [[100.5, 2.0]], []))
    t.push(_depth(13, 13, [], [[101.0, 0.0], [102.0, 3.0]]))
    assert seen == [("sub", 12), ("md", 12), ("sub", 13), ("md", 13)]
    assert t.sub._queue is not None
    assert len(t.sub._queue) == 2
    assert t.md._queue is not None
    assert len(t.md._queue) == 2
    assert t.sync.book.best_bid == 100.5
    assert t.sync.book.best_ask == 102.0
    assert [(await anext(sub_iter)).version, (await anext(md_iter)).version] == [12, 12]


def test_no_listener_no_event_but_the_book_advances(monkeypatch: pytest.MonkeyPatch) -> None:
    t = _Md()
    t.push(_depth(11, 11, [], []))  # the first frame after a snapshot takes the checked path

    def boom() -> BookUpdate:
        raise AssertionError("a BookUpdate was built for nobody")

    monkeypatch.setattr(t.sync, "update_event", boom)
    t.push(_depth(12, 13, [[100.0, 4.0]], []))
    assert t.sync.version == 13
    assert t.sync.book.bid_vol(100.0) == 4.0
    got: list[Any] = []
    t.sub.on(got.append)  # a listener added later gets the next update
    monkeypatch.undo()
    t.push(_depth(14, 14, [[99.0, 1.0]], []))
    assert got == [BookUpdate(symbol=SYM, version=14, best_bid=100.0, best_ask=101.0, ts=14)]


def test_gap_goes_off_the_hot_path_to_listeners_and_metrics() -> None:
    t = _Md()
    got: list[Any] = []
    t.md.on(got.append)
    t.push(_depth(11, 11, [], []))
    t.push(_depth(13, 13, [], []))  # 12 is missing
    assert isinstance(got[-1], BookResync)
    assert got[-1].reason == "gap"
    assert not t.sync.synced
    m = t.md.metrics.stream("depth", SYM)
    assert (m.gaps, m.resyncs) == (1, 1)
    assert t.md.metrics.stream("depth", SYM).messages == 2  # folded from the sync's count
    assert t.st.messages() == 2


def test_frames_of_unknown_symbols_and_other_connections_are_ignored() -> None:
    t = _Md()
    got: list[Any] = []
    t.md.on(got.append)
    other = json.loads(_depth(11, 11, [[1.0, 1.0]], []))
    other["symbol"] = "ETH_USDT"
    t.push(json.dumps(other).encode())
    t.md.push_routes(CONN + 1)[wire.DepthPush](codec.decode_frame(_depth(11, 11, [], [])))
    assert got == []
    assert t.sync.version == 10
    assert t.sync.stats.foreign_frames == 1


def test_on_push_still_routes_depth_for_hooks_without_routes() -> None:
    t = _Md()
    got: list[Any] = []
    t.sub.on(got.append)
    t.md.on_push(CONN, codec.decode_frame(_depth(11, 11, [], [])))
    assert [ev.version for ev in got] == [11]


def test_codec_fast_path_equals_decode_frame_or_raises_for_the_rest() -> None:
    fast = codec.frame_fast_path()
    pushes = 0
    for e in load_vectors("ws_pushes.json")["entries"]:
        if e["direction"] != "server->client":
            continue
        raw = (e.get("raw") or json.dumps(e["message"], separators=(",", ":"))).encode()
        slow = codec.decode_frame(raw)
        try:
            got = fast(raw)
        except msgspec.MsgspecError:
            assert not isinstance(slow, wire.DepthPush | wire.DealPush | wire.TickerPush)
            continue
        assert got == slow
        assert fast(memoryview(raw)) == slow  # the connection decodes picows' buffer in place
        pushes += 1
    assert pushes > 10
    with pytest.raises(msgspec.MsgspecError):
        fast(b'{"channel":"rs.sub.depth","data":"success","ts":1}')
    with pytest.raises(msgspec.MsgspecError):
        fast(b"\x1f\x8bnot json")


def test_hot_path_counts_and_publishes_once_per_frame_to_a_single_listener() -> None:
    t = _Md()
    got: list[Any] = []
    t.sub.on(got.append)
    assert t.st.publish == got.append  # one listener: called directly, no loop
    t.push(_depth(11, 11, [], []))  # the first frame after a snapshot takes the checked path
    assert t.sync.hot
    t.push(_depth(12, 14, [[100.5, 2.0]], [[101.0, 0.0], [101.5, 1.0]]))
    assert got[-1] == BookUpdate(symbol=SYM, version=14, best_bid=100.5, best_ask=101.5, ts=14)
    assert len(got) == 2
    assert t.sync.stats.frames == t.sync.stats.applied == 2
    assert t.sync.book.ts == 14


def test_crossed_frame_on_the_hot_path_resyncs_without_an_update() -> None:
    t = _Md()
    got: list[Any] = []
    t.md.on(got.append)
    t.push(_depth(11, 11, [], []))
    assert t.sync.hot
    t.push(_depth(12, 12, [[101.0, 1.0]], []))  # bid 101 >= ask 101: crossed
    assert [type(ev) for ev in got] == [BookUpdate, BookResync]
    assert isinstance(got[-1], BookResync)
    assert got[-1].reason == "crossed"
    assert t.sync.stats.crossed == 1
    assert not t.sync.synced


def test_unmerged_frame_takes_the_checked_path_and_publishes() -> None:
    t = _Md()
    got: list[Any] = []
    t.sub.on(got.append)
    t.push(_depth(11, 11, [], []))
    raw = json.dumps({"symbol": SYM, "channel": "push.depth", "ts": 5,
                      "data": {"asks": [], "bids": [[99.0, 3.0]], "version": 12}}).encode()
    t.push(raw)
    assert [ev.version for ev in got] == [11, 12]
    assert t.sync.book.bid_vol(99.0) == 3.0


def test_publisher_is_none_one_listener_or_an_ordered_loop() -> None:
    from mexc_futures.marketdata.router import _publisher

    seen: list[tuple[str, int]] = []

    def a(ev: int) -> None:
        seen.append(("a", ev))

    def b(ev: int) -> None:
        seen.append(("b", ev))

    assert _publisher(()) is None
    assert _publisher((a,)) is a
    many = _publisher((a, b))
    assert many is not None
    many(1)
    assert seen == [("a", 1), ("b", 1)]
