"""Recording format, writer and reader (issue #17, design record-replay-bus.md §1.4): the line
codec is exact, secrets never reach a line, segments rotate and close with a sha256, and a
segment cut anywhere yields every complete line before the cut (A3 at the file level)."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mexc_futures.protocol.session import Filter, Login, Ping
from mexc_futures.recording import format as fmt
from mexc_futures.recording.info import summarize
from mexc_futures.recording.reader import iter_lines, read_segment, segment_paths
from mexc_futures.recording.writer import FrameTap, Recorder

DEPTH = (b'{"symbol":"BTC_USDT","data":{"asks":[[84062.6,60366,1]],"bids":[],"end":8,"begin":8,'
         b'"version":8},"channel":"push.depth","ts":1789498405534}')


class FakeNs:
    """Injected receive time (ns)."""

    def __init__(self, start: int = 1_790_000_000_000_000_000) -> None:
        self.t = start

    def __call__(self) -> int:
        return self.t


def test_ws_line_keeps_exact_bytes() -> None:
    line = fmt.encode_line(123, 7, fmt.WS, DEPTH)
    assert line == b"123\t7\tws\t" + DEPTH + b"\n"
    assert fmt.parse_line(line) == fmt.Line(123, 7, fmt.WS, DEPTH)


@pytest.mark.parametrize("payload", [b'{"a":"x\ty"}', b"line1\nline2", b"\x1f\x8b\x08\n\xff",
                                     b"cr\r", b""])
def test_unsafe_ws_payload_goes_base64_and_back(payload: bytes) -> None:
    line = fmt.encode_line(1, 2, fmt.WS, payload)
    assert line.count(b"\n") == 1
    assert line.count(b"\t") == 3
    if payload:
        assert b"\tws64\t" in line or payload == b""
    assert fmt.parse_line(line).payload == payload


@given(st.binary(max_size=300), st.integers(0, 2**63 - 1), st.integers(0, 10_000))
@settings(max_examples=200, deadline=None)
def test_line_codec_roundtrip(payload: bytes, ns: int, conn: int) -> None:
    line = fmt.encode_line(ns, conn, fmt.WS, payload)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert fmt.parse_line(line) == fmt.Line(ns, conn, fmt.WS, payload)


def test_control_payloads_must_be_one_line() -> None:
    with pytest.raises(ValueError, match="one line"):
        fmt.encode_line(1, 0, fmt.REST, b'{"a":1}\n')
    with pytest.raises(ValueError, match="not a recording line"):
        fmt.parse_line(b"1\t2\tbogus\tx\n")


def test_login_and_filter_are_redacted(tmp_path: Path) -> None:
    canary = "CANARY" + secrets.token_hex(16)
    param = {"apiKey": "mx0vglKEY", "reqTime": "1", "signature": canary}  # pragma: allowlist secret
    login = msgspec.json.encode({"method": "login", "param": param, "subscribe": False})
    clock = FakeNs()
    rec = Recorder(tmp_path / "r", fmt.Manifest(private=True), now_ns=clock)
    rec.start()
    tap = FrameTap(rec, private=True)
    tap.tx(1, Login(), login)
    tap.tx(1, Filter(filters=()), b'{"method":"personal.filter","param":{}}')
    tap.tx(1, Ping(), b'{"method":"ping"}')
    FrameTap(rec).tx(2, Ping(), b'{"method":"sub.depth","param":{"signature":"x"}}')
    rec.stop()
    lines = list(iter_lines(tmp_path / "r"))
    payloads = [ln.payload for ln in lines]
    assert payloads.count(fmt.REDACTED_LOGIN) == 2  # the login, and the look-alike frame
    assert fmt.REDACTED_FILTER in payloads
    assert b'{"method":"ping"}' in payloads
    for p in (tmp_path / "r").rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert canary.encode() not in data
            assert b"mx0vglKEY" not in data
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in segment_paths(tmp_path / "r",
                                                                             "private"))


def _record(root: Path, n: int, *, per_ms: int = 1, rotate_s: float | None = None) -> FakeNs:
    clock = FakeNs()
    rec = Recorder(root, fmt.Manifest(symbols=["BTC_USDT"]), now_ns=clock, rotate_s=rotate_s)
    rec.start()
    for i in range(n):
        clock.t += per_ms * 1_000_000
        rec.rx(1, memoryview(DEPTH.replace(b'"end":8', b'"end":%d' % i)))
    rec.stop("test")
    return clock


def test_rotation_manifest_and_sha256(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _record(root, 3000, rotate_s=1.0)  # 3 s of recorded time: 3 segments
    man = fmt.decode_manifest((root / "manifest.json").read_bytes())
    assert man.stopped == "test"
    assert len(man.segments) == 3
    assert sum(s.frames for s in man.segments) == 3000
    for seg in man.segments:
        assert seg.complete
        assert seg.sha256 == hashlib.sha256((root / "segments" / seg.name).read_bytes()).hexdigest()
    got = [ln.payload for ln in iter_lines(root)]
    assert got == [DEPTH.replace(b'"end":8', b'"end":%d' % i) for i in range(3000)]
    info = summarize(root)
    assert all(s.sha256_ok and not s.truncated for s in info.segments)
    depth = next(s for s in info.streams if s.key == "push.depth BTC_USDT")
    assert depth.frames == 3000
    assert depth.ratio > 4


def test_hourly_rotation_by_utc_hour(tmp_path: Path) -> None:
    root = tmp_path / "r"
    clock = FakeNs(3_600_000_000_000 * 500_000 - 2_000_000_000)  # 2 s before an hour starts
    rec = Recorder(root, fmt.Manifest(), now_ns=clock)
    rec.start()
    for _ in range(40):
        clock.t += 100_000_000
        rec.rx(1, DEPTH)
    rec.stop()
    names = [p.name for p in segment_paths(root)]
    assert len(names) == 2
    assert names[0][:11] != names[1][:11]


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.7, 0.99])
def test_truncated_segment_yields_every_complete_line(tmp_path: Path, fraction: float) -> None:
    """A segment cut at any byte (a killed writer) reads back as a prefix of what was written,
    cut only at a flushed zstd block; the reader reports it as truncated."""
    root = tmp_path / "r"
    clock = FakeNs()
    rec = Recorder(root, fmt.Manifest(), now_ns=clock)
    rec.start()
    seg = None
    for block in range(20):  # 20 flushed blocks of 100 lines each
        for i in range(100):
            clock.t += 1_000_000
            rec.rx(1, DEPTH.replace(b'"end":8', b'"end":%d' % (block * 100 + i)))
        rec.flush_now()
    seg = segment_paths(root)[0]
    data = seg.read_bytes()
    rec.stop()
    cut = tmp_path / "cut.tsv.zst"
    cut.write_bytes(data[: int(len(data) * fraction)])
    from mexc_futures.recording.reader import SegmentRead

    info = SegmentRead(cut)
    lines = list(read_segment(cut, info))
    assert info.truncated
    want = [DEPTH.replace(b'"end":8', b'"end":%d' % i) for i in range(len(lines))]
    assert [ln.payload for ln in lines] == want
    assert len(lines) % 100 == 0 or info.dropped_tail >= 0
    if fraction > 0.5:
        assert len(lines) >= 100 * int(20 * fraction) - 200  # at most ~2 blocks lost


def test_manifest_is_json_people_can_read(tmp_path: Path) -> None:
    _record(tmp_path / "r", 10)
    raw = (tmp_path / "r" / "manifest.json").read_bytes()
    d = msgspec.json.decode(raw)
    assert d["format"] == fmt.FORMAT_VERSION
    assert d["segments"][0]["frames"] == 10
    assert b"\n  " in raw


def test_refuses_to_overwrite_a_recording(tmp_path: Path) -> None:
    _record(tmp_path / "r", 1)
    with pytest.raises(FileExistsError, match="already holds a recording"):
        Recorder(tmp_path / "r", fmt.Manifest())
