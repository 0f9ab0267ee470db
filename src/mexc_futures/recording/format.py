"""Recording format: one line per event, pure codec and manifest structs (no I/O).

A recording is a directory::

    manifest.json                      # ``Manifest`` (written atomically at start, rotation, stop)
    segments/20261206T10-000.tsv.zst   # public market data, one zstd frame per segment
    private/20261206T10-000.tsv.zst    # account pushes (``--private`` only, mode 0600)

Each segment is a sequence of lines (design record-replay-bus.md §1.4)::

    line := recv_ns TAB conn TAB kind TAB payload LF

``kind`` is one of ``KINDS``: ``ws`` (an inbound text frame, payload = the exact bytes received),
``ws64`` (an inbound frame holding TAB/CR/LF bytes, e.g. a binary one: base64), ``tx`` (a frame
we sent; login and filter frames only as a redacted marker), ``open``/``close`` (connection
lifecycle, the gap markers), ``rest`` (a REST answer the book sync used: ``RestRecord``),
``book`` (the local exact book at a version: ``BookCheckpoint``) and ``mark`` (annotations:
resyncs, deal gaps).

Line order is processing order: the recorder appends from the one thread that runs the client,
so replaying lines in file order reproduces the live session's sequence of decisions exactly.
"""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

import msgspec

FORMAT_VERSION = 1

WS = b"ws"
WS64 = b"ws64"
TX = b"tx"
OPEN = b"open"
CLOSE = b"close"
REST = b"rest"
BOOK = b"book"
MARK = b"mark"
KINDS = frozenset({WS, WS64, TX, OPEN, CLOSE, REST, BOOK, MARK})

#: the ``tx`` payload written instead of a login frame: the key and signature never reach disk
REDACTED_LOGIN = b'{"method":"login","redacted":true}'
REDACTED_FILTER = b'{"method":"personal.filter","redacted":true}'
#: ``close`` reason of connections the recorder itself closed at stop (not a gap)
STOP_REASON = "recorder stopped"
_SECRET_MARKERS = (b"login", b"signature", b"apiKey", b"secret")

_UNSAFE = (b"\t", b"\n", b"\r")


class Line(NamedTuple):
    """One decoded line; ``payload`` is the exact frame bytes for ``ws`` (decoded for ``ws64``)."""

    recv_ns: int
    conn: int
    kind: bytes
    payload: bytes


def encode_line(recv_ns: int, conn: int, kind: bytes, payload: bytes) -> bytes:
    """One line; a ``ws`` payload that would break the line becomes ``ws64`` (base64)."""
    if kind == WS and (b"\t" in payload or b"\n" in payload or b"\r" in payload):
        kind, payload = WS64, base64.b64encode(payload)
    elif kind != WS and any(c in payload for c in _UNSAFE):
        raise ValueError(f"{kind!r} payload must be one line without TABs")
    return b"%d\t%d\t%s\t%s\n" % (recv_ns, conn, kind, payload)


def parse_line(raw: bytes) -> Line:
    """Parse one line (without or with its trailing LF); ``ValueError`` if it is not one."""
    parts = raw.rstrip(b"\n").split(b"\t", 3)
    if len(parts) != 4 or parts[2] not in KINDS:
        raise ValueError(f"not a recording line: {raw[:80]!r}")
    kind, payload = parts[2], parts[3]
    if kind == WS64:
        kind, payload = WS, base64.b64decode(payload)
    return Line(int(parts[0]), int(parts[1]), kind, payload)


def redact_tx(payload: bytes, *, login: bool = False, filter_: bool = False) -> bytes:
    """What a sent frame becomes on disk: login/filter frames (and anything that looks like
    credentials) are replaced by a marker; pings and (un)subscriptions stay as sent."""
    if login:
        return REDACTED_LOGIN
    if filter_:
        return REDACTED_FILTER
    if any(m in payload for m in _SECRET_MARKERS):
        return REDACTED_LOGIN
    return payload


class RestRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A REST answer the live session used (``kind=rest``).

    ``body`` is the typed ``data`` of the answer re-encoded by msgspec (the same struct decodes
    it back bit-for-bit; floats round-trip exactly); ``error`` is set instead when it failed.
    """

    path: str  # "depth" | "depth_commits" | "contract_detail"
    symbol: str
    q: dict[str, Any] = {}
    sent_ns: int = 0
    status: int = 200
    body: msgspec.Raw = msgspec.Raw(b"null")
    error: str | None = None


class BookCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    """The local exact book at ``version`` (``kind=book``): ``[[price, vol], ...]``."""

    symbol: str
    version: int
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    synced: bool = True


class Mark(msgspec.Struct, frozen=True, kw_only=True):
    """An annotation (``kind=mark``): ``what`` is resync / deal_gap / stop / start."""

    what: str
    symbol: str = ""
    reason: str = ""
    since: int = 0
    until: int = 0


class ConnEvent(msgspec.Struct, frozen=True, kw_only=True):
    """``open`` / ``close`` payload."""

    url: str = ""
    reconnect: bool = False
    reason: str = ""


class SegmentInfo(msgspec.Struct, kw_only=True):
    """One segment file as the writer closed it (``complete``) or last saw it."""

    name: str
    set: str = "segments"  # "segments" | "private"
    first_ns: int = 0
    last_ns: int = 0
    frames: int = 0  # lines
    raw_bytes: int = 0
    bytes: int = 0
    sha256: str = ""
    complete: bool = False


class StreamSpec(msgspec.Struct, frozen=True, array_like=True):
    """A subscribed stream, in subscription order: ``[channel, symbol, params]``."""

    channel: str
    symbol: str | None
    params: dict[str, Any] = {}


class Manifest(msgspec.Struct, kw_only=True):
    """``manifest.json``: what, where, when and how a recording was made."""

    format: int = FORMAT_VERSION
    toolkit: str = ""
    environment: str = ""
    rest_url: str = ""
    ws_url: str = ""
    symbols: list[str] = []
    streams: list[StreamSpec] = []
    max_per_conn: int = 30
    snapshot_limit: int | None = 1000
    commits_limit: int = 1000
    private: bool = False
    zstd_level: int = 3
    start_ns: int = 0
    end_ns: int = 0
    stopped: str = ""  # "" while running (or after a crash), else why it stopped
    contracts: dict[str, msgspec.Raw] = {}
    segments: list[SegmentInfo] = []


def encode_manifest(m: Manifest) -> bytes:
    """Pretty JSON of ``m`` (a manifest is read by people too)."""
    return msgspec.json.format(msgspec.json.encode(m), indent=2) + b"\n"


def decode_manifest(b: bytes) -> Manifest:
    """``Manifest`` from ``manifest.json`` bytes."""
    return msgspec.json.decode(b, type=Manifest)


def segment_name(start_ns: int, index: int) -> str:
    """``20261206T10-000.tsv.zst``: the UTC hour the segment starts in, then a sequence number."""
    import time

    t = time.gmtime(start_ns // 1_000_000_000)
    return f"{t.tm_year:04d}{t.tm_mon:02d}{t.tm_mday:02d}T{t.tm_hour:02d}-{index:03d}.tsv.zst"


__all__ = [
    "BOOK",
    "CLOSE",
    "FORMAT_VERSION",
    "KINDS",
    "MARK",
    "OPEN",
    "REDACTED_FILTER",
    "REDACTED_LOGIN",
    "REST",
    "STOP_REASON",
    "TX",
    "WS",
    "WS64",
    "BookCheckpoint",
    "ConnEvent",
    "Line",
    "Manifest",
    "Mark",
    "RestRecord",
    "SegmentInfo",
    "StreamSpec",
    "decode_manifest",
    "encode_line",
    "encode_manifest",
    "parse_line",
    "redact_tx",
    "segment_name",
]
