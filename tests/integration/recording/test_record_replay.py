"""Record from the emulator, replay through the client's own stack (issue #17; design
record-replay-bus.md §1.6 A1, A2, A5): every replayed book equals the venue's truth and the
recorded books, every frame the venue sent is in the recording in order, faults (drop, gap,
stale) replay exactly as they happened live, and a canary secret appears nowhere on disk."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import zstandard

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import DepthFault, DropTcp, Stall
from mexc_futures.marketdata import MarketDataConfig
from mexc_futures.model.events import BookResync, BookUpdate
from mexc_futures.protocol import codec
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.session import SessionConfig
from mexc_futures.recording import format as fmt
from mexc_futures.recording.info import summarize
from mexc_futures.recording.reader import iter_lines, segment_paths
from mexc_futures.recording.replay import ReplayMarketData, replay
from mexc_futures.recording.session import RecordingMarketData, record
from mexc_futures.transport.rest import RestClient

SYMS = ["BTC_USDT", "ETH_USDT"]
QUIET_PINGS = MarketDataConfig(session=SessionConfig(ping_interval=20, pong_timeout=60),
                               audit_interval=None, depth_silence=None, backoff_base=1.0,
                               backoff_cap=4.0)


async def _until(pred: Callable[[], bool], changed: asyncio.Event, limit: float = 20.0) -> None:
    """Wait (woken by every market event, bounded by ``limit`` real seconds) for ``pred()``."""
    async with asyncio.timeout(limit):
        while not pred():
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), 0.05)


class Session:
    """A recording running in the background; ``md`` is the live ``RecordingMarketData``."""

    def __init__(self, ex: Emulator, rest: RestClient, out: Path, **kw: Any) -> None:
        self.md: RecordingMarketData | None = None
        self.events: list[Any] = []
        self.stop = asyncio.Event()
        self.changed = asyncio.Event()

        def ready(md: RecordingMarketData) -> None:
            self.md = md
            md.on(self.events.append)
            md.on(lambda _ev: self.changed.set())

        self.task = asyncio.create_task(record(ex.env, SYMS, out, rest=rest, clock=ex.clock,
                                               stop=self.stop, on_ready=ready, **kw))

    async def until(self, pred: Callable[[], bool], limit: float = 20.0) -> None:
        await _until(pred, self.changed, limit)

    def updates(self, symbol: str) -> int:
        return sum(1 for e in self.events if isinstance(e, BookUpdate) and e.symbol == symbol)

    async def finish(self) -> fmt.Manifest:
        self.stop.set()
        return await self.task


def _depth_versions(out: Path, conn: int, symbol: str) -> list[tuple[int, int]]:
    got = []
    for ln in iter_lines(out):
        if ln.kind == fmt.WS and ln.conn == conn:
            msg = codec.decode_frame(ln.payload)
            if isinstance(msg, wire.DepthPush) and msg.symbol == symbol:
                d = msg.data
                got.append((d.begin if d.begin is not None else d.version,
                            d.end if d.end is not None else d.version))
    return got


async def test_a1_a2_recording_is_complete_and_replayed_books_equal_truth(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    async with (Emulator(symbols=SYMS, speed=20, seed=7) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        s = Session(ex, rest, out, config=QUIET_PINGS)
        await s.until(lambda: s.md is not None and min(s.updates(x) for x in SYMS) >= 60)
        assert s.md is not None
        ex.faults.add(Stall())  # the venue stops sending: everything sent can arrive
        link = next(iter(ex.links.values()))
        await s.until(lambda: s.md is not None
                     and s.md.metrics.conn(1).messages == link.sent_frames)
        sent = link.sent_frames
        man = await s.finish()
        # A2: every frame the venue sent on the connection is recorded, in order
        ws_lines = [ln for ln in iter_lines(out) if ln.kind == fmt.WS and ln.conn == 1]
        assert len(ws_lines) == sent
        for sym in SYMS:
            assert _depth_versions(out, 1, sym) == ex.pushed_versions(sym, link.conn.id)
        assert man.stopped == "stopped"
        assert all(seg.complete for seg in man.segments)

        # A1: replayed books equal the venue's truth at every version it still holds, and the
        # books the recorder wrote at stop; no gap
        checked: list[tuple[str, int, bool]] = []
        holder: dict[str, ReplayMarketData] = {}

        def on_event(ev: Any) -> None:
            if isinstance(ev, BookUpdate):
                book = holder["md"].book(ev.symbol).book
                try:
                    truth = ex.truth.book_at(ev.symbol, ev.version)
                except KeyError:  # older than the venue's commit ring
                    return
                checked.append((ev.symbol, ev.version, book.equals(truth["bids"], truth["asks"])))

        res = await replay(out, check_books=True, on_event=on_event,
                           on_ready=lambda md: holder.setdefault("md", md))
    assert res.ok
    assert res.gaps == 0
    assert res.undecodable == 0
    assert len(res.book_checks) == 2
    assert res.books_equal
    assert len(checked) >= 100
    assert all(ok for *_, ok in checked)
    assert res.frames == sent


async def test_faults_replay_exactly_as_they_happened_live(tmp_path: Path) -> None:
    """A TCP drop, a sequence gap and a stale stream while recording: the replay takes the same
    recovery path (same resyncs, same REST answers) and its books equal the recorded ones."""
    out = tmp_path / "rec"
    cfg = MarketDataConfig(session=SessionConfig(ping_interval=20, pong_timeout=60),
                           audit_interval=None, depth_silence=3.0, backoff_base=1.0,
                           backoff_cap=4.0)
    async with (Emulator(symbols=SYMS, speed=20, seed=3) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        s = Session(ex, rest, out, config=cfg, checkpoint_s=4.0)

        def resyncs(reason: str) -> int:
            return sum(1 for e in s.events if isinstance(e, BookResync) and e.reason == reason)

        await s.until(lambda: s.md is not None and min(s.updates(x) for x in SYMS) >= 20)
        ex.faults.add(DepthFault(symbol="BTC_USDT", action="skip"))
        await s.until(lambda: resyncs("gap") >= 1)
        n = s.updates("BTC_USDT")
        await s.until(lambda: s.updates("BTC_USDT") >= n + 10)
        ex.faults.add(DropTcp())
        await s.until(lambda: resyncs("reconnect") >= 2)
        n = s.updates("ETH_USDT")
        await s.until(lambda: s.updates("ETH_USDT") >= n + 10)
        fid = ex.faults.add(DepthFault(symbol="ETH_USDT", action="pause", count=None))
        await s.until(lambda: resyncs("stale") >= 1)
        ex.faults.clear(fid)
        n = s.updates("ETH_USDT")
        await s.until(lambda: s.updates("ETH_USDT") >= n + 10 and s.md is not None
                     and s.md.book("ETH_USDT").synced and s.md.book("BTC_USDT").synced)
        live = {}
        for e in s.events:
            if isinstance(e, BookResync):
                live[e.reason] = live.get(e.reason, 0) + 1
        await s.finish()
    res = await replay(out, check_books=True)
    assert res.books_equal, res.to_dict()
    assert len(res.book_checks) >= 4
    assert res.rest_unmatched == 0
    assert res.rest_delivered >= 4
    live_before_stop = dict(live.items())
    for reason in ("gap", "stale", "start"):
        assert res.resyncs.get(reason, 0) == live_before_stop.get(reason, 0), (res.resyncs, live)
    info = summarize(out)
    assert [g.reason for g in info.gaps] == ["dropped"]
    assert info.resyncs["gap"] == live["gap"]


async def test_a5_private_recording_holds_no_secret(tmp_path: Path) -> None:
    canary = "CANARY" + secrets.token_hex(16)
    key = "mx0vglCANARYkey" + secrets.token_hex(4)
    out = tmp_path / "rec"
    async with (Emulator(symbols=SYMS[:1], speed=20, api_key=key, api_secret=canary) as ex,
                RestClient(ex.env, ex.credentials, clock=ex.clock) as rest):
        task = asyncio.create_task(record(ex.env, SYMS[:1], out, rest=rest, clock=ex.clock,
                                          credentials=ex.credentials, duration=20.0))
        man = await task
    assert man.private
    files = [p for p in out.rglob("*") if p.is_file()]
    blobs = [p.read_bytes() for p in files]
    blobs += [zstandard.ZstdDecompressor().decompressobj().decompress(p.read_bytes())
              for p in [*segment_paths(out), *segment_paths(out, "private")]]
    for blob in blobs:
        assert canary.encode() not in blob
        assert key.encode() not in blob
        assert b"signature" not in blob
    priv = [ln for ln in iter_lines(out) if ln.conn == 1 and ln.kind == fmt.TX
            and b"login" in ln.payload]
    assert priv
    assert all(ln.payload == fmt.REDACTED_LOGIN for ln in priv)
    private_ws = [ln for p in segment_paths(out, "private")
                  for ln in __import__("mexc_futures.recording.reader", fromlist=["x"])
                  .read_segment(p) if ln.kind == fmt.WS]
    assert any(b"rs.login" in ln.payload for ln in private_ws)  # the account stream is there
    for p in segment_paths(out, "private"):
        assert p.stat().st_mode & 0o777 == 0o600
    assert msgspec.json.decode((out / "manifest.json").read_bytes())["private"] is True
