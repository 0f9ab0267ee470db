"""The C ``push.depth`` scanner (``_hot_core.h``): exact, conservative, memory-safe (#19).

* Whatever the scanner accepts, msgspec (the pure path) decodes to the same frame: same symbol,
  versions, ts, and levels whose floats are bit-identical (``struct.pack``), for generated frames
  and for random byte mutations of them (the fuzz part).
* Numbers are exactly ``float()`` for every decimal it accepts; plain prices are always accepted.
* The C core is compiled once with AddressSanitizer + UBSan and run over a mutated corpus, each
  frame in a buffer of exactly its size (``asan_driver.c``).
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from mexc_futures._speedups import hot
from mexc_futures.protocol import codec
from mexc_futures.protocol import ws as wire

from .test_differential import KINDS, Venue

pytestmark = pytest.mark.skipif(hot is None, reason="compiled path not built / disabled")

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src" / "mexc_futures"
_DEPTH = msgspec.json.Decoder(wire.DepthPush, strict=False)


#: the spec's recorded push.depth frames (spec/vectors/ws_pushes.json, copied)
VECTOR_FRAMES = [
    b'{"symbol":"DOGE_USDT","data":{"cts":1789498405531,"asks":[[0.080100,2868,1],[0.080140,7405,4],[0.080150,7000,4],[0.080110,26243,2],[0.080120,5313,3],[0.08039,64,1],[0.080500,84,4],[0.08009,2700,1]],"bids":[[0.08003,8905,4],[0.08004,8819,4],[0.07969,0,0],[0.07979,6750,3],[0.08006,5200,3],[0.080070,3878,3],[0.080080,3453,2],[0.080090,0,0]],"end":8752808003,"begin":8752807948,"version":8752808003},"channel":"push.depth","ts":1789498405534}',
    b'{"symbol":"SKHYNIXSTOCK_USDT","data":{"cts":1789498405579,"asks":[[1235.06,606,1]],"bids":[[1233.04,0,0]],"end":1111084807,"begin":1111084806,"version":1111084807},"channel":"push.depth","ts":1789498405588}',
    b'{"symbol":"ETH_USDT","data":{"cts":1789498321765,"asks":[[2384.59,42,1]],"bids":[],"version":37723308980},"channel":"push.depth","ts":1789498321801}',
    b'{"symbol":"ETH_USDT","data":{"cts":1789498321765,"asks":[[2384.60,2666,2]],"bids":[],"version":37723308981},"channel":"push.depth","ts":1789498321801}',
]


def _bits(levels: list[tuple[float, float]]) -> list[bytes]:
    return [struct.pack("<dd", p, v) for p, v in levels]


def check_agrees(raw: bytes) -> bool:
    """If the scanner accepts ``raw``, the pure decoders return the same frame. True if accepted."""
    assert hot is not None
    got = hot.scan(raw)
    if got is None:
        return False
    union = codec.frame_fast_path()(raw)  # the pure path's own decode must succeed too
    assert isinstance(union, wire.DepthPush), raw
    msg = _DEPTH.decode(raw)
    assert msg == union
    d = msg.data
    end, begin = d.end, d.begin
    if end is None:
        end = begin = d.version
    elif begin is None:
        begin = end
    sym, sbegin, send, sversion, ts, bids, asks = got
    assert (sym, sbegin, send, sversion, ts) == (msg.symbol, begin, end, d.version, msg.ts), raw
    assert _bits(bids) == _bits([(lv.price, lv.vol) for lv in d.bids]), raw
    assert _bits(asks) == _bits([(lv.price, lv.vol) for lv in d.asks]), raw
    return True


def mutate(raw: bytes, r: random.Random) -> bytes:
    b = bytearray(raw)
    for _ in range(r.randint(1, 4)):
        op = r.randrange(5)
        i = r.randrange(len(b) + 1)
        if op == 0 and b:
            del b[min(i, len(b) - 1)]
        elif op == 1:
            b.insert(i, r.choice(b'{}[],:"\\ 0123456789.eE-+nulltruefalse\x00\xff\x7f'))
        elif op == 2 and b:
            b[min(i, len(b) - 1)] ^= 1 << r.randrange(8)
        elif op == 3:
            b = b[:i]
        else:
            j = r.randrange(len(b) + 1)
            b[i:i] = b[j:j + r.randint(1, 12)]
    return bytes(b)


@settings(max_examples=300, deadline=None)
@given(seed=hs.integers(0, 2**32), kind=hs.sampled_from(KINDS), n_mut=hs.integers(0, 3))
def test_accepted_frames_decode_identically(seed: int, kind: str, n_mut: int) -> None:
    r = random.Random(seed)
    raw = Venue(r, 1000).frame("normal" if kind in ("snapshot", "replay") else kind)
    for _ in range(n_mut):
        raw = mutate(raw, r)
    check_agrees(raw)


def test_plain_frames_are_all_accepted() -> None:
    r = random.Random(7)
    venue = Venue(r, 1000)
    for _ in range(2000):
        assert check_agrees(venue.frame(r.choice(["normal", "unmerged", "crossed"])))
    for raw in VECTOR_FRAMES:
        assert check_agrees(raw)


@settings(max_examples=500, deadline=None)
@given(digits=hs.text("0123456789", min_size=1, max_size=22),
       point=hs.integers(0, 22), exp=hs.one_of(hs.none(), hs.integers(-40, 40)),
       neg=hs.booleans())
def test_numbers_are_float_identical(digits: str, point: int, exp: int | None,
                                     neg: bool) -> None:
    assert hot is not None
    digits = digits.lstrip("0") or "0"
    k = min(point, len(digits) - 1)
    num = digits if k == 0 else f"{digits[:-k]}.{digits[-k:]}"
    num = ("-" if neg else "") + num + ("" if exp is None else f"e{exp}")
    raw = ('{"symbol":"S","channel":"push.depth","data":{"asks":[],"bids":[[' + num
           + ',1]],"version":1}}').encode()
    got = hot.scan(raw)
    if got is None:  # declined (beyond Clinger's fast path): the pure path decodes it
        return
    assert struct.pack("<d", got[5][0][0]) == struct.pack("<d", float(num)), num


def test_typical_prices_take_the_fast_path() -> None:
    assert hot is not None
    r = random.Random(3)
    for _ in range(20000):
        p = round(r.uniform(0.00001, 150000), r.randint(0, 8))
        s = repr(p)
        raw = ('{"symbol":"S","channel":"push.depth","data":{"asks":[[' + s + ',' + s
               + ',2]],"bids":[],"version":1}}').encode()
        got = hot.scan(raw)
        if "e" in s:
            continue
        assert got is not None, s
        assert got[6][0] == (float(s), float(s))


def test_scanner_under_address_sanitizer(tmp_path: Path) -> None:
    """Build the C core once with ASan+UBSan and run it over ~4,000 mutated frames."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path / "asan_driver"
    build = subprocess.run(
        [cc, "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
         "-g", "-O1", "-I", str(SRC), str(HERE / "asan_driver.c"), "-o", str(exe)],
        capture_output=True, text=True, timeout=120, check=False)
    if build.returncode != 0 and "sanitize" in build.stderr:
        pytest.skip(f"compiler without sanitizers: {build.stderr[:200]}")
    assert build.returncode == 0, build.stderr
    r = random.Random(11)
    venue = Venue(r, 1000)
    corpus = tmp_path / "frames.bin"
    n = 0
    with corpus.open("wb") as fh:
        for i in range(4000):
            raw = venue.frame(r.choice(KINDS[:-3]) if i % 5 else "normal")
            if i % 3:
                raw = mutate(raw, r)
            fh.write(struct.pack("<I", len(raw)) + raw)
            n += 1
        for edge in (b"", b"{", b'{"', b'{"symbol":"', b"[" * 100, b'{"data":' * 40, b"-",
                     b'{"channel":"push.depth","symbol":"S","data":{"asks":[[1,1]],"bids":[],'
                     b'"version":1}}'):
            fh.write(struct.pack("<I", len(edge)) + edge)
            n += 1
    run = subprocess.run([str(exe), str(corpus)], capture_output=True, text=True, timeout=120,
                         check=False, env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"})
    assert run.returncode == 0, run.stderr[-2000:]
    frames, scanned, _ = (int(x) for x in run.stdout.split())
    assert frames == n
    assert scanned > n // 10  # the corpus reaches the apply path, not only rejections
