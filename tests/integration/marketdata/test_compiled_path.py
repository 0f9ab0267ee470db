"""The compiled depth path against the real emulator over 127.0.0.1 (#19, docs/speedups.md).

Every ``BookUpdate`` is checked against the emulator's truth at its version by the recorder; the
compiled listener must have applied the in-order frames itself (not handed them all to Python).
With ``MEXC_FUTURES_PURE=1`` (CI's second run) the same streams run the pure listener.
"""

from __future__ import annotations

from mexc_futures._speedups import hot
from mexc_futures.transport.ws import _Listener

from .md_helpers import running

SYMS = ["BTC_USDT", "ETH_USDT"]


async def test_live_books_are_exact_on_the_active_path() -> None:
    async with running(SYMS) as (_ex, md, rec):
        for s in SYMS:
            await md.subscribe("depth", s)
        for s in SYMS:
            await rec.until(rec.updates_after(40, s))
        rec.assert_books_exact()
        assert md._pool is not None
        listeners = [c.listener for c in md._pool.live.values()]
        assert listeners
        for s in SYMS:
            assert md.sync_of(s).book.equals(*md.sync_of(s).book.levels())
        if hot is None:
            assert all(type(x) is _Listener for x in listeners)
            return
        assert all(isinstance(x, hot.DepthListener) for x in listeners)
        applied = sum(x.applied for x in listeners)  # type: ignore[union-attr]
        handed = sum(x.handed_over for x in listeners)  # type: ignore[union-attr]
        frames = sum(md.sync_of(s).stats.frames for s in SYMS)
        assert applied > 0.8 * frames, (applied, handed, frames)
        assert type(md.sync_of(SYMS[0]).book) is hot.Book
