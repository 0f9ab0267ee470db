"""Depth publications of the venue: unmerged, merged and full frames, and burst mode (§7.5, §8).

Why a module of its own: *what* the book does is ``matching.py``; *when and in which shape* its
changes are handed to the publisher is a separate contract with the WebSocket shell — one
``depth`` publication per version (``{cts, asks, bids, version}``), a ``depth.merged`` every
``merge_interval_ms`` (``{cts, asks, bids, end, begin, version=end}``, contiguous ``begin`` =
previous ``end`` + 1), a ``depth.full`` snapshot every ``full_interval_ms`` when the version
moved — and ``burst`` must keep exactly that contract while generating changes as fast as it can.
Every published version is recorded in ``Truth.last_published`` (``truth.depth_versions``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mexc_futures.emulator.market.market import SymbolMarket
from mexc_futures.emulator.venue.matching import (
    ASK,
    BID,
    Commit,
    OrderBook,
    commit_frame,
    merged_frame,
)
from mexc_futures.emulator.venue.state import EngineState, Publication


class DepthSettings(Protocol):
    """The ``VenueConfig`` fields depth publication reads."""

    publish_unmerged: bool
    merge_interval_ms: int
    full_interval_ms: int
    full_depth_limit: int


Wants = Callable[[str, str], bool]
"""``wants(topic, symbol)``: True when a publication of ``topic`` for ``symbol`` has a reader."""


@dataclass
class DepthState:
    """Per-symbol publication state: versions waiting for the next merged frame, timers."""

    merge_buf: list[Commit] = field(default_factory=list)
    last_merge: int = 0
    last_full: int = 0
    last_full_version: int = 0


def publish(
    e: EngineState,
    cfg: DepthSettings,
    sym: str,
    book: OrderBook,
    st: DepthState,
    now: int,
    out: list[Publication],
    wants: Wants | None = None,
) -> None:
    """Append the depth publications due at ``now`` for ``sym`` to ``out``.

    ``wants(topic, symbol)`` (the server's "has this a subscriber?") skips building frames
    nobody will receive — the cost of a whole-market venue is then what is watched, not what
    exists. Versions stay contiguous: skipped commits are simply not pushed to anyone.
    """
    commits = book.drain()
    if commits:
        e.truth.last_published[sym] = commits[-1].version
        price = e.contracts[sym].price
        if cfg.publish_unmerged and (wants is None or wants("depth", sym)):
            for cm in commits:
                data = {"cts": cm.cts, **commit_frame(cm, price)}
                out.append(Publication("depth", sym, data, None, now))
        st.merge_buf.extend(commits)
    if st.merge_buf and now - st.last_merge >= cfg.merge_interval_ms:
        if wants is None or wants("depth.merged", sym):
            out.append(merged(e, sym, st.merge_buf, now))
        st.merge_buf = []
        st.last_merge = now
    if (
        now - st.last_full >= cfg.full_interval_ms
        and book.version != st.last_full_version
        and (wants is None or wants("depth.full", sym))
    ):
        st.last_full = now
        st.last_full_version = book.version
        out.append(Publication("depth.full", sym, full(e, cfg, sym, book, now), None, now))


def merged(e: EngineState, sym: str, commits: list[Commit], now: int) -> Publication:
    """One ``depth.merged`` publication over consecutive ``commits``."""
    frame = merged_frame(commits, e.contracts[sym].price)
    data = {
        "cts": commits[-1].cts,
        "asks": frame["asks"],
        "bids": frame["bids"],
        "end": frame["end"],
        "begin": frame["begin"],
        "version": frame["version"],
    }
    return Publication("depth.merged", sym, data, None, now)


def full(e: EngineState, cfg: DepthSettings, sym: str, book: OrderBook, now: int) -> dict[str, Any]:
    """``depth.full`` data: the top ``full_depth_limit`` levels per side."""
    c = e.contracts[sym]
    n = cfg.full_depth_limit
    return {
        "cts": book.timestamp or now,
        "asks": [[c.price(p), v, k] for p, v, k in book.top(ASK, n)],
        "bids": [[c.price(p), v, k] for p, v, k in book.top(BID, n)],
        "version": book.version,
    }


def burst(
    e: EngineState, sym: str, st: DepthState, n_changes_per_frame: int, n_frames: int
) -> list[Publication]:
    """Apply ``n_changes_per_frame × n_frames`` level changes to the real book, fast.

    Returns consecutive ``depth.merged`` publications (``begin == previous end + 1``), the
    first one also covering any not yet published versions, so REST snapshots,
    ``depth_commits`` and ``book_at`` stay consistent with what was pushed.
    """
    book, m = e.books[sym], e.markets[sym]
    now = e.now_ms
    pending = st.merge_buf + book.drain()
    st.merge_buf = []
    out: list[Publication] = []
    rng = m.rng
    for _ in range(n_frames):
        for _ in range(n_changes_per_frame):
            _burst_change(m, book, rng.random(), now)
        pending += book.drain()
        out.append(merged(e, sym, pending, now))
        pending = []
    if out:
        e.truth.last_published[sym] = book.version
    st.last_merge = now
    return out


def _burst_change(m: SymbolMarket, book: OrderBook, r: float, now: int) -> None:
    side = BID if r < 0.5 else ASK
    n = book.depth_count(side)
    if r < 0.1 or r > 0.9 or n < 5:
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None:
            m.add_maker(side, int(m.mid) - (1 if side == BID else -1), m._synth_vol(), now)
            return
        ticks = bid - m.rng.randint(0, 15) if side == BID else ask + m.rng.randint(0, 15)
        m.add_maker(side, ticks, m._synth_vol(), now)
        if n > m.levels * 2:
            worst = (book.bids if side == BID else book.asks)[book.price_at(side, n - 1)]
            synth = next((o for o in worst.orders if o.owner is None), None)
            if synth is not None:
                book.remove(synth.order_id, now)
        return
    levels = book.bids if side == BID else book.asks
    level = levels[book.price_at(side, min(int(r * 40) % n, n - 1))]
    order = next((o for o in level.orders if o.owner is None), None)
    if order is None:
        return
    if len(level.orders) > 1 and (r * 1000) % 1 < 0.3:
        book.remove(order.order_id, now)
    else:
        book.resize(order.order_id, max(1, order.vol + m.rng.randint(-order.vol + 1, 50)), now)
