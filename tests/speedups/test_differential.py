"""The compiled and the pure depth paths agree frame by frame on random streams (#19).

Hypothesis builds frame streams with every shape the spec and the audits name: key order,
whitespace, escapes, exponents, huge numbers, deletes, unmerged frames, gaps, duplicates, crossed
books, truncated and oversized frames, other channels, numeric strings, unknown keys. Both stacks
get the same bytes; after every frame their books, versions, sync states, counters, connection
metrics and published events must be equal, and the compiled listener's code must fit what the
pure one did (``tests/speedups/harness.py`` builds the stacks).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as hs

from mexc_futures._speedups import hot

from .harness import SYM, Stack

pytestmark = pytest.mark.skipif(hot is None, reason="compiled path not built / disabled")

PRICES = [round(100 + 0.5 * i, 1) for i in range(-10, 11)]  # 95.0 .. 105.0


def _ws(r: random.Random, on: bool) -> str:
    return r.choice(["", " ", "\n", "\t ", "\r\n  "]) if on and r.random() < 0.3 else ""


def _num(x: float | int, r: random.Random, style: int) -> str:
    """A JSON number for ``x`` in one of several spellings, all equal to float(x)."""
    if isinstance(x, int) or style == 0:
        return json.dumps(x)
    if style == 1 and x:  # exponent form
        return f"{x * 100:.6g}e-2" if r.random() < 0.5 else f"{x / 10:.10g}E+1"
    if style == 2:  # trailing zeros / int-like
        return f"{x:.6f}" if x != int(x) else str(int(x))
    return repr(float(x))


def dump(obj: Any, r: random.Random, *, ws: bool, style: int, shuffle: bool) -> str:
    """JSON with optional random whitespace, key order and number spellings."""
    w = lambda: _ws(r, ws)  # noqa: E731
    if isinstance(obj, dict):
        items = list(obj.items())
        if shuffle:
            r.shuffle(items)
        return "{" + w() + ("," + w()).join(
            f'{json.dumps(k)}{w()}:{w()}{dump(v, r, ws=ws, style=style, shuffle=shuffle)}{w()}'
            for k, v in items) + "}"
    if isinstance(obj, list):
        return "[" + w() + ("," + w()).join(
            dump(v, r, ws=ws, style=style, shuffle=shuffle) + w() for v in obj) + "]"
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return json.dumps(obj)
    return _num(obj, r, style)


class Venue:
    """Generates the next frame of a depth stream (venue counter ``v``) from a random choice."""

    def __init__(self, r: random.Random, version: int) -> None:
        self.r = r
        self.v = version
        self.sent: list[bytes] = []

    def levels(self, side: str) -> list[list[float | int]]:
        r = self.r
        out: list[list[float | int]] = []
        for _ in range(r.randint(0, 4)):
            if side == "bid":
                p = r.choice(PRICES[:10]) if r.random() < 0.98 else r.choice(PRICES)
            else:
                p = r.choice(PRICES[11:]) if r.random() < 0.98 else r.choice(PRICES)
            vol = 0 if r.random() < 0.25 else r.choice([1, 2.5, 7, 13.25, 1e3, 0.001])
            out.append([p, vol, r.randint(0, 9)] if r.random() < 0.9 else [p, vol])
        return out

    def frame(self, kind: str) -> bytes:
        r = self.r
        merged = kind != "unmerged"
        n = r.randint(1, 3)
        if kind == "gap":
            begin = self.v + 2 + r.randint(0, 3)
        elif kind == "dup":
            begin = max(1, self.v - r.randint(0, 3))
        else:
            begin = self.v + 1
        end = begin + (n - 1 if merged else 0)
        data: dict[str, Any] = {"asks": self.levels("ask"), "bids": self.levels("bid")}
        if merged:
            data.update(begin=begin, end=end, version=end)
            if r.random() < 0.1:
                del data["begin"]
        else:
            data["version"] = end
        if r.random() < 0.3:
            data["cts"] = 1789498405531 + end
        if kind == "crossed":
            data["bids"] = [[104.5, 5, 1]]
            data["asks"] = [[104.0, 5, 1]]
        if kind == "oversized":
            data["bids"] = [[round(50 + i * 0.01, 2), 1, 1] for i in range(1100)]
        msg: dict[str, Any] = {"symbol": SYM, "data": data, "channel": "push.depth",
                               "ts": 1789498405534 + end}
        if kind == "unknown_key":
            msg["extra"] = {"a": [1, 2.5e10, None, True, "x"], "b": -0.0}
        if kind == "other_symbol":
            msg["symbol"] = "ETH_USDT"
        if kind == "other_channel":
            msg["channel"] = "push.depth.step"
        if kind == "string_number":
            msg["ts"] = str(msg["ts"])
        if kind == "null_begin" and merged:
            data["begin"] = None
        if kind == "huge":
            data["bids"] = [[r.choice(PRICES[:10]), 123456789012345678901234, 1]]
        if kind == "huge_version":
            data["version"] = data["end"] = 2**70
        if kind == "long_mantissa":
            data["asks"] = [[100.12345678901234567891, 3, 1]]
        text = dump(msg, r, ws=r.random() < 0.3, style=r.randint(0, 3),
                    shuffle=r.random() < 0.5)
        if kind == "escape":
            text = text.replace(SYM, SYM.replace("_", "\\u005f"), 1)
        if kind == "escape_key":
            text = text.replace('"asks"', '"as\\u006bs"', 1)
        raw = text.encode()
        if kind == "truncated":
            raw = raw[: r.randint(0, len(raw) - 1)]
        if kind == "trailing":
            raw += b" x"
        if kind == "non_ascii":
            raw = raw.replace(b'"channel"', '"channel","é":"ü","channel"'.encode(), 1)
        if kind in ("normal", "unmerged", "crossed", "oversized") or (
                kind == "unknown_key" and merged):
            self.v = max(self.v, end)
        self.sent.append(raw)
        return raw


KINDS = (["normal"] * 40 + ["unmerged"] * 6 + ["snapshot"] * 8 +
         ["gap", "dup", "crossed", "oversized", "unknown_key", "other_symbol", "other_channel",
          "string_number", "null_begin", "huge", "huge_version", "long_mantissa", "escape",
          "escape_key", "truncated", "trailing", "non_ascii", "replay", "snapshot"])

SNAP_BIDS = [(99.0, 3.0), (99.5, 2.0), (100.0, 1.0)]
SNAP_ASKS = [(101.0, 1.0), (101.5, 2.0)]


def run_stream(seed: int, steps: list[str]) -> dict[int, int]:
    """Feed one random stream to both stacks, comparing after every frame; codes seen."""
    r = random.Random(seed)
    fast = Stack(True, 100, SNAP_BIDS, SNAP_ASKS)
    pure = Stack(False, 100, SNAP_BIDS, SNAP_ASKS)
    venue = Venue(r, 100)
    codes: dict[int, int] = {}
    for step in steps:
        if step == "snapshot":  # the REST answer of an outstanding resync, on both
            fast.snapshot(venue.v, SNAP_BIDS, SNAP_ASKS)
            pure.snapshot(venue.v, SNAP_BIDS, SNAP_ASKS)
            continue
        raw = r.choice(venue.sent) if step == "replay" and venue.sent else venue.frame(step)
        code = fast.feed(raw)
        before = pure.sync.stats.applied
        pure.feed(raw)
        assert code is not None
        codes[code] = codes.get(code, 0) + 1
        a, b = fast.state(), pure.state()
        assert a == b, (step, raw[:300], code)
        if code in (hot.APPLIED, hot.CROSSED):  # applied in C iff the pure path applied it
            assert pure.sync.stats.applied == before + 1
    return codes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hs.integers(0, 2**32), steps=hs.lists(hs.sampled_from(KINDS), min_size=1,
                                                   max_size=60))
def test_compiled_and_pure_paths_agree_after_every_frame(seed: int, steps: list[str]) -> None:
    for code in sorted(run_stream(seed, steps)):
        event(f"code {code}")


def test_every_code_is_reached() -> None:
    """The generator reaches every outcome of the compiled path (so the property is not vacuous)."""
    assert hot is not None
    seen: dict[int, int] = {}
    for seed in range(40):
        r = random.Random(seed)
        steps = [r.choice(KINDS) for _ in range(60)]
        for code, n in run_stream(seed, steps).items():
            seen[code] = seen.get(code, 0) + n
    for name in ("APPLIED", "FALLBACK", "UNKNOWN", "NOT_HOT", "GAP", "STALE", "CROSSED"):
        assert seen.get(getattr(hot, name), 0) > 0, (name, seen)
    assert seen[hot.APPLIED] > sum(seen.values()) / 5


def test_a_raising_consumer_is_contained_alike() -> None:
    """D3 on both paths: a consumer that raises replaces the connection, counted once."""
    stacks = [Stack(True, 100, SNAP_BIDS, SNAP_ASKS), Stack(False, 100, SNAP_BIDS, SNAP_ASKS)]

    def boom(_ev: Any) -> None:
        raise RuntimeError("consumer bug")

    for st in stacks:
        venue = Venue(random.Random(1), 100)
        st.feed(venue.frame("normal"))  # the first frame after a snapshot: the checked path
        st.md.on(boom)
        st.md.listeners_changed()
        st.feed(venue.frame("normal"))
    fast, pure = stacks
    assert fast.listener.last_code == hot.APPLIED  # type: ignore[union-attr]
    assert fast.conn.metrics.handler_errors == pure.conn.metrics.handler_errors == 1
    assert fast.conn.close_reason == pure.conn.close_reason
    assert "push.depth BTC_USDT" in fast.conn.close_reason
    assert fast.state() == pure.state()
