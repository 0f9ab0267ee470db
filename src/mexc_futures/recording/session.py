"""``record``: run the client's own market-data stack and write everything it received.

``RecordingMarketData`` is the unchanged ``MarketData`` plus a frame tap on every connection, an
``open``/``close`` line per connection lifecycle, a ``rest`` line per REST answer the book sync
used (``RecordingDepthSource``) and a ``mark`` line per resync or deal gap; ``checkpoint_books``
writes each local exact book as a ``book`` line (every ``checkpoint_s`` and at stop), which is
what ``replay --check-books`` compares against. The recorder never trades and holds no key unless
``--private`` is asked for; then the account stream is recorded into ``private/`` (redacted login).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import MexcError
from mexc_futures.marketdata import DepthSource, MarketData, MarketDataConfig
from mexc_futures.marketdata.private_stream import PrivateStream
from mexc_futures.model.events import BookResync, DealGap
from mexc_futures.recording import format as fmt
from mexc_futures.recording.writer import FrameTap, NowNs, Recorder

DEFAULT_CHANNELS = ("depth", "deal", "ticker", "funding.rate")
PRIVATE_CHANNELS = ("order", "order.deal", "position", "asset")
_ENC = msgspec.json.Encoder()


def clock_ns(clock: Clock) -> NowNs:
    """Receive timestamps in ns: the wall clock, or ``clock``'s time when it is not the system's
    (a time-scaled emulator: recorded time is then venue time, so ``--speed 1`` replays at the
    venue's pace)."""
    if clock is SYSTEM_CLOCK:
        return time.time_ns
    return lambda: clock.time_ms() * 1_000_000


class RecordingDepthSource:
    """A ``DepthSource`` that writes every answer (or failure) as a ``rest`` line."""

    def __init__(self, inner: Any, rec: Recorder) -> None:
        """``inner``: the ``RestClient`` (depth, commits and, for deal recovery, deals)."""
        self._inner = inner
        self._rec = rec

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        return await self._call("depth", symbol, {"limit": limit},
                                lambda: self._inner.get_depth(symbol, limit))

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        return await self._call("depth_commits", symbol, {"limit": limit},
                                lambda: self._inner.get_depth_commits(symbol, limit))

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        """Recent deals (the router's deal-gap recovery asks for them)."""
        return await self._call("deals", symbol, {"limit": limit},
                                lambda: self._inner.get_deals(symbol, limit))

    async def _call(self, path: str, symbol: str, q: dict[str, Any],
                    fn: Callable[[], Any]) -> Any:
        sent = self._rec.now_ns()
        try:
            data = await fn()
        except (asyncio.CancelledError, TimeoutError):
            self._line(path, symbol, q, sent, None, "timeout")
            raise
        except (MexcError, OSError) as exc:
            self._line(path, symbol, q, sent, None, f"{type(exc).__name__}: {exc}"[:300])
            raise
        self._line(path, symbol, q, sent, _ENC.encode(data), None)
        return data

    def _line(self, path: str, symbol: str, q: dict[str, Any], sent: int, body: bytes | None,
              error: str | None) -> None:
        r = fmt.RestRecord(path=path, symbol=symbol, q=q, sent_ns=sent,
                           status=200 if error is None else 0,
                           body=msgspec.Raw(body or b"null"), error=error)
        self._rec.event(fmt.REST, 0, _ENC.encode(r))


class RecordingMarketData(MarketData):
    """``MarketData`` whose connections, REST answers and resyncs are written to ``rec``."""

    def __init__(self, env: Environment, rec: Recorder, *, rest: DepthSource,
                 clock: Clock = SYSTEM_CLOCK, config: MarketDataConfig | None = None) -> None:
        super().__init__(env, rest=RecordingDepthSource(rest, rec), clock=clock, config=config)
        self.recorder = rec
        self._tap = FrameTap(rec)
        self.stopping = False  # set at stop: the closes that follow are not gaps
        self.on(self._mark)

    def frame_tap(self, conn: int) -> FrameTap:
        return self._tap

    def on_up(self, conn: int, reconnect: bool) -> None:
        ev = fmt.ConnEvent(url=self.env.ws_url, reconnect=reconnect)
        self.recorder.event(fmt.OPEN, conn, _ENC.encode(ev))
        super().on_up(conn, reconnect)

    def on_down(self, conn: int, reason: str) -> None:
        why = fmt.STOP_REASON if self.stopping else reason
        self.recorder.event(fmt.CLOSE, conn, _ENC.encode(fmt.ConnEvent(reason=why)))
        super().on_down(conn, reason)

    def _mark(self, ev: Any) -> None:
        if isinstance(ev, BookResync):
            m = fmt.Mark(what="resync", symbol=ev.symbol, reason=ev.reason)
        elif isinstance(ev, DealGap):
            m = fmt.Mark(what="deal_gap", symbol=ev.symbol, since=ev.since, until=ev.until)
        else:
            return
        self.recorder.event(fmt.MARK, 0, _ENC.encode(m))

    def checkpoint_books(self) -> int:
        """Write every depth book as a ``book`` line; returns how many were written."""
        n = 0
        for sym in list(self._depth):
            with contextlib.suppress(KeyError):
                view = self.book(sym)
                bids, asks = view.book.levels()
                cp = fmt.BookCheckpoint(symbol=sym, version=view.book.version, bids=bids,
                                        asks=asks, synced=view.synced)
                self.recorder.event(fmt.BOOK, 0, _ENC.encode(cp))
                n += 1
        return n


class RecordingPrivateStream(PrivateStream):
    """``PrivateStream`` whose frames go to the recording's ``private/`` set (login redacted)."""

    def __init__(self, env: Environment, credentials: Credentials, rec: Recorder,
                 symbols: Sequence[str], *, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(env, credentials, PRIVATE_CHANNELS, symbols, clock=clock)
        self.recorder = rec
        self._tap = FrameTap(rec, private=True)
        self.stopping = False

    def frame_tap(self, conn: int) -> FrameTap:
        return self._tap

    def on_up(self, conn: int, reconnect: bool) -> None:
        self.recorder.event(fmt.OPEN, conn,
                            _ENC.encode(fmt.ConnEvent(url=self.env.ws_url, reconnect=reconnect)),
                            private=True)
        super().on_up(conn, reconnect)

    def on_down(self, conn: int, reason: str) -> None:
        why = fmt.STOP_REASON if self.stopping else reason
        self.recorder.event(fmt.CLOSE, conn, _ENC.encode(fmt.ConnEvent(reason=why)),
                            private=True)
        super().on_down(conn, reason)


def recorder_config(base: MarketDataConfig | None = None) -> MarketDataConfig:
    """The market-data tunables of a recording session (the defaults, unless given)."""
    return base or MarketDataConfig()


async def record(
    env: Environment,
    symbols: Sequence[str],
    out: Path,
    *,
    rest: Any,
    channels: Sequence[str] = DEFAULT_CHANNELS,
    clock: Clock = SYSTEM_CLOCK,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
    credentials: Credentials | None = None,
    config: MarketDataConfig | None = None,
    checkpoint_s: float = 900.0,
    rotate_s: float | None = None,
    level: int = 3,
    toolkit: str = "",
    progress: Callable[[Recorder, float], None] | None = None,
    on_ready: Callable[[RecordingMarketData], None] | None = None,
) -> fmt.Manifest:
    """Record ``channels`` of ``symbols`` into ``out`` until ``duration`` (clock seconds) passes
    or ``stop`` is set; ``credentials`` adds the private stream. Returns the final manifest.

    ``rest`` is a ``transport.rest.RestClient`` on ``env`` (depth snapshots, contract details).
    """
    cfg = recorder_config(config)
    syms = [s.upper() for s in symbols]
    streams = [fmt.StreamSpec(ch, s, {}) for s in syms for ch in channels]
    contracts = {s: msgspec.Raw(_ENC.encode(await rest.get_contract(s))) for s in syms}
    manifest = fmt.Manifest(
        toolkit=toolkit, environment=env.name, rest_url=env.rest_url, ws_url=env.ws_url,
        symbols=syms, streams=streams, max_per_conn=cfg.max_per_conn,
        snapshot_limit=cfg.snapshot_limit, commits_limit=cfg.commits_limit,
        private=credentials is not None, contracts=contracts,
    )
    rec = Recorder(out, manifest, now_ns=clock_ns(clock), level=level, rotate_s=rotate_s)
    rec.start()
    reason = "duration"
    try:
        async with contextlib.AsyncExitStack() as stack:
            md = RecordingMarketData(env, rec, rest=rest, clock=clock, config=cfg)
            await stack.enter_async_context(md)
            for spec in streams:
                await md.subscribe(spec.channel, spec.symbol, **spec.params)
            ps = None
            if credentials is not None:
                ps = RecordingPrivateStream(env, credentials, rec, syms, clock=clock)
                await stack.enter_async_context(ps)
            if on_ready is not None:
                on_ready(md)
            reason = await _wait(md, rec, clock, duration, stop, checkpoint_s, progress)
            md.checkpoint_books()
            md.stopping = True
            if ps is not None:
                ps.stopping = True
    except BaseException as exc:
        reason = f"interrupted ({type(exc).__name__})"
        raise
    finally:
        manifest = await asyncio.to_thread(rec.stop, reason)
    if rec.error is not None:
        raise MexcError(f"recording failed while writing: {rec.error}")
    return manifest


async def _wait(md: RecordingMarketData, rec: Recorder, clock: Clock, duration: float | None,
                stop: asyncio.Event | None, checkpoint_s: float,
                progress: Callable[[Recorder, float], None] | None) -> str:
    speed = float(getattr(clock, "speed", 1.0))
    t0 = clock.monotonic()
    next_cp = t0 + checkpoint_s
    stop = stop or asyncio.Event()
    while True:
        elapsed = clock.monotonic() - t0
        if duration is not None and elapsed >= duration:
            return "duration"
        if rec.error is not None:
            return "write error"
        if progress is not None:
            progress(rec, elapsed)
        if clock.monotonic() >= next_cp:
            md.checkpoint_books()
            next_cp += checkpoint_s
        left = 0.5 if duration is None else min(0.5, (duration - elapsed) / speed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(left, 0.001))
        if stop.is_set():
            return "stopped"


__all__ = [
    "DEFAULT_CHANNELS",
    "PRIVATE_CHANNELS",
    "RecordingDepthSource",
    "RecordingMarketData",
    "RecordingPrivateStream",
    "clock_ns",
    "record",
]
