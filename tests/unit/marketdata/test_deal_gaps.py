"""D9 deal gaps at the router, frame by frame (issue #13): the cases md_fuzz found where deals
were lost on a socket and no ``DealGap`` said so. A MarketData that is never entered: the ledger
places the streams, frames go through the per-connection depth routes and ``on_push`` exactly as
a connection hands them over, and the events are what a listener sees."""

from __future__ import annotations

import json
from typing import Any

from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketDataConfig
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.marketdata.route import Route
from mexc_futures.marketdata.subscription import Subscription
from mexc_futures.model.booksync import BookSync, FetchSnapshot
from mexc_futures.model.events import DealGap, Trade
from mexc_futures.protocol import codec
from mexc_futures.protocol.ledger import Stream
from mexc_futures.protocol.rest import Level
from mexc_futures.testing.clock import ManualClock

SYM = "BTC_USDT"
T0 = 1_800_000_000_000  # venue ms of version 10


def _depth(begin: int, end: int, ts: int) -> Any:
    return codec.decode_frame(json.dumps({
        "symbol": SYM, "channel": "push.depth", "ts": ts,
        "data": {"asks": [], "bids": [], "begin": begin, "end": end, "version": end},
    }).encode())


def _deal(i: int, t: int) -> Any:
    return codec.decode_frame(json.dumps({
        "symbol": SYM, "channel": "push.deal", "ts": t,
        "data": [{"p": 100.0, "v": 1, "T": 1, "O": 1, "M": 2, "t": t, "i": i}],
    }).encode())


class _Md:
    """Depth and deal of one symbol on one connection, the book synced at version 10."""

    def __init__(self, deal_recovery: bool = False) -> None:
        env = Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                          is_live=False)
        self.clock = ManualClock(start_ms=T0)
        self.md = MarketData(env, clock=self.clock,
                             config=MarketDataConfig(deal_recovery=deal_recovery))
        self.events: list[Any] = []
        self.md.on(self.events.append)
        self.depth = self._add(Stream.of("depth", SYM))
        self.deal = self._add(Stream.of("deal", SYM))
        conn = self.md.ledger.conn_of(self.depth.stream)
        assert conn is not None
        self.conn = conn
        fetch = self.sync.start(source=conn)[-1]
        assert isinstance(fetch, FetchSnapshot)
        self.sync.on_snapshot(fetch.request_id, 10, [Level(100.0, 1.0)], [Level(101.0, 1.0)], T0)

    def _add(self, stream: Stream) -> Route:
        st = self.md._add_stream(stream)
        st.since_ms = T0 - 60_000
        self.md.ledger.add(stream)
        st.subs.append(Subscription(self.md, stream))
        self.md.listeners_changed()
        return st

    @property
    def sync(self) -> BookSync:
        assert isinstance(self.depth.sync, BookSync)
        return self.depth.sync

    def rotate(self) -> int:
        """What ``MarketData.on_rotate`` does, without a pool: the twin takes the streams."""
        twin, _actions = self.md.ledger.rotate(self.conn)
        self.md._twin_of[self.conn] = twin
        self.sync.begin_handover(twin)
        self.depth.rotating = twin if self.sync.handover_pending else 0
        return twin

    def depth_on(self, conn: int, begin: int, end: int, ts: int) -> None:
        self.md.push_routes(conn)[type(_depth(1, 1, 0))](_depth(begin, end, ts))

    def deal_on(self, conn: int, i: int, t: int) -> None:
        self.md.on_push(conn, _deal(i, t))

    def gaps(self) -> list[tuple[int, int]]:
        return [(e.since, e.until) for e in self.events if isinstance(e, DealGap)]


def test_d9_frames_lost_on_the_twin_after_it_took_over_in_lockstep_report_a_deal_gap() -> None:
    """md_fuzz seed 189 (rotation): the twin's first frame ended at the book's version, so the
    book switched to it in lockstep; the twin then lost frames (and the deals between them) while
    the old connection, already ignored, still delivered. The book saw the depth gap, but the
    twin's wire continuity was never recorded (its first frame came while it was not the applying
    connection), so its first frame after the hole was taken as its first frame at all."""
    t = _Md()
    old = t.conn
    t.deal_on(old, 1, T0 + 100)
    t.depth_on(old, 11, 11, T0 + 200)
    twin = t.rotate()
    t.depth_on(twin, 5, 11, T0 + 210)  # the twin joins in lockstep at 11
    assert t.sync.source == twin
    assert not t.sync.handover_pending
    t.depth_on(old, 12, 12, T0 + 300)  # the old connection: ignored from now on
    t.deal_on(old, 2, T0 + 350)
    # the twin loses versions 12..40 and the deals 3..9 with them; the old connection closes
    t.deal_on(twin, 10, T0 + 9_000)
    t.depth_on(twin, 41, 41, T0 + 9_100)
    assert [e.trade_id for e in t.events if isinstance(e, Trade)] == ["1", "2", "10"]
    gaps = t.gaps()
    assert gaps, "deals lost on the twin without a DealGap"
    since, until = gaps[-1]
    assert since <= T0 + 400  # covers the deals 3..9
    assert until >= T0 + 8_900


class _Pool:
    """What the facade's connection hooks read of the pool: no live session to watch."""

    def __init__(self) -> None:
        self.live: dict[int, Any] = {}


def test_d9_a_second_drop_before_the_reopened_window_closed_keeps_its_start() -> None:
    """md_fuzz seed 42: after a reconnect the deal stream's window stays open ("reopened") until
    the symbol's depth on the same socket delivered a frame; deals before the first one after the
    reconnect were never delivered. When the socket dropped again first, the new gap started at
    the last deal delivered, and the reopened window (reconnect .. first deal) was never
    reported."""
    t = _Md()
    t.md._pool = _Pool()  # type: ignore[assignment]
    conn = t.conn
    t.deal_on(conn, 1, T0 + 100)
    t.clock.advance(1.0)
    t.md.on_down(conn, "dropped")
    t.clock.advance(1.0)
    t.md.on_up(conn, True)
    reopened = T0 + 2_000
    assert t.gaps() == [(T0 + 100, reopened)]
    # the deals 2..4 went out before the resubscription took effect: never delivered
    t.clock.advance(5.0)
    t.deal_on(conn, 5, T0 + 6_500)  # the first deal after the reconnect; depth still silent
    t.deal_on(conn, 6, T0 + 6_800)
    t.clock.advance(0.5)
    t.md.on_down(conn, "stall")
    t.clock.advance(1.0)
    t.md.on_up(conn, True)
    assert any(since <= reopened + 1 and until >= T0 + 6_500 for since, until in t.gaps()), (
        f"the window {reopened}..{T0 + 6_500} was never reported: {t.gaps()}")


def test_d9_a_rotated_out_connection_that_dies_reports_from_its_own_last_deal() -> None:
    """md_fuzz seeds 84 and 93: the old connection stalled (its deals lost), the rotation's twin
    came up and delivered deals, then the old connection was declared dead. The gap started at
    the stream's last deal, which the twin had already moved past the lost ones; it must start
    at the last deal the old connection itself delivered."""
    t = _Md()
    old = t.conn
    t.deal_on(old, 1, T0 + 100)
    t.depth_on(old, 11, 11, T0 + 200)
    # the old connection stalls: deals 2..4 (T0+1s..3s) never arrive
    t.clock.advance(6.0)
    twin = t.rotate()
    t.depth_on(twin, 40, 41, T0 + 5_900)  # ahead of the book: waits for the old connection
    t.deal_on(twin, 5, T0 + 5_950)
    t.clock.advance(1.0)
    t.md.on_down(old, "stall")
    assert any(since <= T0 + 1_000 and until >= T0 + 3_000 for since, until in t.gaps()), (
        f"deals lost on the dead old connection without a DealGap: {t.gaps()}")


class _Rest:
    """A REST source whose depth snapshot is at ``version``."""

    def __init__(self, version: int) -> None:
        self.version = version

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        from mexc_futures.protocol.rest import DepthData

        return DepthData(asks=[Level(101.0, 1.0)], bids=[Level(100.0, 1.0)],
                         version=self.version, timestamp=T0 + 30_000)


async def test_d9_a_snapshot_that_lands_during_a_stall_does_not_hide_the_lost_frames() -> None:
    """md_fuzz seed 116 (no rotation, under load): the book was resynced (a stale verdict) and
    its REST snapshot came back while the socket was stalled; the snapshot's version was taken
    for the last version the wire had delivered, so the first frame after the stall looked in
    order and the deals lost in the stall were never reported."""
    t = _Md()
    conn = t.conn
    t.deal_on(conn, 1, T0 + 100)
    t.depth_on(conn, 11, 11, T0 + 200)  # the first frame after the snapshot: seen off-path
    t.depth_on(conn, 12, 13, T0 + 300)  # in order: the hot path
    t.deal_on(conn, 2, T0 + 350)
    outs = t.sync.force_resync("stale")
    fetch = next(o for o in outs if isinstance(o, FetchSnapshot))
    t.md._rest = _Rest(40)
    # the socket stalls: versions 14..40 and the deals 3..9 are lost; the snapshot lands at 40
    await t.md._fetch_snapshot(t.depth, fetch)
    assert t.sync.synced
    assert t.sync.version == 40
    t.deal_on(conn, 10, T0 + 31_000)
    t.depth_on(conn, 41, 41, T0 + 31_100)  # the stall ends: the frame after the snapshot
    assert t.sync.version == 41
    gaps = t.gaps()
    assert any(since <= T0 + 400 and until >= T0 + 30_000 for since, until in gaps), (
        f"deals lost in the stall without a DealGap: {gaps}")


class _DealsRest:
    """REST ``deals``: the newest first, as the venue lists them."""

    def __init__(self, rows: list[tuple[int, int]]) -> None:
        from mexc_futures.protocol.rest import DealData

        self.rows = [DealData(p=100.0, v=1, taker_side=1, open_flag=1, self_trade=2, t=t, i=str(i))
                     for i, t in sorted(rows, key=lambda r: -r[1])]

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        return self.rows


async def test_d9_a_recovery_that_waited_in_the_queue_delivers_no_deal_twice() -> None:
    """md_soak (26 of 3,181 deals twice): after a mass drop the deal recoveries wait their turn
    (8.8/s for 800 symbols); a quiet symbol's gap starts at its last deal, long before, and by the
    time the recovery ran the deals after the reconnect had pushed that deal out of the
    de-duplication window, so the recovery delivered it again. A pending recovery now holds the
    window open from its start, and a REST deal carrying a trade id already delivered is skipped."""
    t = _Md(deal_recovery=True)
    t.md._pool = _Pool()  # type: ignore[assignment]
    t.md._rest = _DealsRest([(1, T0), (2, T0 + 100_500), (3, T0 + 131_000)])
    conn = t.conn
    t.deal_on(conn, 1, T0)  # the quiet symbol's last deal before the drop
    t.clock.advance(100.0)
    t.md.on_down(conn, "dropped")  # deal 2 (T0 + 100.5 s) goes out while the socket is down
    t.clock.advance(1.0)
    t.md.on_up(conn, True)
    assert t.gaps()[-1][0] == T0
    t.clock.advance(30.0)  # the recovery still waits in the queue: deals flow again meanwhile
    t.deal_on(conn, 3, T0 + 131_000)
    await t.md._fetch_worker("deals")
    ids = [e.trade_id for e in t.events if isinstance(e, Trade)]
    assert sorted(ids) == ["1", "2", "3"], f"a deal delivered twice or lost: {ids}"


def test_a_connection_up_while_closing_starts_nothing_and_raises_nothing() -> None:
    """Seen at gateway shutdown (#18): ``__aexit__`` drops the pool, then awaits its close; a
    socket that finished its login meanwhile calls ``on_up``, which raised "use `async with
    MarketData(env) as md:` first" out of the teardown."""
    t = _Md()
    t.md._pool = None  # what __aexit__ has done before it awaits the pool's close
    t.md.on_up(t.conn, True)
    assert t.gaps() == []
